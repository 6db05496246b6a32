"""`make dashboard`: the Grafana dashboard rendered from a real run, from its own
queries, without Grafana (its server is under the AGPL and not used here).

One run: the local cluster (`cluster/local.py`: PostgreSQL, sandbox sources, bundle
server, an OPA sidecar per replica, three replicas, HAProxy), a Prometheus server
scraping every replica's `/metrics` and every sidecar's every second into a
temporary directory, and a few minutes of mixed traffic through the balancer:
decisions (some categories permitted, some denied), a lookup denied for want of a
relation, the three overviews of the README, messages (one permitted, one
refused), refused tokens (forged, expired, malformed, missing, a single-use token
used twice), and one OPA sidecar stopped for a while and started again (its
replica fails closed, asked directly). Then every panel of every dashboard in
docs/grafana/ is drawn from its targets' expressions, asked of Prometheus with
`/api/v1/query_range` over the run, at the panel's place in the dashboard's grid.
A panel whose queries return nothing fails the run: the dashboard or the metrics
are wrong.

Prometheus is the one from the Go module proxy (`go install
github.com/prometheus/prometheus/cmd/prometheus@v0.316.0`, what `make dashboard`
does when there is none); only its HTTP API is used, not its web UI.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from cluster.load import DECISION
from cluster.local import ENGINE_DOWN_S, ROOT, Cluster, Replica
from cluster.processes import Process, StartError, free_port

DASHBOARDS = ROOT / "docs" / "grafana"
IMAGE = DASHBOARDS / "dashboard.png"
PROMETHEUS_MODULE = "github.com/prometheus/prometheus/cmd/prometheus@v0.316.0"
SCRAPE_S = 1
STEP_S = 2
RATE_INTERVAL = "10s"
"""What `$__rate_interval` stands for here. Grafana derives it from the scrape
interval and the panel's width (at least four scrapes); 10 s is ten scrapes,
smooth enough to read at a glance over a few minutes."""
VARIABLES = {"__rate_interval": RATE_INTERVAL, "__interval": f"{STEP_S}s"}
GRID_COLUMNS = 24
PALETTE = (
    "#7eb26d",
    "#eab839",
    "#6ed0e0",
    "#ef843c",
    "#e24d42",
    "#1f78c1",
    "#ba43a9",
    "#705da0",
    "#508642",
    "#cca300",
    "#447ebc",
    "#c15c17",
)
"""Grafana's classic series colours, in its order."""
DAY_S = 86400.0

# -- the requests ------------------------------------------------------------------

ALMA = "6809144615"
"""Alma Skitsholm: an open family case in Aalborg, a course at BUP Aalborg, the
parents' written § 43 consent for her caseworker (README, "Ask for a decision")."""


@dataclass(frozen=True)
class Caller:
    role: str
    org: str | None = None
    sub: str | None = None
    health_professional: bool = False
    act: str | None = None
    name: str | None = None


CASEWORKER = Caller(
    "municipal_caseworker", "851-family", "cw-851-family-1", name="Synthetic Caseworker"
)
OTHER_CASEWORKER = Caller("municipal_caseworker", "787-family", "cw-787-family-1")
"""Thisted's family department: no case for Alma, so every category is denied."""
GP = Caller("gp", "gp-behandlerhuset-dokken", health_professional=True, name="Anna Lægesen")
EPJ = Caller("bup_psychiatrist", "bup-rn-aalborg-amb", health_professional=True, act="sys-epj")
PSYCHIATRIST = Caller(
    "bup_psychiatrist", "bup-rn-aalborg-amb", "psy-1", True, name="Synthetic Psychiatrist"
)
SYSTEM = Caller("system", sub="prometheus")


def mint_for(cluster: Cluster, caller: Caller, **options: Any) -> str:
    """A development token from the cluster's key, as `hoi token` would mint it."""
    from api.settings import DEV_ISSUER
    from auth.keys import dev_signing_key
    from auth.tokens import mint
    from policy.catalogue import catalogue

    organisation = None
    if caller.org is not None:
        (kind,) = catalogue().roles[caller.role].organisation_types
        organisation = {"type": kind, "id": caller.org}
    extra = dict(options.pop("extra", {}))
    if caller.name:
        extra["name"] = caller.name
    return mint(
        dev_signing_key(cluster.dev_key),
        issuer=DEV_ISSUER,
        audience="hoi-policy",
        subject=caller.sub or f"dev-{caller.role}-{caller.org}",
        role=caller.role,
        organisation=organisation,
        health_professional=caller.health_professional,
        actor=caller.act,
        extra=extra or None,
        **options,
    )


@dataclass(frozen=True)
class Ask:
    """One kind of request of the traffic mix."""

    name: str
    caller: Caller
    method: str
    path: str
    body: Mapping[str, Any] | None = None
    weight: int = 1
    expect: frozenset[int] = frozenset({200})


DENIED_LOOKUP: dict[str, Any] = {
    "action": "view",
    "resource": {"child_cpr": ALMA, "categories": ["psychiatry_contacts", "school_daycare"]},
    "context": {"purpose": "social_case_work"},
}
"""Alma's psychiatry and school asked for by a family department with no case for her."""
TREATMENT_NOTE = {
    "child_cpr": ALMA,
    "write_to": "org/gp-laegeklinikken-sulsted",
    "topic": "treatment",
    "title": "Synthetic treatment note",
    "text": "A synthetic note from the dashboard run.",
}
UNCONSENTED_NOTE = {
    "child_cpr": "6504154319",
    "write_to": "org/787/unit/787-family",
    "topic": "coordination",
    "title": "Synthetic coordination note",
    "text": "A synthetic note the policy refuses without the parents' consent.",
}
MIX = (
    Ask("decision", CASEWORKER, "POST", "/v1/decisions", DECISION, weight=10),
    Ask("denied lookup", OTHER_CASEWORKER, "POST", "/v1/decisions", DENIED_LOOKUP, weight=2),
    Ask(
        "overview (caseworker)",
        CASEWORKER,
        "GET",
        f"/v1/children/{ALMA}/overview?purpose=social_case_work",
        weight=2,
    ),
    Ask(
        "overview (GP)",
        GP,
        "GET",
        "/v1/children/6504154319/overview?purpose=treatment_preparation",
        weight=2,
    ),
    Ask(
        "overview (EPJ, blocked department)",
        EPJ,
        "GET",
        "/v1/children/8307134306/overview?purpose=current_treatment",
        weight=1,
    ),
    Ask(
        "message (permitted)",
        PSYCHIATRIST,
        "POST",
        "/v1/correspondence",
        TREATMENT_NOTE,
        expect=frozenset({202}),
    ),
    Ask(
        "message (refused)",
        GP,
        "POST",
        "/v1/correspondence",
        UNCONSENTED_NOTE,
        expect=frozenset({403}),
    ),
)
UNANSWERED = frozenset({0, 502, 503, 504})
OUTAGE_GRACE_S = 4 * ENGINE_DOWN_S
REFUSALS = ("forged", "expired", "malformed", "missing", "replayed")


@dataclass
class Tally:
    """What the clients sent and got back, by kind of request and HTTP status."""

    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    unexpected: dict[str, int] = field(default_factory=dict)
    """Answers a replica gave that the request should not get (a broken mix)."""
    unanswered: dict[str, int] = field(default_factory=dict)
    """No replica answered: no connection (0), or HAProxy's 502/503/504, as when
    every replica's 250 ms health check timed out on a crowded machine."""

    failed_closed: dict[str, int] = field(default_factory=dict)
    """Refused (403) by the replica whose engine had just stopped, before HAProxy
    took it out: the service failing closed, as it must."""

    def note(
        self, name: str, status: int, expected: Iterable[int], *, engine_stopping: bool = False
    ) -> None:
        by_status = self.counts.setdefault(name, {})
        by_status[str(status)] = by_status.get(str(status), 0) + 1
        if status in expected:
            return
        if status == 403 and engine_stopping:
            missed = self.failed_closed
        else:
            missed = self.unanswered if status in UNANSWERED else self.unexpected
        missed[name] = missed.get(name, 0) + 1


@dataclass
class Traffic:
    cluster: Cluster
    seconds: float
    concurrency: int = 6
    outage: bool = True
    tally: Tally = field(default_factory=Tally)
    events: list[tuple[float, float, str]] = field(default_factory=list)
    """(start, end, what), wall-clock seconds: drawn on every panel."""

    outage_began: float | None = None
    """time.monotonic() when the OPA sidecar was stopped."""

    def engine_stopping(self, sent: float) -> bool:
        """Sent while HAProxy may still route to the replica without its engine
        (two failed checks 250 ms apart, ENGINE_DOWN_S; longer on a crowded machine)."""
        began = self.outage_began
        return began is not None and began <= sent <= began + OUTAGE_GRACE_S

    def tokens(self) -> dict[Caller, str]:
        return {ask.caller: mint_for(self.cluster, ask.caller) for ask in MIX}

    async def run(self) -> Tally:
        tokens = self.tokens()
        rng = random.Random(15)  # noqa: S311 - a traffic mix, not a secret
        end = time.monotonic() + self.seconds
        weights = [ask.weight for ask in MIX]
        limits = httpx.Limits(max_connections=self.concurrency + 2)
        async with httpx.AsyncClient(
            base_url=self.cluster.balancer_url, limits=limits, timeout=10.0
        ) as client:

            async def one_client() -> None:
                while time.monotonic() < end:
                    (ask,) = rng.choices(MIX, weights)
                    headers = {"authorization": f"Bearer {tokens[ask.caller]}"}
                    sent = time.monotonic()
                    status = await send(client, ask.method, ask.path, ask.body, headers)
                    stopping = self.engine_stopping(sent)
                    self.tally.note(ask.name, status, ask.expect, engine_stopping=stopping)

            tasks = [one_client() for _ in range(self.concurrency)]
            tasks.append(self.refused_tokens(client, end))
            if self.outage and len(self.cluster.members) > 1:
                tasks.append(self.engine_outage(self.cluster.members[-1], tokens[CASEWORKER]))
            await asyncio.gather(*tasks)
        return self.tally

    async def refused_tokens(self, client: httpx.AsyncClient, end: float) -> None:
        """One refused token every two seconds, each reason in turn."""
        n = 0
        while time.monotonic() < end:
            reason = REFUSALS[n % len(REFUSALS)]
            n += 1
            if reason == "replayed":
                once = mint_for(self.cluster, CASEWORKER, extra={"single_use": True})
                headers = {"authorization": f"Bearer {once}"}
                first = await send(client, "POST", "/v1/decisions", DECISION, headers)
                self.tally.note("single-use token, first use", first, {200})
            else:
                headers = self.refused_header(reason)
            status = await send(client, "POST", "/v1/decisions", DECISION, headers)
            self.tally.note(f"token {reason}", status, {401})
            await asyncio.sleep(2.0)

    def refused_header(self, reason: str) -> dict[str, str]:
        if reason == "missing":
            return {}
        if reason == "malformed":
            return {"authorization": "Basic c3ludGhldGlj"}
        if reason == "expired":
            then = datetime.now(UTC) - timedelta(hours=2)
            token = mint_for(self.cluster, CASEWORKER, now=then, lifetime=timedelta(minutes=30))
            return {"authorization": f"Bearer {token}"}
        token = mint_for(self.cluster, CASEWORKER)
        return {"authorization": f"Bearer {token[:-6]}AAAAAA"}

    async def engine_outage(self, member: Replica, token: str) -> None:
        """From 40 % to 60 % of the run the replica's OPA sidecar is stopped: HAProxy
        takes the replica out, and decisions asked of it directly fail closed."""
        await asyncio.sleep(self.seconds * 0.4)
        began = time.time()
        self.outage_began = time.monotonic()
        member.opa.stop()
        stop_at = time.monotonic() + self.seconds * 0.2
        headers = {"authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(base_url=member.url, timeout=10.0) as direct:
            while time.monotonic() < stop_at:
                status = await send(direct, "POST", "/v1/decisions", DECISION, headers)
                self.tally.note(f"decision at {member.name} without its engine", status, {200})
                await asyncio.sleep(0.5)
        member.opa.start()
        self.events.append((began, time.time(), f"OPA sidecar of {member.name} stopped"))


async def send(
    client: httpx.AsyncClient,
    method: str,
    path: str,
    body: Mapping[str, Any] | None,
    headers: dict[str, str],
) -> int:
    try:
        response = await client.request(method, path, json=body, headers=headers)
    except httpx.HTTPError:
        return 0
    return response.status_code


# -- Prometheus ----------------------------------------------------------------------


def find_prometheus() -> str | None:
    """PROMETHEUS, else `prometheus` on PATH, else the one `go install` put in GOPATH/bin."""
    named = os.environ.get("PROMETHEUS") or shutil.which("prometheus")
    if named:
        return named
    go = shutil.which("go")
    if go is None:
        return None
    gopath = subprocess.run(  # noqa: S603 - the go on PATH, fixed arguments
        [go, "env", "GOPATH"], capture_output=True, text=True, check=False
    ).stdout.strip()
    candidate = Path(gopath) / "bin" / "prometheus"
    return str(candidate) if gopath and candidate.exists() else None


def scrape_config(cluster: Cluster, folder: Path, system_token: str) -> dict[str, Any]:
    """Every replica's /metrics with the monitoring system's token (one job), and
    every sidecar's with its own token (a job each, relabelled to job="opa")."""
    service_token = folder / "service-token"
    service_token.write_text(system_token, "utf-8")
    jobs: list[dict[str, Any]] = [
        {
            "job_name": "hoi",
            "authorization": {"type": "Bearer", "credentials_file": str(service_token)},
            "static_configs": [
                {"targets": [f"127.0.0.1:{m.port}"], "labels": {"replica": m.name}}
                for m in cluster.members
            ],
        }
    ]
    for member in cluster.members:
        token = folder / f"opa-{member.name}-token"
        token.write_text(member.opa_token, "utf-8")
        jobs.append(
            {
                "job_name": f"opa-{member.name}",
                "authorization": {"type": "Bearer", "credentials_file": str(token)},
                "static_configs": [
                    {
                        "targets": [f"127.0.0.1:{member.opa_port}"],
                        "labels": {"replica": member.name},
                    }
                ],
                "relabel_configs": [{"target_label": "job", "replacement": "opa"}],
            }
        )
    for path in folder.iterdir():
        path.chmod(0o600)
    return {
        "global": {"scrape_interval": f"{SCRAPE_S}s", "scrape_timeout": f"{SCRAPE_S}s"},
        "scrape_configs": jobs,
    }


@dataclass
class Prometheus:
    binary: str
    folder: Path
    port: int = 0
    process: Process | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, config: Mapping[str, Any]) -> Prometheus:
        config_file = self.folder / "prometheus.yml"
        config_file.write_text(json.dumps(config, indent=1), "utf-8")  # JSON is YAML
        config_file.chmod(0o600)
        self.port = free_port()
        self.process = Process(
            "prometheus",
            [
                self.binary,
                f"--config.file={config_file}",
                f"--storage.tsdb.path={self.folder / 'data'}",
                f"--web.listen-address=127.0.0.1:{self.port}",
                "--log.level=warn",
            ],
            {"PATH": os.environ.get("PATH", "")},
            self.folder / "prometheus.log",
        ).start()
        self.process.wait_http(self.url + "/-/ready", timeout=60)
        return self

    def version(self) -> str:
        """As the server reports it; a `go install` build reports none, so then the
        module version Go recorded in the binary."""
        info = httpx.get(self.url + "/api/v1/status/buildinfo", timeout=5).json()["data"]
        version = str(info.get("version") or "")
        if version and version != "unknown":
            return version
        go = shutil.which("go")
        if go is not None:
            recorded = subprocess.run(  # noqa: S603 - the go on PATH, fixed arguments
                [go, "version", "-m", self.binary], capture_output=True, text=True, check=False
            ).stdout
            found = re.search(
                r"^\s*mod\s+github\.com/prometheus/prometheus\s+v(\S+)", recorded, re.M
            )
            if found:
                return found.group(1)
        return "(version unknown)"

    def wait_for_targets(self, expected: int, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            targets = httpx.get(self.url + "/api/v1/targets", timeout=5).json()["data"]
            up = [t for t in targets["activeTargets"] if t["health"] == "up"]
            if len(up) >= expected:
                return
            time.sleep(0.5)
        raise StartError(f"Prometheus did not scrape {expected} targets; {self.url}/api/v1/targets")

    def query_range(self, expr: str, start: float, end: float) -> list[Series]:
        response = httpx.get(
            self.url + "/api/v1/query_range",
            params={"query": expr, "start": start, "end": end, "step": STEP_S},
            timeout=30,
        )
        body = response.json()
        if body.get("status") != "success":
            raise ValueError(f"{expr}: {body.get('errorType')}: {body.get('error')}")
        return [
            Series(
                dict(item["metric"]),
                [float(t) for t, _ in item["values"]],
                [float(v) for _, v in item["values"]],
            )
            for item in body["data"]["result"]
        ]

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()


# -- the panels -------------------------------------------------------------------------


@dataclass
class Series:
    labels: dict[str, str]
    times: list[float]
    values: list[float]

    @property
    def has_data(self) -> bool:
        return any(math.isfinite(v) for v in self.values)


def expand(expr: str) -> str:
    """The expression with the dashboard's variables put in; an unknown one is an error."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        if name not in VARIABLES:
            raise ValueError(f"no value for ${name} in {expr!r}")
        return VARIABLES[name]

    return re.sub(r"\$\{(\w+)\}|\$(\w+)", value, expr)


def legend(template: str, labels: Mapping[str, str]) -> str:
    """Grafana's legendFormat: {{label}} replaced by the series' value of it."""
    if not template or template == "__auto":
        return ", ".join(f"{k}={v}" for k, v in sorted(labels.items())) or "value"
    return re.sub(r"\{\{\s*(\w+)\s*\}\}", lambda m: labels.get(m.group(1), ""), template)


def overrides(panel: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Per refId: the properties of the panel's byFrameRefID overrides."""
    found: dict[str, dict[str, Any]] = {}
    for override in panel.get("fieldConfig", {}).get("overrides", []):
        matcher = override.get("matcher", {})
        if matcher.get("id") != "byFrameRefID":
            continue
        props = found.setdefault(str(matcher.get("options")), {})
        for prop in override.get("properties", []):
            props[prop["id"]] = prop["value"]
    return found


def unit_format(unit: str) -> Callable[[float, object], str]:
    def seconds(v: float, _: object) -> str:
        if v == 0:
            return "0"
        return f"{v * 1000:.3g} ms" if abs(v) < 1 else f"{v:.3g} s"

    def per_second(v: float, _: object) -> str:
        return f"{v:.3g}/s"

    def plain(v: float, _: object) -> str:
        return f"{v:.3g}"

    return {"s": seconds, "reqps": per_second}.get(unit, plain)


QueryRange = Callable[[str], list[Series]]


def panel_series(
    panel: Mapping[str, Any], query: QueryRange
) -> list[tuple[Mapping[str, Any], Series]]:
    return [
        (target, series)
        for target in panel.get("targets", [])
        for series in query(expand(target["expr"]))
    ]


def render(
    dashboard: Mapping[str, Any],
    query: QueryRange,
    out: Path,
    *,
    caption: list[str],
    events: Iterable[tuple[float, float, str]] = (),
    span: tuple[float, float] | None = None,
) -> dict[str, dict[str, int]]:
    """Draw every panel at its gridPos; returns, per panel and target, how many
    series had data. Raises EmptyPanels (after drawing) when a panel had none."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle
    from matplotlib.ticker import FuncFormatter

    panels = [p for p in dashboard["panels"] if p.get("type") != "row"]
    rows = max(p["gridPos"]["y"] + p["gridPos"]["h"] for p in panels)
    width = 18.0
    unit = width / GRID_COLUMNS
    row_height = unit * 0.75
    header = 0.8 + 0.22 * len(caption)
    height = rows * row_height + header
    fig = plt.figure(figsize=(width, height), dpi=110, facecolor="#f4f5f5")
    fig.text(0.01, 1 - 0.3 / height, dashboard.get("title", ""), fontsize=16, weight="bold")
    for n, line in enumerate(caption):
        fig.text(0.01, 1 - (0.58 + 0.22 * n) / height, line, fontsize=9, color="#444444")

    def box(x: float, y: float, w: float, h: float) -> tuple[float, float, float, float]:
        """Grid units to figure fractions (left, bottom, width, height)."""
        return (
            x * unit / width,
            1 - (header + (y + h) * row_height) / height,
            w * unit / width,
            h * row_height / height,
        )

    shown: dict[str, dict[str, int]] = {}
    empty: list[str] = []
    for panel in panels:
        grid = panel["gridPos"]
        left, bottom, w, h = box(grid["x"], grid["y"], grid["w"], grid["h"])
        pad = 0.004
        fig.patches.append(
            Rectangle(
                (left + pad, bottom + pad),
                w - 2 * pad,
                h - 2 * pad,
                transform=fig.transFigure,
                facecolor="white",
                edgecolor="#d8d9da",
                zorder=-1,
            )
        )
        top = bottom + h
        fig.text(
            left + 0.01, top - 0.3 / height, panel.get("title", ""), fontsize=10.5, weight="bold"
        )
        plot_height = top - 0.5 / height - (bottom + h * 0.36)
        axes = fig.add_axes((left + 0.045, bottom + h * 0.36, w - 0.075, plot_height))
        by_ref = overrides(panel)
        default_unit = panel.get("fieldConfig", {}).get("defaults", {}).get("unit", "")
        right = None
        peaks = {False: 0.0, True: 0.0}  # the largest value drawn: left axis, right axis
        counts: dict[str, int] = {}
        handles = []
        colours = iter(PALETTE * 4)
        for target, series in panel_series(panel, query):
            ref = str(target.get("refId", ""))
            counts[ref] = counts.get(ref, 0) + int(series.has_data)
            if not series.has_data:
                continue
            props = by_ref.get(ref, {})
            on = axes
            if props.get("custom.axisPlacement") == "right":
                if right is None:
                    right = axes.twinx()
                    right.yaxis.set_major_formatter(
                        FuncFormatter(unit_format(props.get("unit", "")))
                    )
                    right.tick_params(labelsize=7.5)
                on = right
            (drawn,) = on.plot(
                [t / DAY_S for t in series.times],  # matplotlib's dates: days since 1970
                series.values,
                linewidth=1.3,
                color=next(colours),
                linestyle="--" if on is right else "-",
                label=legend(target.get("legendFormat", ""), series.labels),
            )
            handles.append(drawn)
            finite = [v for v in series.values if math.isfinite(v)]
            peaks[on is right] = max(peaks[on is right], *finite)
        for target in panel.get("targets", []):
            counts.setdefault(str(target.get("refId", "")), 0)
        shown[panel.get("title", "")] = counts
        if not any(counts.values()):
            empty.append(panel.get("title", ""))
            axes.text(0.5, 0.5, "No data", ha="center", va="center", transform=axes.transAxes)
        axes.yaxis.set_major_formatter(FuncFormatter(unit_format(default_unit)))
        axes.xaxis.set_major_formatter(
            mdates.DateFormatter("%H:%M:%S", tz=UTC)  # type: ignore[no-untyped-call]
        )
        axes.tick_params(labelsize=7.5)
        if span is not None:
            axes.set_xlim(span[0] / DAY_S, span[1] / DAY_S)
        for scale, peak in ((axes, peaks[False]), (right, peaks[True])):
            if scale is None:
                continue
            if peak > 0:
                scale.set_ylim(0, peak * 1.08)
            else:  # only zeros: Grafana's 0 to 1, not matplotlib's -0.05 to 0.05
                scale.set_ylim(0, 1)
        axes.grid(True, color="#ececec", linewidth=0.6)
        for side in ("top", "right"):
            axes.spines[side].set_visible(False)
        for began, ended, _ in events:
            axes.axvspan(
                began / DAY_S,
                ended / DAY_S,
                color="#e02f44",
                alpha=0.08,
                linewidth=0,
            )
        if handles:
            axes.legend(
                handles=handles,
                loc="upper left",
                bbox_to_anchor=(0.0, -0.13),
                ncol=3 if len(handles) > 4 else 2,
                fontsize=7,
                frameon=False,
                handlelength=1.6,
                columnspacing=1.2,
            )
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, facecolor=fig.get_facecolor())
    plt.close(fig)
    if empty:
        raise EmptyPanels(empty, shown)
    return shown


class EmptyPanels(RuntimeError):
    def __init__(self, titles: list[str], shown: dict[str, dict[str, int]]) -> None:
        super().__init__(f"panels without data: {', '.join(titles)}")
        self.titles = titles
        self.shown = shown


# -- the run ------------------------------------------------------------------------------


def dashboards() -> list[tuple[Path, dict[str, Any]]]:
    return [
        (path, json.loads(path.read_text("utf-8"))) for path in sorted(DASHBOARDS.glob("*.json"))
    ]


def image_for(path: Path, out: Path, count: int) -> Path:
    """docs/grafana/dashboard.png for the one dashboard; one image per dashboard if more."""
    return out if count == 1 else out.with_name(f"{path.stem}.png")


def run(args: argparse.Namespace) -> int:
    binary = find_prometheus()
    if binary is None:
        print(
            "no prometheus binary: set PROMETHEUS, or "
            f"GOFLAGS=-mod=mod go install {PROMETHEUS_MODULE}",
            file=sys.stderr,
        )
        return 2
    cluster = Cluster(
        replicas=args.replicas, state=ROOT / "var" / "dashboard", database="hoi_dashboard"
    )
    prometheus: Prometheus | None = None
    with tempfile.TemporaryDirectory(prefix="hoi-prometheus-") as folder:
        try:
            print(f"starting the cluster ({args.replicas} replicas)", flush=True)
            cluster.start()
            scraping = mint_for(cluster, SYSTEM, lifetime=timedelta(hours=1))
            config = scrape_config(cluster, Path(folder), scraping)
            prometheus = Prometheus(binary, Path(folder)).start(config)
            prometheus.wait_for_targets(2 * len(cluster.members))
            version = prometheus.version()
            print(
                f"Prometheus {version} scraping every {SCRAPE_S} s; "
                f"traffic for {args.seconds:.0f} s",
                flush=True,
            )
            traffic = Traffic(cluster, args.seconds, args.concurrency, outage=not args.no_outage)
            started = time.time()
            tally = asyncio.run(traffic.run())
            ended = time.time()
            time.sleep(3 * SCRAPE_S)
            print(json.dumps(tally.counts, indent=1), flush=True)

            def query(expr: str) -> list[Series]:
                assert prometheus is not None
                return prometheus.query_range(expr, started, ended)

            span = (
                f"{datetime.fromtimestamp(started, UTC):%Y-%m-%d %H:%M:%S}"
                f" to {datetime.fromtimestamp(ended, UTC):%H:%M:%S} UTC"
            )
            caption = [
                f"Run {span} ({ended - started:.0f} s): {len(cluster.members)} replicas behind "
                f"HAProxy, each with its OPA sidecar, on PostgreSQL; {os.cpu_count()} cores "
                f"shared with other work (load average {os.getloadavg()[0]:.1f} at the end).",
                f"{args.concurrency} clients through the balancer: decisions, a denied lookup, "
                "overviews, messages (permitted and refused), refused tokens"
                + (
                    "; shaded: one OPA sidecar stopped, its replica asked directly"
                    if traffic.events
                    else ""
                )
                + ".",
                f"Rendered from the dashboard's own queries against Prometheus {version} "
                f"(query_range, step {STEP_S} s, scrape {SCRAPE_S} s, \\$__rate_interval = "
                f"{RATE_INTERVAL}) by `make dashboard`; Grafana is not used (AGPL).",
            ]
            found = dashboards()
            failed = False
            report: dict[str, Any] = {
                "run": span,
                "prometheus": version,
                "requests": tally.counts,
                "unanswered": tally.unanswered,
                "failed_closed": tally.failed_closed,
                "unexpected": tally.unexpected,
            }
            for path, dashboard in found:
                image = image_for(path, args.out, len(found))
                try:
                    shown = render(
                        dashboard,
                        query,
                        image,
                        caption=caption,
                        events=traffic.events,
                        span=(started, ended),
                    )
                except EmptyPanels as exc:
                    shown = exc.shown
                    failed = True
                    print(f"{path.name}: {exc}", file=sys.stderr)
                report[path.name] = shown
                print(f"{path.name} -> {image}", flush=True)
            (cluster.state / "dashboard-run.json").write_text(json.dumps(report, indent=1), "utf-8")
            print(json.dumps(report, indent=1))
            if tally.failed_closed:
                print(f"refused by the replica losing its engine: {tally.failed_closed}")
            if tally.unanswered:
                print(f"not answered (balancer, connection): {tally.unanswered}", file=sys.stderr)
            if tally.unexpected:
                print(f"answers not as expected: {tally.unexpected}", file=sys.stderr)
                failed = True
            return 1 if failed else 0
        finally:
            if prometheus is not None:
                prometheus.stop()
            cluster.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cluster.dashboard", description=__doc__)
    parser.add_argument("--seconds", type=float, default=180.0, help="traffic for this long")
    parser.add_argument("--concurrency", type=int, default=6)
    parser.add_argument("--replicas", type=int, default=3)
    parser.add_argument("--out", type=Path, default=IMAGE)
    parser.add_argument("--no-outage", action="store_true", help="keep every OPA sidecar up")
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
