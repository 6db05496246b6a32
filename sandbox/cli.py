"""The sandbox's commands, added to `hoi` through the `hoi.commands` entry point:

- `hoi sandbox serve`: the development service (`make run`): production's app
  composed with the synthetic population, its source systems on loopback and the
  pilot's organisation register;
- `hoi sandbox decide`: one audited decision in that service's world;
- `hoi policy impact`: what a policy change does to a synthetic corpus.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

from cli.commands import EXIT_ERROR, Commands
from cli.decide import add_decide_arguments, decide
from cli.serve import add_serve_arguments, serve
from policy.errors import HoiError

# Registering the commands imports nothing synthetic: `hoi` must start even where
# the sandbox's data is absent (an installed service); a command imports its parts.


def _serve(args: argparse.Namespace) -> int:
    from sandbox.app import build_dev_services, prepare_workers

    return serve(
        args, compose=build_dev_services, factory="sandbox.app:create_app", prepare=prepare_workers
    )


def _decide(args: argparse.Namespace) -> int:
    from sandbox.app import build_dev_services

    return decide(args, compose=build_dev_services)


def impact_report(args: argparse.Namespace) -> int:
    from handbook.scenarios import load_scenarios
    from policy.paths import REGO_DIR
    from sandbox.impact import impact, policy_at, write

    try:
        with tempfile.TemporaryDirectory(prefix="hoi-impact-") as tmp:
            base = policy_at(args.base, REGO_DIR.parent, Path(tmp))
            report = impact(
                base,
                REGO_DIR,
                base_ref=args.base,
                scenarios=load_scenarios(),
                seed=args.seed,
                size=args.size,
                workers=args.workers,
            )
        written = write(report, Path(args.out))
    except subprocess.CalledProcessError as exc:
        problem = exc.stderr.decode(errors="replace").strip() if exc.stderr else exc
        print(f"hoi policy impact: git archive {args.base}: {problem}", file=sys.stderr)
        return EXIT_ERROR
    except (OSError, HoiError) as exc:
        print(f"hoi policy impact: {exc}", file=sys.stderr)
        return EXIT_ERROR
    print(
        f"{report.situations} situations and {report.scenarios} scenarios in "
        f"{report.seconds:.1f} s: {report.changed} decision(s) changed, "
        f"{report.count('newly_permitted')} newly permitted, "
        f"{report.count('wording_changed')} with only a message's words changed"
    )
    print(f"written: {', '.join(str(p) for p in written)}")
    return 0


def _simulate(args: argparse.Namespace) -> int:
    from sandbox.simulate import run

    return run(args)


def register(commands: Commands) -> None:
    """Add the sandbox's commands to `hoi`."""
    group = commands.add_group("sandbox", "the development service on synthetic data")
    run = group.add_parser(
        "serve",
        help="run the development service: synthetic population, sandbox sources, "
        "the pilot's organisations",
    )
    add_serve_arguments(run)
    run.set_defaults(run=_serve)
    one = group.add_parser(
        "decide",
        help="decide one request in the synthetic world (exit 0 permit, 1 deny, 2 error)",
    )
    add_decide_arguments(one)
    one.set_defaults(run=_decide)
    sim = group.add_parser(
        "simulate",
        help="months of synthetic use through the real API, on a simulated clock "
        "(for `hoi evaluation report`)",
    )
    sim.add_argument("--days", type=int, default=90)
    sim.add_argument("--per-day", type=int, default=40, help="questions asked per working day")
    sim.add_argument("--seed", type=int, default=7)
    sim.add_argument("--start", type=date.fromisoformat, default=date(2026, 9, 1))
    sim.add_argument("--var-dir", default="var/simulation", help="its own audit trail goes here")
    sim.set_defaults(run=_simulate)

    imp = commands.group("policy").add_parser(
        "impact",
        help="what the working tree's policy changes against --base: HTML and Markdown report",
    )
    imp.add_argument("--base", required=True, metavar="GITREF", help="e.g. main or HEAD~1")
    imp.add_argument("--out", default="var/impact")
    imp.add_argument("--seed", type=int, default=11, help="the corpus seed")
    imp.add_argument(
        "--size", type=int, default=4200, help="inputs in the corpus (x 6 data categories)"
    )
    imp.add_argument(
        "--workers",
        type=int,
        choices=[1, 2],
        default=2,
        help="2: evaluate the base and working-tree policies in parallel processes",
    )
    imp.set_defaults(run=impact_report)
