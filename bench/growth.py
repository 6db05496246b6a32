"""How the embedded engine's decision cost grows with the child's registry and
with the categories asked (issue 12, target 6).

    .venv/bin/python -m bench.growth [--sizes 1,10,100,1000] [--budget 1.0] [--svg PATH]

One real engine input (the README's caseworker asking about Alma, built by the
service's own information point) is grown with N filler consents and N filler
blocks (N = 1, 10, 100, 1,000). The fillers are the kinds a busy registry holds:
consents to other organisations, some expired, some revoked; blocks against
other professionals and other organisations. None of them concerns the
requester, so the decision must stay the same, and the bench checks that it
does. Each size up to 100 is asked for 1 to 6 categories; 1,000 for 1 and 6
(it takes seconds per decision today; `--full-grid` asks every count).

Growth is judged on log-log axes: the slope of latency against N between the
two largest sizes (where the fixed cost no longer hides the growth; 1 is
linear) and of latency against the number of categories. "Linear or better"
means a slope of at most 1.15 (a margin for timing noise on a shared machine).

The service's engine runs the policy compiled to regorus's virtual machine, whose
instruction budget (25,000, fixed in the pinned wheel) a child with a couple of
hundred consents and blocks exceeds; such a decision is made by the interpreter.
So the service's curve steps up where the interpreter takes over, and `make
bench` measures the interpreter alone beside it: the policy's growth is the
interpreter's slope, and the service is never slower than the interpreter.
"""

from __future__ import annotations

import argparse
import copy
import math
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from bench.common import Engine, categories, decision_outline, engine_document

README_REQUEST: dict[str, Any] = {
    "subject": {
        "id": "cw-851-family-1",
        "role": "municipal_caseworker",
        "organisation": {"type": "municipality", "id": "851-family"},
    },
    "action": "view",
    "resource": {"child_cpr": "6809144615", "categories": []},
    "context": {"purpose": "social_case_work"},
}
LINEAR_SLOPE = 1.15


@dataclass
class Growth:
    sizes: list[int]
    category_counts: list[int]
    p50_ms: dict[tuple[int, int], float] = field(default_factory=dict)
    samples: dict[tuple[int, int], int] = field(default_factory=dict)
    changed: list[str] = field(default_factory=list)

    def full_rows(self) -> list[int]:
        """Category counts measured at every size."""
        return [k for k in self.category_counts if all((n, k) in self.p50_ms for n in self.sizes)]

    def full_columns(self) -> list[int]:
        """Sizes measured at every category count."""
        return [n for n in self.sizes if all((n, k) in self.p50_ms for k in self.category_counts)]

    def size_slope(self, k: int) -> float:
        """Log-log slope of latency against N between the two largest sizes."""
        a, b = self.sizes[-2], self.sizes[-1]
        return _slope([a, b], [self.p50_ms[a, k], self.p50_ms[b, k]])

    def size_fit(self, k: int) -> float:
        """Least-squares log-log slope over every size."""
        return _slope(self.sizes, [self.p50_ms[n, k] for n in self.sizes])

    def category_slope(self, n: int) -> float:
        ks = self.category_counts
        return _slope(ks, [self.p50_ms[n, k] for k in ks])

    @property
    def worst_size_slope(self) -> float:
        return max(self.size_slope(k) for k in self.full_rows())

    @property
    def worst_category_slope(self) -> float:
        return max(self.category_slope(n) for n in self.full_columns())

    @property
    def linear_or_better(self) -> bool:
        return self.worst_size_slope <= LINEAR_SLOPE and self.worst_category_slope <= LINEAR_SLOPE


def _slope(xs: list[int], ys: list[float]) -> float:
    lx = [math.log10(x) for x in xs]
    ly = [math.log10(max(y, 1e-9)) for y in ys]
    mx, my = statistics.fmean(lx), statistics.fmean(ly)
    den = sum((x - mx) ** 2 for x in lx)
    return sum((x - mx) * (y - my) for x, y in zip(lx, ly, strict=True)) / den if den else 0.0


def grown(base: dict[str, Any], n: int, day: date, cats: list[str]) -> dict[str, Any]:
    """`base` with n filler consents and n filler blocks that concern nobody asking."""
    doc = copy.deepcopy(base)
    holders = list(doc["child"]["custody_holders"]) or ["bench-holder"]
    facts = doc["facts"]
    for i in range(n):
        given = day - timedelta(days=30 + i % 300)
        facts["consents"].append(
            {
                "id": f"bench-consent-{i}",
                "regime": "sul-43-1",
                "giver": holders[i % len(holders)],
                "capacity": "custody_holder",
                "categories": [cats[i % len(cats)], cats[(i + 1) % len(cats)]],
                "recipient": {"organisation_type": None, "organisation_id": f"bench-org-{i}"},
                "purposes": [],
                "form": "written",
                "given_on": given.isoformat(),
                # every fifth has expired, every seventh was revoked
                "valid_until": (
                    day - timedelta(days=1) if i % 5 == 4 else given + timedelta(days=365)
                ).isoformat(),
                "revoked_at": f"{(given + timedelta(days=3)).isoformat()}T10:00:00Z"
                if i % 7 == 6
                else None,
                "superseded_by": None,
            }
        )
        kind = "professional" if i % 2 == 0 else "organisation"
        facts["blocks"].append(
            {
                "id": f"bench-block-{i}",
                "target": {
                    "kind": kind,
                    "id": f"bench-{kind}-{i}",
                    "include_sub_units": False,
                    "sub_units": [],
                },
                "categories": [] if i % 3 == 0 else [cats[i % len(cats)]],
                "valid_from": (day - timedelta(days=10 + i % 100)).isoformat(),
                "valid_until": None,
                "lifted_at": None,
            }
        )
    return doc


def measure(
    sizes: list[int],
    budget_s: float,
    day: date,
    var_dir: Path,
    *,
    full_grid: bool = False,
    min_samples: int = 5,
) -> Growth:
    """Median latency per (size, category count), on the service's engine (the
    compiled program, the interpreter beyond its instruction budget). The largest
    size is measured at 1 and at every category only (unless `full_grid`)."""
    return measure_engines(
        sizes, budget_s, day, var_dir, (True,), full_grid=full_grid, min_samples=min_samples
    )[True]


def measure_engines(
    sizes: list[int],
    budget_s: float,
    day: date,
    var_dir: Path,
    modes: tuple[bool, ...],
    *,
    full_grid: bool = False,
    min_samples: int = 5,
) -> dict[bool, Growth]:
    """`measure` on several engines (compiled or not), taking turns sample by
    sample in each cell, so that a change in the machine's load weighs on all alike."""
    cats = categories()
    counts = list(range(1, len(cats) + 1))
    results = {mode: Growth(sizes=sizes, category_counts=counts) for mode in modes}
    engines = {mode: Engine(compiled=mode) for mode in modes}
    try:
        for k in counts:
            request = copy.deepcopy(README_REQUEST)
            request["resource"]["categories"] = cats[:k]
            base = engine_document(request, day, var_dir)
            expected = decision_outline(engines[modes[0]].evaluate(base))
            for n in sizes:
                if n == sizes[-1] and not full_grid and k not in (1, len(cats)):
                    continue
                doc = grown(base, n, day, cats)
                times: dict[bool, list[float]] = {}
                for mode, engine in engines.items():
                    t0 = time.perf_counter_ns()
                    outline = decision_outline(engine.evaluate(doc))  # also the warm-up
                    times[mode] = [(time.perf_counter_ns() - t0) / 1e6]
                    if outline != expected:
                        results[mode].changed.append(f"{n} fillers, {k} categories")
                # A cell slower than the budget counts its first evaluation only.
                if max(found[0] for found in times.values()) <= budget_s * 1000:
                    times = {mode: [] for mode in modes}
                    started = time.perf_counter()
                    while len(times[modes[0]]) < min_samples or (
                        time.perf_counter() - started < budget_s * len(modes)
                        and len(times[modes[0]]) < 200
                    ):
                        for mode, engine in engines.items():
                            t0 = time.perf_counter_ns()
                            engine.evaluate(doc)
                            times[mode].append((time.perf_counter_ns() - t0) / 1e6)
                for mode, found in times.items():
                    results[mode].p50_ms[n, k] = statistics.median(found)
                    results[mode].samples[n, k] = len(found)
    finally:
        for engine in engines.values():
            engine.close()
    return results


def plot(result: Growth, svg: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams["svg.hashsalt"] = "hoi-bench"  # stable ids: diffs show data changes
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.5))
    for k in result.category_counts:
        measured = [n for n in result.sizes if (n, k) in result.p50_ms]
        left.plot(
            measured,
            [result.p50_ms[n, k] for n in measured],
            marker="o",
            label=f"{k} categor{'y' if k == 1 else 'ies'}",
        )
    n0, n1 = result.sizes[-2], result.sizes[-1]
    top = max(result.p50_ms[n0, k] for k in result.full_rows())
    left.plot([n0, n1], [top, top * n1 / n0], "k:", label="linear (slope 1)")
    left.set_xscale("log")
    left.set_yscale("log")
    left.set_xlabel("filler consents + filler blocks on the child (N each)")
    left.set_ylabel("decision p50 (ms), embedded engine")
    left.legend(fontsize=7)
    left.grid(True, which="both", alpha=0.3)
    for n in result.sizes:
        measured = [k for k in result.category_counts if (n, k) in result.p50_ms]
        right.plot(
            measured,
            [result.p50_ms[n, k] for k in measured],
            marker="o",
            label=f"N = {n:,}",
        )
    right.set_xscale("log")
    right.set_yscale("log")
    right.set_xticks(result.category_counts, [str(k) for k in result.category_counts])
    right.set_xlabel("categories asked")
    right.set_ylabel("decision p50 (ms)")
    right.legend(fontsize=7)
    right.grid(True, which="both", alpha=0.3)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    svg.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(svg, format="svg", metadata={"Date": None})
    plt.close(fig)


def report(result: Growth) -> list[str]:
    ks = result.category_counts
    lines = ["| N consents + N blocks | " + " | ".join(f"{k} cat. ms" for k in ks) + " |"]
    lines.append("|---|" + "---|" * len(ks))
    for n in result.sizes:
        cells = " | ".join(
            f"{result.p50_ms[n, k]:.2f}" if (n, k) in result.p50_ms else "-" for k in ks
        )
        lines.append(f"| {n:,} | {cells} |")
    n0, n1 = result.sizes[-2], result.sizes[-1]
    lines.append("")
    lines.append(
        f"log-log slope against N ({n0:,} to {n1:,}), per category count: "
        + ", ".join(f"{k}: {result.size_slope(k):.2f}" for k in result.full_rows())
        + f" (least squares over all sizes: {result.size_fit(ks[-1]):.2f} at {ks[-1]} categories)"
    )
    lines.append(
        "log-log slope against categories, per N: "
        + ", ".join(f"{n:,}: {result.category_slope(n):.2f}" for n in result.full_columns())
    )
    verdict = "linear or better" if result.linear_or_better else "WORSE than linear"
    lines.append(
        f"growth: {verdict} (worst slope {result.worst_size_slope:.2f} against N, "
        f"{result.worst_category_slope:.2f} against categories; linear is 1)"
    )
    if result.changed:
        changed = "; ".join(result.changed)
        lines.append(f"DECISIONS CHANGED by the fillers (fix the bench): {changed}")
    else:
        lines.append("decisions unchanged by the fillers: yes (decision, fields, reason codes)")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.growth", description=__doc__)
    parser.add_argument("--sizes", default="1,10,100,1000")
    parser.add_argument("--budget", type=float, default=1.0, help="seconds per measured cell")
    parser.add_argument("--svg", type=Path, default=Path("bench/results/cost-growth-latest.svg"))
    parser.add_argument("--full-grid", action="store_true", help="every category at every size")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    with tempfile.TemporaryDirectory(prefix="hoi-bench-") as tmp:
        result = measure(sizes, args.budget, date.today(), Path(tmp), full_grid=args.full_grid)
    plot(result, args.svg, "Decision cost growth (embedded engine)")
    print("\n".join(report(result)))
    print(f"plot: {args.svg}")


if __name__ == "__main__":
    main()
