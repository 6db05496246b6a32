"""`make bench`: every target of issue 12 beside today's measurement, met or not.

    .venv/bin/python -m bench.targets [--label latest] [--quick] [--skip ...] [--workers 2]

1. engine: `python -m bench.decisions` as it is (its own tables are printed).
3. API: `hoi sandbox serve --workers 2` (embedded engine, SQLite, the handbook
   not built at start) in a subprocess, the sandbox sources in their own process
   answering at once; wrk, 16 connections, on POST /v1/decisions with the
   README's example body and a `hoi token` bearer token, then on /healthz of the
   same server.
7. profile: py-spy records that server under the same load (flame graph SVG).
5. AuthZEN: one POST /access/v1/evaluations of 100 evaluations at a time.
4. overview: the sandbox sources in their own process answering after 50 ms,
   a second service (as many workers) reading them; 50 concurrent and one at a time.
6. cost growth: bench.growth (embedded engine, in this process), with a plot.

Everything is driven from outside through HTTP and the `hoi` command; the few
internals the bench needs are in bench/common.py. Outputs, named by --label:
bench/results/<label>.json, bench/results/cost-growth-<label>.svg and
bench/profiles/decisions-<label>.svg.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx

from bench import growth, profile, wrk
from bench.common import SandboxProcess, ServiceProcess, children, load_average

BENCH_DIR = Path(__file__).parent
README_BODY = {
    "action": "view",
    "resource": {
        "child_cpr": "6809144615",
        "categories": ["psychiatry_appointments", "psychiatry_contacts", "school_daycare"],
    },
    "context": {"purpose": "social_case_work"},
}
CASEWORKER = ("municipal_caseworker", "851-family", "cw-851-family-1")
SOURCE_DELAY = 0.05
WORKERS = 2
"""The services' worker processes (`hoi sandbox serve --workers`): one a core."""
SECTIONS = ("decisions", "api", "authzen", "overview", "growth")
GOALS = {
    "1": "p50 <= 300 us, p99 <= 1 ms",
    "3": ">= 1,000 decisions/s, p99 <= 25 ms",
    "4": ">= 200/s, no timeouts; <= 5 / 20 ms above source",
    "5": "<= 25 ms",
    "6": "linear or better (log-log slope <= 1)",
    "7": "py-spy flame graph committed",
}


@dataclass
class Row:
    target: str
    goal: str
    measured: str
    met: bool | None  # None: not measured

    @property
    def verdict(self) -> str:
        return "not measured" if self.met is None else "met" if self.met else "not met"


@dataclass
class Run:
    label: str
    quick: bool
    workers: int = WORKERS
    rows: list[Row] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def seconds(self, full: float) -> float:
        return max(3.0, full / 3) if self.quick else full


def say(text: str) -> None:
    print(text, flush=True)


def shown(path: Path) -> str:
    """A path relative to the working directory where it is under it."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return path.name


def section(run: Run, name: str, rows: list[Row], body: Callable[[], None]) -> None:
    """Run one bench section; a failure is reported, and the others still run."""
    say(f"\n== {name} (load average {load_average()}) ==")
    started = time.perf_counter()
    try:
        body()
    except wrk.WrkMissing as exc:
        say(f"NOTICE: {exc}; section skipped")
        run.notes.append(f"{name}: skipped: {exc}")
        run.rows.extend(Row(r.target, r.goal, f"skipped: {exc}"[:80], None) for r in rows)
    except Exception as exc:
        say(traceback.format_exc())
        run.notes.append(f"{name}: failed: {exc}")
        run.rows.extend(Row(r.target, r.goal, f"failed: {exc}"[:80], None) for r in rows)
    run.raw.setdefault("section_seconds", {})[name] = round(time.perf_counter() - started, 1)


# 1. engine -----------------------------------------------------------------


def engine(run: Run) -> None:
    args = ["--inputs", "200", "--rounds", "5", "--requests", "100" if run.quick else "400"]
    say("python -m bench.decisions " + " ".join(args))
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.decisions", *args], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    lines = []
    for line in process.stdout:
        print(line, end="", flush=True)
        lines.append(line)
    if process.wait() != 0:
        raise RuntimeError(f"bench.decisions exited {process.returncode}")
    out = "".join(lines)
    run.raw["decisions_output"] = out
    # "| <engine name> | p50 | p99 | ..." rows of its table
    engines = re.findall(r"^\|\s*([^|]+?)\s*\|\s*([\d.]+)\s*\|\s*([\d.]+)\s*\|", out, re.M)
    found = False
    for name, p50, p99 in engines:
        p50_us, p99_us = float(p50) * 1000, float(p99) * 1000
        if name.lower().startswith("embedded"):
            found = True
            run.rows.append(
                Row(
                    "1 engine, embedded",
                    "p50 <= 300 us, p99 <= 1 ms",
                    f"p50 {p50_us:,.0f} us, p99 {p99_us:,.0f} us",
                    p50_us <= 300 and p99_us <= 1000,
                )
            )
        elif name.lower().startswith("opa"):
            in_process = "rest" not in name.lower()
            run.rows.append(
                Row(
                    f"1 engine, {name}",
                    "p50 <= 300 us (opa bench, in-process)",
                    f"p50 {p50_us:,.0f} us" + ("" if in_process else " (over REST, not opa bench)"),
                    p50_us <= 300 if in_process else None,
                )
            )
    if not found:
        run.rows.append(Row("1 engine", "p50 <= 300 us, p99 <= 1 ms", "see output above", None))


# 3, 5, 7. API, AuthZEN, profile (one server) --------------------------------


def _env(day: date) -> dict[str, str]:
    return {
        "HOI_ENGINE": "embedded",
        "HOI_DEMO_REFERENCE_DATE": day.isoformat(),
        "HOI_HANDBOOK_AT_START": "false",  # not built (N times) while under load
    }


@contextlib.contextmanager
def api_service(run: Run, day: date, var_dir: Path, **options: Any) -> Iterator[ServiceProcess]:
    """The API bench's service: `hoi sandbox serve --workers N` reading the sandbox
    sources, which run in their own process and answer at once."""
    with (
        SandboxProcess(delay=0.0, facts_delay=0.0, day=day) as sandbox,
        ServiceProcess(
            var_dir,
            env={**_env(day), **sandbox.service_env()},
            workers=run.workers,
            **options,
        ) as service,
    ):
        yield service


def api(run: Run, day: date, tmp: Path, sections: set[str]) -> None:
    say(
        f"service: hoi sandbox serve --workers {run.workers} (embedded engine, SQLite, "
        "handbook not built at start); sandbox sources in their own process, no delay"
    )
    with api_service(run, day, tmp / "api", log=tmp / "api.log") as service:
        token = service.token(*CASEWORKER)
        check = httpx.post(
            service.url + "/v1/decisions",
            json=README_BODY,
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        check.raise_for_status()
        assert "categories" in check.json(), check.text[:300]
        if "api" in sections:
            rows = [Row("3 API decisions (16 conn.)", GOALS["3"], "", None)]
            section(run, "API load", rows, lambda: _api_load(run, service, token))
        if "authzen" in sections:
            section(
                run,
                "AuthZEN",
                [Row("5 AuthZEN batch of 100", GOALS["5"], "", None)],
                lambda: _authzen(run, service, token, day),
            )


def _api_load(run: Run, service: ServiceProcess, token: str) -> None:
    if not wrk.available():
        raise wrk.WrkMissing("wrk not found (Debian package wrk): the API bench needs it")
    url = service.url + "/v1/decisions"
    wrk.run(url, connections=16, seconds=2, method="POST", body=README_BODY, token=token)
    decisions = wrk.run(
        url, connections=16, seconds=run.seconds(12), method="POST", body=README_BODY, token=token
    )
    healthz = wrk.run(service.url + "/healthz", connections=16, seconds=run.seconds(8))
    run.raw["api"] = {
        "workers": run.workers,
        "decisions": asdict(decisions),
        "healthz": asdict(healthz),
    }
    ratio = decisions.rate / healthz.rate if healthz.rate else 0.0
    say(
        f"POST /v1/decisions, {run.workers} workers, 16 connections, {decisions.seconds:.0f} s: "
        f"{decisions.rate:,.0f} decisions/s, p50 {decisions.p50_ms:.1f} ms, "
        f"p99 {decisions.p99_ms:.1f} ms, failed {decisions.failed} of {decisions.requests}"
    )
    say(
        f"/healthz, same server, same run: {healthz.rate:,.0f} requests/s, "
        f"p50 {healthz.p50_ms:.1f} ms; decisions/healthz = {ratio:.3f}"
    )
    run.rows.append(
        Row(
            f"3 API decisions (16 conn., {run.workers} workers)",
            ">= 1,000 decisions/s, p99 <= 25 ms",
            f"{decisions.rate:,.0f}/s, p50 {decisions.p50_ms:.0f} ms, "
            f"p99 {decisions.p99_ms:.0f} ms; /healthz {healthz.rate:,.0f}/s "
            f"(ratio {ratio:.3f})",
            decisions.rate >= 1000 and decisions.p99_ms <= 25 and decisions.failed == 0,
        )
    )
    section(
        run,
        "profile",
        [Row("7 profile under API load", GOALS["7"], "", None)],
        lambda: _profile(run, service, url, token),
    )


def _profile(run: Run, service: ServiceProcess, url: str, token: str) -> None:
    svg = BENCH_DIR / "profiles" / f"decisions-{run.label}.svg"
    seconds = run.seconds(10)
    loaded: list[wrk.WrkResult] = []
    load = threading.Thread(  # the same wrk load, for the profile only
        target=lambda: loaded.append(
            wrk.run(
                url,
                connections=16,
                seconds=seconds + 2,
                method="POST",
                body=README_BODY,
                token=token,
            )
        )
    )
    load.start()
    time.sleep(1)
    result = profile.attach(service.pid, svg, seconds)
    load.join(timeout=seconds + 120)
    under = f"{loaded[0].rate:,.0f}" if loaded else "unknown"
    if result.svg is None and profile.available():
        say(f"py-spy could not attach ({result.note}); running a server under py-spy instead")
        result = _profile_under_spy(run, svg, seconds)
    run.raw["profile"] = {"how": result.how, "note": result.note, "rate_under_profiler": under}
    where = shown(result.svg) if result.svg else "none"
    say(f"flame graph: {where} ({result.how}; {result.note}); decisions/s while profiled: {under}")
    run.rows.append(
        Row(
            "7 profile under API load",
            "py-spy flame graph committed",
            f"{where} ({result.how}{'; ' + result.note if result.svg is None else ''})",
            True if result.svg is not None else None if result.how == "skipped" else False,
        )
    )


def _profile_under_spy(run: Run, svg: Path, seconds: float) -> profile.Profile:
    day = date.today()
    with (
        tempfile.TemporaryDirectory(prefix="hoi-bench-spy-") as tmp,
        SandboxProcess(delay=0.0, facts_delay=0.0, day=day) as sandbox,
    ):
        service = ServiceProcess(
            Path(tmp),
            env={**_env(day), **sandbox.service_env()},
            command=profile.spy_prefix(svg),
            workers=run.workers,
        )
        service.__enter__()
        try:
            token = service.token(*CASEWORKER)
            wrk.run(
                service.url + "/v1/decisions",
                connections=16,
                seconds=seconds,
                method="POST",
                body=README_BODY,
                token=token,
            )
            assert service.process is not None
            result = profile.finish(service.process, svg)
            service.process = None
        finally:
            service.__exit__()
    return result


def _authzen(run: Run, service: ServiceProcess, token: str, day: date) -> None:
    cprs = children(day, 34)
    cats = ["psychiatry_appointments", "psychiatry_contacts", "school_daycare"]
    body = {
        "subject": {"type": "user", "id": CASEWORKER[2]},
        "action": {"name": "view"},
        "context": {"purpose": "social_case_work"},
        "evaluations": [
            {
                "resource": {
                    "type": "child",
                    "id": cprs[i % len(cprs)],
                    "properties": {"category": cats[i % len(cats)]},
                }
            }
            for i in range(100)
        ],
    }
    times: list[float] = []
    permits = 0
    with httpx.Client(
        base_url=service.url, headers={"Authorization": f"Bearer {token}"}, timeout=60
    ) as client:
        client.post("/access/v1/evaluations", json=body).raise_for_status()  # warm-up
        started = time.perf_counter()
        while len(times) < 5 or (
            time.perf_counter() - started < run.seconds(10) and len(times) < 50
        ):
            t0 = time.perf_counter()
            response = client.post("/access/v1/evaluations", json=body)
            times.append((time.perf_counter() - t0) * 1000)
            response.raise_for_status()
            answers = response.json()["evaluations"]
            assert len(answers) == 100, len(answers)
            permits = sum(bool(a.get("decision")) for a in answers)
    ordered = sorted(times)
    p50, worst = statistics.median(ordered), ordered[-1]
    run.raw["authzen"] = {"batch_ms": [round(t, 1) for t in times], "permits": permits}
    say(
        f"AuthZEN, 100 evaluations per call, {len(times)} calls one at a time: "
        f"p50 {p50:.0f} ms, max {worst:.0f} ms ({permits} of 100 permitted)"
    )
    run.rows.append(
        Row(
            "5 AuthZEN batch of 100",
            "<= 25 ms",
            f"p50 {p50:,.0f} ms, max {worst:,.0f} ms ({len(times)} calls)",
            p50 <= 25,
        )
    )


# 4. overview ------------------------------------------------------------------


def overview(run: Run, day: date, tmp: Path) -> None:
    """Set-up A: every source (CPR, relations, data) answers after 50 ms; a decision
    cannot avoid two waits (the facts, read in parallel, then the data).
    Set-up B: the facts answer at once, the data after 50 ms: one wait."""
    if not wrk.available():
        raise wrk.WrkMissing("wrk not found (Debian package wrk): the overview bench needs it")
    child = README_BODY["resource"]["child_cpr"]  # type: ignore[index]
    path = f"/v1/children/{child}/overview?purpose=social_case_work"
    results: dict[str, Any] = {}
    with contextlib.ExitStack() as stack:
        sandboxes = {
            "A": SandboxProcess(delay=SOURCE_DELAY, facts_delay=SOURCE_DELAY, day=day),
            "B": SandboxProcess(delay=SOURCE_DELAY, facts_delay=0.0, day=day),
        }
        services = {
            name: ServiceProcess(
                tmp / f"overview-{name}",
                env={**_env(day), **sandbox.service_env()},
                log=tmp / f"overview-{name}.log",
                workers=run.workers,
            )
            for name, sandbox in sandboxes.items()
        }
        start_together(stack, list(sandboxes.values()))  # the services read them at start
        start_together(stack, list(services.values()))
        for name in ("A", "B"):
            service, sandbox = services[name], sandboxes[name]
            token = service.token(*CASEWORKER)
            url = service.url + path
            wrk.run(url, connections=4, seconds=2, token=token)  # warm up
            direct = wrk.run(sandbox.source_url(child), connections=1, seconds=run.seconds(4))
            single = wrk.run(url, connections=1, seconds=run.seconds(8), token=token)
            results[name] = {"direct": asdict(direct), "single": asdict(single)}
            if name == "A":
                loaded = wrk.run(url, connections=50, seconds=run.seconds(10), token=token)
                results[name]["concurrent"] = asdict(loaded)
    run.raw["overview"] = results
    waits = {"A": 2, "B": 1}
    over: dict[str, tuple[float, float]] = {}
    for name, r in results.items():
        d, s = r["direct"], r["single"]
        over[name] = (
            s["p50_ms"] - waits[name] * d["p50_ms"],
            s["p99_ms"] - waits[name] * d["p99_ms"],
        )
        say(
            f"set-up {name} ({'all sources' if name == 'A' else 'data sources'} after 50 ms, "
            f"{waits[name]} wait(s) unavoidable): one source direct p50 {d['p50_ms']:.1f} / "
            f"p99 {d['p99_ms']:.1f} ms; overview one at a time p50 {s['p50_ms']:.1f} / "
            f"p99 {s['p99_ms']:.1f} ms; above the sources p50 {over[name][0]:.1f} / "
            f"p99 {over[name][1]:.1f} ms; partial {s['partial']}"
        )
    c = results["A"]["concurrent"]
    rate = c["requests"] / c["seconds"] if c["seconds"] else 0.0
    failed = c["bad_status"] + c["partial"] + c["timeouts"]
    say(
        f"overview, 50 concurrent (set-up A): {rate:,.0f} overviews/s, p50 {c['p50_ms']:.0f} ms, "
        f"p99 {c['p99_ms']:.0f} ms; not answered in time {c['partial']}, "
        f"client timeouts {c['timeouts']}, bad status {c['bad_status']} of {c['requests']}"
    )
    run.rows.append(
        Row(
            "4 overview, 50 concurrent",
            ">= 200/s, no timeouts",
            f"{rate:,.0f}/s, {failed} of {c['requests']} not answered in time",
            rate >= 200 and failed == 0,
        )
    )
    met = all(p50 <= 5 and p99 <= 20 for p50, p99 in over.values())
    run.rows.append(
        Row(
            "4 overview, one at a time",
            "<= 5 ms p50 / <= 20 ms p99 above source",
            f"A (2 waits) {over['A'][0]:.0f} / {over['A'][1]:.0f} ms; "
            f"B (1 wait) {over['B'][0]:.0f} / {over['B'][1]:.0f} ms",
            met,
        )
    )


def start_together(
    stack: contextlib.ExitStack, processes: Sequence[contextlib.AbstractContextManager[Any]]
) -> None:
    """Start processes side by side (each waits for its readiness in its own
    thread), to keep `make bench` short; all are stopped when `stack` closes,
    also when one of them failed to start."""
    for process in processes:
        stack.callback(process.__exit__, None, None, None)
    with ThreadPoolExecutor(len(processes)) as pool:
        for started in [pool.submit(process.__enter__) for process in processes]:
            started.result()


# 6. cost growth -----------------------------------------------------------------


def _growth_raw(result: growth.Growth) -> dict[str, Any]:
    return {
        "p50_ms": {f"{n},{k}": round(v, 3) for (n, k), v in result.p50_ms.items()},
        "samples": {f"{n},{k}": v for (n, k), v in result.samples.items()},
        "worst_size_slope": round(result.worst_size_slope, 3),
        "worst_category_slope": round(result.worst_category_slope, 3),
        "changed": result.changed,
    }


def cost_growth(run: Run, day: date, tmp: Path) -> None:
    """The service's engine, and the interpreter alone beside it, taking turns in
    each cell (bench/growth.py: the service's curve steps up where the
    interpreter takes over)."""
    sizes = [1, 10, 100] if run.quick else [1, 10, 100, 1000]
    budget = 0.3 if run.quick else 0.6
    measured = growth.measure_engines(sizes, budget, day, tmp / "growth", (True, False))
    result, alone = measured[True], measured[False]
    svg = BENCH_DIR / "results" / f"cost-growth-{run.label}.svg"
    growth.plot(result, svg, f"Decision cost growth, embedded engine ({run.label}, {day})")
    say("the service's engine (compiled; the interpreter beyond the machine's budget):")
    for line in growth.report(result):
        say(line)
    say("the interpreter alone (the policy's own growth):")
    for line in growth.report(alone):
        say(line)
    # Never slower than the interpreter, cell by cell (with the same noise margin).
    slower = [
        cell
        for cell, ms in result.p50_ms.items()
        if cell in alone.p50_ms and ms > alone.p50_ms[cell] * growth.LINEAR_SLOPE
    ]
    run.raw["growth"] = _growth_raw(result)
    run.raw["growth_interpreter"] = _growth_raw(alone) | {"service_slower_cells": slower}
    say(f"plot: {shown(svg)}")
    run.rows.append(
        Row(
            "6 cost growth",
            "linear or better (log-log slope <= 1)",
            f"interpreter slope {alone.worst_size_slope:.2f} vs N ({sizes[-2]:,}-{sizes[-1]:,}), "
            f"{alone.worst_category_slope:.2f} vs categories; service (compiled, the "
            f"interpreter past the budget) {result.worst_size_slope:.2f} vs N, "
            f"{result.worst_category_slope:.2f} vs categories, slower than the "
            f"interpreter in {len(slower)} of {len(result.p50_ms)} cells",
            alone.linear_or_better
            and result.worst_category_slope <= growth.LINEAR_SLOPE
            and not slower
            and not (result.changed or alone.changed),
        )
    )


# summary ------------------------------------------------------------------------


def summary(run: Run, wall: float) -> None:
    width = [max(len(r.target) for r in run.rows), max(len(r.goal) for r in run.rows)]
    say(
        f"\n== issue 12 targets ({run.label}; services with {run.workers} workers; "
        f"load average {load_average()}) =="
    )
    say(f"| {'target':<{width[0]}} | {'goal':<{width[1]}} | measured | verdict |")
    say(f"|{'-' * (width[0] + 2)}|{'-' * (width[1] + 2)}|---|---|")
    for r in run.rows:
        say(f"| {r.target:<{width[0]}} | {r.goal:<{width[1]}} | {r.measured} | {r.verdict} |")
    say("target 2 (same decisions) is checked by the impact corpus, not here.")
    for note in run.notes:
        say(f"NOTE: {note}")
    say(f"make bench wall time: {wall:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.targets", description=__doc__)
    parser.add_argument("--label", default="latest", help="names the result files")
    parser.add_argument("--quick", action="store_true", help="a third of the durations")
    parser.add_argument("--skip", default="", help=f"comma-separated, of: {', '.join(SECTIONS)}")
    parser.add_argument(
        "--workers",
        type=int,
        default=WORKERS,
        help=f"the services' worker processes (default {WORKERS})",
    )
    args = parser.parse_args()
    skip = {s for s in args.skip.split(",") if s}
    unknown = skip - set(SECTIONS)
    if unknown:
        parser.error(f"unknown section(s): {', '.join(sorted(unknown))}")
    if args.workers < 1:
        parser.error("--workers must be at least 1")
    run = Run(label=args.label, quick=args.quick, workers=args.workers)
    day = date.today()
    started = time.perf_counter()
    run.raw["started"] = datetime.now(UTC).isoformat(timespec="seconds")
    run.raw["load_average_start"] = load_average()
    run.raw["workers"] = run.workers
    with tempfile.TemporaryDirectory(prefix="hoi-bench-") as tmp_name:
        tmp = Path(tmp_name)
        if "decisions" not in skip:
            section(
                run,
                "engine (bench.decisions)",
                [Row("1 engine", GOALS["1"], "", None)],
                lambda: engine(run),
            )
        server_sections = {"api", "authzen"} - skip
        if server_sections:
            rows = [Row("3, 5, 7 API server", GOALS["3"], "", None)]
            section(run, "API server", rows, lambda: api(run, day, tmp, server_sections))
        if "overview" not in skip:
            rows = [Row("4 overview", GOALS["4"], "", None)]
            section(run, "overview", rows, lambda: overview(run, day, tmp))
        if "growth" not in skip:
            rows = [Row("6 cost growth", GOALS["6"], "", None)]
            section(run, "cost growth", rows, lambda: cost_growth(run, day, tmp))
    wall = time.perf_counter() - started
    run.raw["wall_seconds"] = round(wall, 1)
    run.raw["load_average_end"] = load_average()
    run.raw["rows"] = [asdict(r) | {"verdict": r.verdict} for r in run.rows]
    out = BENCH_DIR / "results" / f"{run.label}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(run.raw, indent=2, sort_keys=True) + "\n")
    summary(run, wall)
    say(f"results: {shown(out)}")


if __name__ == "__main__":
    main()
