"""The evaluation report: suppressed tables as CSV, charts as SVG, one HTML page.

`build` reads the period's audit records, computes the tables
(`evaluation.figures`), suppresses small cells (`evaluation.suppression`) and
writes `DIR/index.html`, `DIR/<table>.csv` and `DIR/<chart>.svg`. Only
published (unsuppressed) figures reach any file; a hidden cell is written as
`suppressed`, and a chart leaves it out.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy import Engine

from evaluation import records
from evaluation.figures import MUNICIPAL_SECTORS, SECTOR_LABELS, Figures, compute
from evaluation.suppression import MIN_CHILDREN, TOTAL, Table, derivable_sum, suppress

SUPPRESSED = "suppressed"


@dataclass(frozen=True)
class Period:
    start: date
    end: date
    """Inclusive."""

    def bounds(self) -> tuple[datetime, datetime]:
        """[start, end): from the first day's midnight to the midnight after the last (UTC)."""
        start = datetime.combine(self.start, time(0), tzinfo=UTC)
        end = datetime.combine(self.end + timedelta(days=1), time(0), tzinfo=UTC)
        return start, end


LINKS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "gp_window": ("lookups", "rows", ("gp",)),
    "gp_days_outside": ("gp_window", "columns", ("outside_window",)),
    "municipal_lookups": ("lookups", "columns", MUNICIPAL_SECTORS),
    "municipal_overviews": ("overviews", "columns", MUNICIPAL_SECTORS),
}
"""Tables whose totals another table publishes: name -> (the other table, whether
this table's months are its rows or its columns, the other's columns that add up
to this table's month). The GP lookups of a month are the `gp` cell of
`lookups`; the lookups outside the window are a column of `gp_window`; the
municipal units' lookups are the family department's and PPR's."""


def link(figures: Figures, table: Table) -> None:
    """Mark the totals of `table` that the already suppressed table it adds up to
    gives away (`LINKS`), so that suppressing `table` treats them as public and
    protects its small cells against them too."""
    if table.name not in LINKS:
        return
    source_name, months_are, columns = LINKS[table.name]
    source = figures.table(source_name)
    for month in [*(table.rows if months_are == "rows" else table.columns), TOTAL]:
        key = (month, TOTAL) if months_are == "rows" else (TOTAL, month)
        value = derivable_sum(source, [(month, c) for c in columns])
        if value is not None and value == table.cell(*key).value:
            table.known[key] = value


def figures_for(
    db: Engine,
    period: Period,
    recipient_type: Any,
    municipality_of: Callable[[str], str | None] = lambda _: None,
) -> Figures:
    start, end = period.bounds()
    figures = compute(
        records.period(db, start, end),
        records.consents(db, end),
        recipient_type=recipient_type,
        municipality_of=municipality_of,
    )
    return publish(figures)


def publish(figures: Figures) -> Figures:
    """Suppress every table, each after the tables it adds up to (`LINKS`)."""
    for table in figures.tables:
        link(figures, table)
        suppress(table)
    return figures


def label(value: str) -> str:
    return SECTOR_LABELS.get(value, value.replace("_", " "))


def rows_of(table: Table) -> list[list[str]]:
    """The table as published: a header, a row per row label and a totals row."""
    header = [table.name, *table.columns, TOTAL]
    body = []
    for row in [*table.rows, TOTAL]:
        cells = [table.published(row, c) for c in [*table.columns, TOTAL]]
        body.append([row, *(SUPPRESSED if v is None else str(v) for v in cells)])
    return [header, *body]


def to_csv(table: Table) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows_of(table))
    return out.getvalue()


def _chart(table: Table, path: Path, *, by: str, title: str, share_of: Table | None = None) -> bool:
    """A bar chart of the published figures: `by` 'columns' groups rows' bars by
    column (months by sector), 'shares' stacks each row's columns as shares of its
    total, 'total' draws each row's total (or its share of `share_of`'s published
    total). False when nothing can be drawn."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams["svg.hashsalt"] = "hoi-evaluation"  # the same figures, the same file
    fig, ax = plt.subplots(figsize=(8, 4.2))
    drawn = False
    if by == "columns":
        width = 0.8 / max(1, len(table.columns))
        for i, column in enumerate(table.columns):
            xs, ys = [], []
            for j, row in enumerate(table.rows):
                shown = table.published(row, column)
                if shown is not None and shown > 0:
                    xs.append(j + i * width)
                    ys.append(shown)
            if ys:
                ax.bar(xs, ys, width=width, label=label(column))
                drawn = True
        ax.set_xticks([j + 0.4 - width / 2 for j in range(len(table.rows))], table.rows)
        if drawn:
            ax.legend(
                fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=4, frameon=False
            )
    elif by == "shares":
        rows = [
            r
            for r in table.rows
            if table.published(r, TOTAL)
            and all(table.published(r, c) is not None for c in table.columns)
        ]
        left = [0.0] * len(rows)
        for column in table.columns:
            shares = [
                100 * (table.published(r, column) or 0) / (table.published(r, TOTAL) or 1)
                for r in rows
            ]
            if any(shares):
                ax.barh([label(r) for r in rows], shares, left=left, label=label(column))
                left = [a + b for a, b in zip(left, shares, strict=True)]
                drawn = True
        ax.invert_yaxis()
        ax.set_xlim(0, 100)
        ax.set_xlabel("% of calls")
        if drawn:
            ax.legend(
                fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=5, frameon=False
            )
    else:
        names: list[str] = []
        values: list[float] = []
        for row in table.rows:
            count = table.published(row, TOTAL)
            if count is None:
                continue
            value = float(count)
            if share_of is not None:
                whole = share_of.published(row, TOTAL)
                if not whole:
                    continue
                value = round(100 * count / whole, 1)
            names.append(label(row))
            values.append(value)
        if any(values):
            ax.barh(names, values, color="#3b6ea5")
            ax.invert_yaxis()
            drawn = True
        if share_of is not None:
            ax.set_xlim(0, 100)
            ax.set_xlabel("% permitted")
    ax.set_title(title, fontsize=11)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    if drawn:
        fig.savefig(path, format="svg", metadata={"Date": None})
    plt.close(fig)
    return drawn


CHARTS = [
    ("lookups", "columns", "Lookups per month, by sector", None),
    ("categories_permitted", "total", "Share of categories permitted", "categories_asked"),
    ("deny_reasons", "total", "Why categories were denied", None),
    (
        "source_calls",
        "shares",
        "Source calls by outcome (sources with every figure published)",
        None,
    ),
    ("consent_after_deny", "total", "From a missing-consent deny to a consent", None),
    ("gp_window", "columns", "GP lookups and the consultation window, per month", None),
    (
        "gp_days_outside",
        "total",
        "GP lookups outside the window, by days outside (hidden figures left out)",
        None,
    ),
    ("municipal_lookups", "columns", "Lookups by municipal units, per municipality", None),
    (
        "municipal_permitted",
        "total",
        "Share of municipal units' lookups that permitted a category",
        "municipal_lookups",
    ),
]

NOTES = {
    "gp_window": (
        "The simultaneity barrier: a GP may look up from 14 days before a consultation to "
        "30 days after it (policy data). Outside means the policy denied for want of the "
        "relation and measured how far the nearest consultation's window was; no "
        "consultation means the clinic had none with the child; not weighed means every "
        "category stopped before the relation was looked at."
    ),
    "gp_days_outside": (
        "Whole days from the lookup to the nearest consultation's window, as the policy "
        "measured them on the deny (never from source data)."
    ),
    "municipal_lookups": (
        "By the municipality of the requesting unit (family department or PPR), from the "
        "organisation register; GPs and psychiatry belong to no municipality."
    ),
}
"""A sentence under a table, where its figures need one."""


def chart_svg(figures: Figures, name: str) -> str | None:
    """One of `CHARTS` drawn from the suppressed figures, as SVG text (the pages
    serve it); None for an unknown name or when nothing can be drawn."""
    import tempfile

    chart = next((c for c in CHARTS if c[0] == name), None)
    if chart is None:
        return None
    _, by, title, share = chart
    share_of = figures.table(share) if share else None
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / f"{name}.svg"
        if not _chart(figures.table(name), path, by=by, title=title, share_of=share_of):
            return None
        return path.read_text(encoding="utf-8")


def build(
    db: Engine,
    period: Period,
    out: Path,
    *,
    recipient_type: Any,
    municipality_of: Callable[[str], str | None] = lambda _: None,
) -> Figures:
    """Write the report for `period` into `out`; returns the suppressed figures."""
    out.mkdir(parents=True, exist_ok=True)
    figures = figures_for(db, period, recipient_type, municipality_of)
    for table in figures.tables:
        (out / f"{table.name}.csv").write_text(to_csv(table), encoding="utf-8")
    charts = []
    for name, by, title, share in CHARTS:
        share_of = figures.table(share) if share else None
        if _chart(figures.table(name), out / f"{name}.svg", by=by, title=title, share_of=share_of):
            charts.append({"file": f"{name}.svg", "title": title})
    env = Environment(
        loader=PackageLoader("evaluation", "templates"), autoescape=select_autoescape()
    )
    html = env.get_template("report.html").render(
        period=period,
        tables=[
            {"table": t, "rows": rows_of(t), "note": NOTES.get(t.name)} for t in figures.tables
        ],
        charts=charts,
        minimum=MIN_CHILDREN,
        suppressed=SUPPRESSED,
        label=label,
    )
    (out / "index.html").write_text(html, encoding="utf-8")
    return figures
