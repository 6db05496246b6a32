"""`make cluster-test`: the cluster under load, through the balancer.

Phases, a few seconds each, one cluster, one run:

1. **scaling**: the same load with one, two and three replicas in rotation
   (HAProxy's runtime API puts the others in maintenance), in interleaved slices
   (1, 2, 3, 1, 2, 3, ...) so that what else the machine runs weighs on each alike;
2. **rollout**: a new policy revision is published to the bundle server mid-load;
   the sidecars poll it, verify its signature and switch. Every answer names the
   revision that made it: the mixed-revision window is measured, and no request
   may fail;
3. **kills**: one OPA sidecar, then another replica, are SIGKILLed mid-load.
   The replica without its engine must fail closed (no permit) until HAProxy
   takes it out, and the load goes on at the replica left.

Then the checks: every decision id a client received is in the audit trail,
`hoi audit verify` accepts the chain on PostgreSQL, and a pg_dump of the
database restored into a fresh one verifies too (the backup the README
describes). The report is printed and written to var/cluster/report.json; the
exit status is 1 when a check fails.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg

from cluster import haproxy
from cluster.bundles import policy_variant
from cluster.load import DECISION, Answer, Load, read_answer, throughput
from cluster.local import (
    ENGINE_DOWN_S,
    Cluster,
    hoi_argv,
    libpq,
    recreate_database,
    with_database,
)

ROLLOUT_EXTRA_S = 5.0
"""The rollout phase is this much longer than the others: publishing comes 1 s in,
and the sidecars took 2 to 3.3 s to answer with it on a crowded machine."""
ROUNDS = 3
"""The scaling steps are measured in this many interleaved slices each."""
CASEWORKER = {"sub": "cw-851-family-1", "role": "municipal_caseworker", "org": "851-family"}


@dataclass
class Check:
    name: str
    passed: bool
    detail: str


@dataclass
class Report:
    replicas: int
    seconds_per_phase: float
    concurrency: int
    throughput: dict[str, float] = field(default_factory=dict)
    ratio: dict[str, float] = field(default_factory=dict)
    rollout: dict[str, Any] = field(default_factory=dict)
    kills: dict[str, Any] = field(default_factory=dict)
    audit: dict[str, Any] = field(default_factory=dict)
    restore: dict[str, Any] = field(default_factory=dict)
    checks: list[Check] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    def check(self, name: str, passed: bool, detail: str) -> None:
        self.checks.append(Check(name, passed, detail))

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)


def caseworker_token(cluster: Cluster) -> str:
    from api.settings import DEV_ISSUER
    from auth.keys import dev_signing_key
    from auth.tokens import mint

    return mint(
        dev_signing_key(cluster.dev_key),
        issuer=DEV_ISSUER,
        audience="hoi-policy",
        subject=CASEWORKER["sub"],
        role=CASEWORKER["role"],
        organisation={"type": "municipality", "id": CASEWORKER["org"]},
        lifetime=timedelta(minutes=30),
    )


async def probe(replica_url: str, token: str, asks: int = 5) -> dict[str, Any]:
    """Ask the replica whose engine is down directly (past the balancer, which
    soon stops sending it anything): its readiness, and a few decisions."""
    headers = {"authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=replica_url, headers=headers, timeout=10.0) as client:
        ready = (await client.get("/readyz")).status_code
        answers = [
            read_answer(0.0, 0.0, await client.post("/v1/decisions", json=DECISION))
            for _ in range(asks)
        ]
    return {
        "readyz": ready,
        "asked": asks,
        "answered": sum(a.status == 200 for a in answers),
        "permits": sum(a.permitted for a in answers),
        "failed_closed": sum("engine_error" in a.reasons for a in answers),
        "decision_ids": [a.decision_id for a in answers if a.decision_id],
    }


def combined_throughput(runs: list[list[Answer]]) -> float:
    """Decisions a second over several slices: all decided, over their summed spans."""
    spans = [(len([a for a in r if a.ok]), throughput(r)) for r in runs]
    decided = sum(n for n, _ in spans)
    seconds = sum(n / rate for n, rate in spans if rate > 0)
    return decided / seconds if seconds else 0.0


def rollout_window(answers: list[Answer], old: str, new: str, published: float) -> dict[str, Any]:
    """When each replica first answered with the new revision and last with the old;
    the mixed window is the time both were being answered (last old answer received
    minus first new answer received; 0 when they never overlapped)."""
    per_replica: dict[str, dict[str, float | None]] = {}
    for name in sorted({a.replica for a in answers if a.replica}):
        mine = [a for a in answers if a.replica == name and a.ok]
        news = [a.received for a in mine if a.revision == new]
        olds = [a.received for a in mine if a.revision == old]
        per_replica[name] = {
            "last_old_s": round(max(olds) - published, 3) if olds else None,
            "first_new_s": round(min(news) - published, 3) if news else None,
        }
    olds = [a.received for a in answers if a.ok and a.revision == old]
    news = [a.received for a in answers if a.ok and a.revision == new]
    window = max(0.0, max(olds) - min(news)) if olds and news else 0.0
    return {
        "old_revision": old,
        "new_revision": new,
        "first_new_after_publish_s": round(min(news) - published, 3) if news else None,
        "last_old_after_publish_s": round(max(olds) - published, 3) if olds else None,
        "mixed_window_s": round(window, 3),
        "per_replica": per_replica,
        "answers": len(answers),
        "by_revision": {
            "old": sum(a.revision == old for a in answers),
            "new": sum(a.revision == new for a in answers),
        },
        "failed": sum(not a.ok for a in answers),
    }


def kill_findings(
    answers: list[Answer], engine_down: str, engine_down_at: float, killed: str, killed_at: float
) -> dict[str, Any]:
    after_engine = [a for a in answers if a.replica == engine_down and a.sent >= engine_down_at]
    # From when the balancer has seen both down: only the replica left may answer.
    tail = [a for a in answers if a.sent >= killed_at + ENGINE_DOWN_S and a.ok]
    return {
        "engine_down_replica": engine_down,
        "killed_replica": killed,
        "answers": len(answers),
        "ok": sum(a.ok for a in answers),
        "engine_down_answers_after_kill": len(after_engine),
        "engine_down_permits_after_kill": sum(a.permitted for a in after_engine),
        "engine_down_failed_closed": sum("engine_error" in a.reasons for a in after_engine),
        "no_answer": sum(a.status == 0 for a in answers),
        "http_errors": sum(a.status not in (0, 200) for a in answers),
        "engine_error_denies": sum(
            a.status == 200 and "engine_error" in a.reasons for a in answers
        ),
        "after_kills_by_replica": {
            name: sum(a.replica == name for a in answers if a.sent >= killed_at and a.ok)
            for name in sorted({a.replica for a in answers if a.replica})
        },
        "after_kills_ok": len(tail),
        "after_kills_replicas": sorted({a.replica for a in tail}),
    }


def audited_ids(database_url: str) -> dict[str, str]:
    """Each audited decision id, with the policy revision its record names."""
    with psycopg.connect(libpq(database_url)) as conn:
        rows = conn.execute(
            "SELECT decision_id, body::json ->> 'policy_revision' FROM audit_record"
        ).fetchall()
    return {r[0]: r[1] or "" for r in rows}


def token_uses(database_url: str) -> int:
    """Rows in the token replay store (auth/replay.py), which the replicas share."""
    with psycopg.connect(libpq(database_url)) as conn:
        row = conn.execute("SELECT count(*) FROM token_use").fetchone()
    return int(row[0]) if row else 0


def audit_verify(env: dict[str, str]) -> tuple[int, str]:
    done = subprocess.run(  # noqa: S603 - our own command
        hoi_argv("audit", "verify"), env=env, capture_output=True, text=True, check=False
    )
    return done.returncode, (done.stdout + done.stderr).strip()


def backup_and_restore(cluster: Cluster, base_env: dict[str, str]) -> dict[str, Any]:
    """pg_dump (custom format) of the cluster's database, restored with pg_restore
    into a new database; `hoi audit verify` must accept the restored chain."""
    dump = cluster.state / "backup.dump"
    restored = cluster.database + "_restored"
    started = time.monotonic()
    subprocess.run(  # noqa: S603
        ["pg_dump", "--format=custom", "--file", str(dump), libpq(cluster.database_url)],  # noqa: S607
        check=True,
    )
    recreate_database(cluster.admin, restored)
    restored_url = with_database(cluster.admin, restored)
    subprocess.run(  # noqa: S603
        ["pg_restore", "--no-owner", "--exit-on-error", "--dbname", libpq(restored_url), str(dump)],  # noqa: S607
        check=True,
    )
    code, output = audit_verify({**base_env, **cluster.env(), "HOI_DATABASE_URL": restored_url})
    with psycopg.connect(libpq(restored_url)) as conn:
        row = conn.execute("SELECT count(*) FROM audit_record").fetchone()
    return {
        "dump_bytes": dump.stat().st_size,
        "seconds": round(time.monotonic() - started, 2),
        "verify_exit": code,
        "verify": output.splitlines()[-1] if output else "",
        "records": row[0] if row else 0,
    }


async def _phases(cluster: Cluster, report: Report, load: Load) -> dict[str, Any]:
    socket = cluster.runtime_socket
    names = [m.name for m in cluster.members]
    seconds = report.seconds_per_phase

    await load.run(1.0)  # warm-up: connections, caches, every replica once
    baseline = load.answers[:]
    # 1. scaling: 1, 2, 3 replicas, ROUNDS times in turn, so that a change in what
    # else the machine runs falls on every count alike
    slices: dict[int, list[list[Answer]]] = {n: [] for n in range(1, len(names) + 1)}
    for _ in range(ROUNDS):
        for count in slices:
            for i, name in enumerate(names):
                haproxy.set_state(socket, name, "ready" if i < count else "maint")
            await asyncio.sleep(0.1)
            slices[count].append(await load.run(seconds / ROUNDS))
    for count, runs in slices.items():
        report.throughput[str(count)] = round(combined_throughput(runs), 1)
    one = report.throughput["1"] or 1.0
    report.ratio = {k: round(v / one, 2) for k, v in report.throughput.items()}

    # 2. rollout
    from policy.paths import REGO_DIR

    old = cluster.members[0]
    old_revision = next((a.revision for a in reversed(load.answers) if a.ok and a.revision), "")
    variant = policy_variant(REGO_DIR, cluster.state / "rego-next", "cluster drill")
    published: dict[str, Any] = {}

    async def roll_out() -> None:
        await asyncio.sleep(1.0)
        published["at"] = load.now()
        published["revision"] = await asyncio.to_thread(cluster.publish, variant)

    rollout = await load.run(seconds + ROLLOUT_EXTRA_S, roll_out)
    report.rollout = rollout_window(rollout, old_revision, published["revision"], published["at"])
    del old

    # 3. kills
    engine_down, killed = cluster.members[1], cluster.members[2]
    times: dict[str, float] = {}

    probes: dict[str, Any] = {}
    span = seconds * 2

    async def kill() -> None:
        await asyncio.sleep(span / 3)
        times["opa"] = load.now()
        engine_down.opa.kill()
        probing = asyncio.create_task(probe(engine_down.url, load.token))
        await asyncio.sleep(span / 3)
        times["replica"] = load.now()
        killed.service.kill()
        probes.update(await probing)

    kills = await load.run(span, kill)
    report.kills = kill_findings(
        kills, engine_down.name, times["opa"], killed.name, times["replica"]
    )
    report.kills["direct_to_engine_down"] = probes
    return {"baseline_permits": sum(a.permitted for a in baseline)}


def run(replicas: int = 3, seconds: float = 3.0, concurrency: int = 12) -> Report:
    report = Report(replicas=replicas, seconds_per_phase=seconds, concurrency=concurrency)
    started = time.monotonic()
    cluster = Cluster(replicas=replicas)
    try:
        cluster.start()
        report.timings["start_s"] = round(time.monotonic() - started, 1)
        print(f"cluster up in {report.timings['start_s']} s: {cluster.balancer_url}", flush=True)
        load = Load(cluster.balancer_url, caseworker_token(cluster), concurrency=concurrency)
        extra = asyncio.run(_phases(cluster, report, load))
        report.timings["load_s"] = round(time.monotonic() - started - report.timings["start_s"], 1)
        _checks(cluster, report, load, extra)
    finally:
        cluster.stop()
    report.timings["total_s"] = round(time.monotonic() - started, 1)
    return report


def _checks(cluster: Cluster, report: Report, load: Load, extra: dict[str, Any]) -> None:
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("HOI_")}
    report.check(
        "the policy permits the drill's decision when its engine is up",
        extra["baseline_permits"] > 0,
        f"{extra['baseline_permits']} permits in the warm-up",
    )
    received = {a.decision_id for a in load.answers if a.status == 200 and a.decision_id}
    received |= set(report.kills["direct_to_engine_down"]["decision_ids"])
    audited = audited_ids(cluster.database_url)
    missing = received - set(audited)
    rolled = [a for a in load.answers if a.ok and a.decision_id and a.revision]
    differ = sum(audited.get(a.decision_id or "") != a.revision for a in rolled)
    report.check(
        "each decision's audit record names the revision its answer named",
        differ == 0 and bool(rolled),
        f"{len(rolled)} compared, {differ} differ",
    )
    report.audit = {"received": len(received), "audited": len(audited), "missing": len(missing)}
    report.check(
        "every decision id a client received is in the audit trail",
        not missing and bool(received),
        f"{len(received)} received, {len(missing)} missing",
    )
    uses = token_uses(cluster.database_url)
    report.check(
        "the one token the clients used is bound once in the replay store all replicas share",
        uses == 1,
        f"{uses} row(s) in token_use after every replica saw the token",
    )
    code, output = audit_verify({**base_env, **cluster.env()})
    report.audit["verify"] = output.splitlines()[-1] if output else ""
    report.check("hoi audit verify accepts the chain on PostgreSQL", code == 0, output)
    rollout = report.rollout
    report.check(
        "no request failed while the new revision rolled out",
        rollout["failed"] == 0,
        f"{rollout['failed']} of {rollout['answers']} failed",
    )
    switched = [r for r, v in rollout["per_replica"].items() if v["first_new_s"] is not None]
    report.check(
        "every replica answered with the new revision",
        len(switched) == report.replicas,
        f"switched: {switched}; mixed window {rollout['mixed_window_s']} s",
    )
    kills = report.kills
    report.check(
        "no permit from the replica whose engine was down",
        kills["engine_down_permits_after_kill"] == 0,
        f"{kills['engine_down_answers_after_kill']} answers after the kill, "
        f"{kills['engine_down_failed_closed']} failed closed (engine_error)",
    )
    direct = kills["direct_to_engine_down"]
    report.check(
        "asked directly, the replica whose engine is down fails closed and is not ready",
        direct["readyz"] == 503
        and direct["permits"] == 0
        and direct["failed_closed"] == direct["asked"],
        f"/readyz {direct['readyz']}; {direct['asked']} asked, {direct['permits']} permits, "
        f"{direct['failed_closed']} denied with engine_error",
    )
    survivors = set(kills["after_kills_replicas"])
    report.check(
        "the load continued on the replica left",
        kills["after_kills_ok"] > 0
        and not survivors & {kills["engine_down_replica"], kills["killed_replica"]},
        f"{kills['after_kills_ok']} decisions after the kills, by {sorted(survivors)}",
    )
    report.restore = backup_and_restore(cluster, base_env)
    report.check(
        "a pg_dump restored into a new database verifies",
        report.restore["verify_exit"] == 0 and report.restore["records"] >= len(received),
        f"{report.restore['records']} records: {report.restore['verify']}",
    )


def write(report: Report, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(asdict(report), indent=1), "utf-8")


def show(report: Report) -> None:
    print(f"throughput (decisions/s): {report.throughput}; ratio to one replica: {report.ratio}")
    r = report.rollout
    print(
        f"rollout {r['old_revision']} -> {r['new_revision']}: first new answer "
        f"{r['first_new_after_publish_s']} s after publishing, last old "
        f"{r['last_old_after_publish_s']} s; mixed-revision window {r['mixed_window_s']} s; "
        f"{r['failed']} of {r['answers']} failed"
    )
    k = report.kills
    print(
        f"kills: {k['answers']} answers, {k['ok']} decided by the policy, "
        f"{k['engine_down_failed_closed']} failed closed at {k['engine_down_replica']} "
        f"(its OPA killed), {k['no_answer']} without an answer, {k['http_errors']} HTTP errors; "
        f"after the kills: {k['after_kills_by_replica']}"
    )
    print(f"audit: {report.audit}; restore: {report.restore}")
    for check in report.checks:
        last = check.detail.splitlines()[-1] if check.detail else ""
        print(f"{'PASS' if check.passed else 'FAIL'}  {check.name}: {last}")
    print(f"timings: {report.timings}")


def main(replicas: int, seconds: float, concurrency: int) -> int:
    report = run(replicas, seconds, concurrency)
    write(report, Path("var") / "cluster-report.json")
    show(report)
    return 0 if report.passed else 1


if __name__ == "__main__":
    sys.exit(main(3, 3.0, 12))
