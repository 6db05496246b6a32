"""The audit trail on PostgreSQL at national size (issue 15, docs/scale.md).

Two databases in the same run, both built by the service's migrations (so
`audit_record` is partitioned by month): one left empty, one filled with
--rows synthetic decision records spread evenly over the last --months months.
Then, on the full one, with the service's own query code (audit/query.py,
audit/access.py):

- a citizen's access log (`access_log`, the 50 newest lookups about a child and
  what left with them) and an auditor's search by requester (`search`, 50 newest)
  and by child, for --queries random children and requesters: p50 / p99 / max;
- appending one decision record per transaction (audit/store.py `append`, a
  durable commit each, as a lone request's record is) on the empty and on the
  full database, alternating rounds (ABAB): the ratio full / empty per round;
- retention: dropping the oldest month's partition (audit/partitions.py
  `drop_through`, what `hoi audit purge` does) against deleting the next
  month's rows with DELETE (what it would cost without partitions), each in
  its own transaction;
- the size on disk: table, indexes, bytes per record.

Every record's body is a real decision record's canonical JSON (made by the
service from the synthetic population) with its ids, moment and child put in by
SQL, so that the body parses and is as long as a real one. The synthetic
records carry hashes that do not chain: `hoi audit verify` is not run on them
(verification of a real chain is measured by tests/audit); the chain head is
set to the last synthetic link so that appends continue from it as they would.
Children have replacement-style CPR numbers (day of month + 60), never real ones.

    HOI_BENCH_POSTGRES_URL=postgresql+psycopg://USER:PASSWORD@127.0.0.1:5432/postgres \\
        python -m bench.audit_scale [--rows 10000000] [--months 24] [--queries 300]
                                    [--appends 400] [--label NAME] [--keep] [--reuse]
                                    [--seed N] [--drop-os-cache] [--no-gc-freeze]

(HOI_TEST_POSTGRES_URL is read when HOI_BENCH_POSTGRES_URL is not set.) The URL
names a role that may create databases; the bench makes `hoi_bench_scale_full`
and `hoi_bench_scale_empty` and drops them at the end unless --keep.

The fill takes a quarter of an hour at 10 million rows. `--keep` keeps both
databases (and skips the retention step, which would drop a month of the full
one); `--reuse` measures again on a kept full database without filling it,
when it holds the fill of the same --rows and --months (the bench leaves a note
of its fill in `bench_fill`). The records appended by earlier runs stay, as a
live trail's would. The server's settings that bear on the queries are printed
and written into the result.

The queries run twice over the same --seed's children and requesters: a first
pass (pages this run has not read; with --drop-os-cache, as root, the operating
system's page cache is emptied before it) and again (warm). Before them the
bench freezes the objects it has made (`gc.freeze()`), as a long-running
service should once started: otherwise Python's full collections, which the
queries' allocations trigger every few queries, walk them all and stall the
query they land in by 50-150 ms (docs/scale.md). --no-gc-freeze leaves that out.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import random
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError

from audit import partitions
from audit.access import access_log
from audit.chain import DEV_AUDIT_KEY, Signer, canonical_json, head_message
from audit.log import decision_record
from audit.models import AuditRecord
from audit.query import search
from audit.store import append, prepare
from bench.common import percentile
from db.engine import make_engine
from db.schema import create_schema

RESULTS = Path(__file__).parent / "results"
DAY = date(2026, 11, 26)
SIGNER = Signer(DEV_AUDIT_KEY)
CHILDREN = 300_000
"""Distinct children in the filled trail (those known to more than one sector)."""
REQUESTERS = 20_000
ORGANISATIONS = 2_000
CHUNK = 500_000

# Placeholders put into the template body and replaced by SQL per row.
_CHILD, _DECISION, _REQUESTER, _ORGANISATION = "@@C@@", "@@D@@", "@@R@@", "@@O@@"
_MOMENT = "@@T@@"


def _admin_url() -> URL:
    raw = os.environ.get("HOI_BENCH_POSTGRES_URL") or os.environ.get("HOI_TEST_POSTGRES_URL")
    if not raw:
        raise SystemExit("set HOI_BENCH_POSTGRES_URL (a role that may create databases)")
    return make_url(raw)


def _recreate(admin: URL, name: str) -> URL:
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return admin.set(database=name)


def _drop(admin: URL, name: str) -> None:
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def _template() -> tuple[AuditRecord, str]:
    """A real decision record (the README's caseworker asking three categories
    about a story child), and its body with placeholders for what varies."""
    from api.settings import Settings
    from policy.decision import DecisionRequest
    from sandbox.app import build_dev_services
    from sandbox.population import population

    child = next(iter(population(DAY).children))
    body = {
        "subject": {
            "id": "cw-851-family-1",
            "role": "municipal_caseworker",
            "organisation": {"type": "municipality", "id": "851-family"},
        },
        "action": "view",
        "resource": {
            "child_cpr": child,
            "categories": ["psychiatry_appointments", "psychiatry_contacts", "school_daycare"],
        },
        "context": {"purpose": "social_case_work"},
    }

    async def decide() -> AuditRecord:
        with tempfile.TemporaryDirectory() as var_dir:
            services = build_dev_services(
                Settings(environment="test", var_dir=Path(var_dir), demo_reference_date=DAY),
                clock=lambda: datetime(2026, 11, 26, 10, tzinfo=UTC),
            )
            try:
                request = DecisionRequest.model_validate(body)
                decision = await services.pdp.decide(request)
                return decision_record(
                    request,
                    decision,
                    recorded_at=datetime(2026, 11, 26, 10, tzinfo=UTC),
                    trace_id="0" * 32,
                )
            finally:
                await services.aclose()

    record = asyncio.run(decide())
    text_ = canonical_json(record.model_dump(mode="json"), check=False)
    for value, placeholder in (
        (record.child_cpr, _CHILD),
        (record.decision_id, _DECISION),
        (record.requester.id, _REQUESTER),
        (record.requester.organisation_id, _ORGANISATION),
    ):
        text_ = text_.replace(f'"{value}"', f'"{placeholder}"')
    for moment in {record.recorded_at, record.decided_at}:
        text_ = text_.replace(json.dumps(moment.isoformat().replace("+00:00", "Z")), f'"{_MOMENT}"')
    return record, text_


# One row per n: the child, requester and organisation drawn from n, the moment
# spread evenly over the period (in chain order, as a real trail is).
_FILL = f"""
INSERT INTO audit_record (seq, recorded_at, kind, decision_id, child_cpr, requester_id,
                          organisation_id, outcome, override, body, prev_hash, hash)
SELECT n, at, 'decision', decision, child, requester, organisation, :outcome, false,
       replace(replace(replace(replace(replace(:template,
           '{_CHILD}', child), '{_DECISION}', decision), '{_REQUESTER}', requester),
           '{_ORGANISATION}', organisation),
           '{_MOMENT}', to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')),
       md5((n - 1)::text) || md5('p' || (n - 1)::text), md5(n::text) || md5('p' || n::text)
FROM (
    SELECT n,
           :start + (n - 1) * :step AS at,
           md5('d' || n::text)::uuid::text AS decision,
           lpad((61 + k % 28)::text, 2, '0') || lpad((1 + (k / 28) % 12)::text, 2, '0')
             || lpad((10 + (k / 336) % 8)::text, 2, '0') || (4000 + k / 2688)::text AS child,
           'pro-' || lpad(r::text, 5, '0') AS requester,
           'org-' || lpad((r % {ORGANISATIONS})::text, 4, '0') AS organisation
    FROM (
        SELECT n, (hashtext('c' || n::text)::bigint & 2147483647) % {CHILDREN} AS k,
               (hashtext('r' || n::text)::bigint & 2147483647) % {REQUESTERS} AS r
        FROM generate_series(CAST(:first AS bigint), CAST(:last AS bigint)) AS n
    ) drawn
) rows
"""


def child_number(k: int) -> str:
    """The CPR number the fill gives child k (the same arithmetic as in SQL)."""
    return f"{61 + k % 28:02d}{1 + (k // 28) % 12:02d}{10 + (k // 336) % 8:02d}{4000 + k // 2688}"


def fill(db: Engine, record: AuditRecord, template: str, rows: int, months: int) -> float:
    """Fill with `rows` records over the last `months` months; return seconds."""
    end = datetime.now(UTC).replace(microsecond=0)
    start = end - timedelta(days=30.4 * months)
    step = (end - start) / rows
    began = time.perf_counter()
    with db.begin() as conn:
        # Every month's partition first, as the writers would have made them.
        moment = start
        while moment < end + timedelta(days=32):
            partitions.ensure(conn, [moment])
            moment += timedelta(days=28)
    for first in range(1, rows + 1, CHUNK):
        last = min(rows, first + CHUNK - 1)
        with db.begin() as conn:
            conn.execute(text("SET LOCAL synchronous_commit = off"))
            conn.execute(
                text(_FILL),
                {
                    "outcome": record.outcome,
                    "template": template,
                    "start": start,
                    "step": step,
                    "first": first,
                    "last": last,
                },
            )
        done = time.perf_counter() - began
        print(f"  filled {last:,} of {rows:,} records in {done:.0f} s", flush=True)
    with db.begin() as conn:
        last_hash: str = conn.execute(
            text("SELECT hash FROM audit_record WHERE seq = :n"), {"n": rows}
        ).scalar_one()
        conn.execute(
            text(
                "INSERT INTO audit_chain_head (id, seq, hash, signature, updated_at) "
                "VALUES (1, :seq, :hash, :signature, :now)"
            ),
            {
                "seq": rows,
                "hash": last_hash,
                "signature": SIGNER.sign(head_message(rows, last_hash)),
                "now": end,
            },
        )
    with db.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE audit_record"))
    seconds = time.perf_counter() - began
    with db.begin() as conn:
        conn.execute(text(f"CREATE TABLE {_NOTE} (rows bigint, months int, seconds float8)"))
        conn.execute(
            text(f"INSERT INTO {_NOTE} VALUES (:rows, :months, :seconds)"),
            {"rows": rows, "months": months, "seconds": seconds},
        )
    return seconds


_NOTE = "bench_fill"
"""The fill's note in the full database: rows, months, seconds."""


def kept_fill(url: URL, rows: int, months: int) -> float | None:
    """The seconds the kept full database's fill took, if it holds the fill of
    `rows` records over `months` months, every synthetic record still there."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            if conn.execute(text("SELECT to_regclass(:t)"), {"t": _NOTE}).scalar() is None:
                return None
            note = conn.execute(text(f"SELECT rows, months, seconds FROM {_NOTE}")).one()
            if (note.rows, note.months) != (rows, months):
                return None
            present: int = conn.execute(
                text("SELECT count(*) FROM audit_record WHERE seq <= :rows"), {"rows": rows}
            ).scalar_one()
            return float(note.seconds) if present == rows else None
    except DBAPIError:  # no such database
        return None
    finally:
        engine.dispose()


SETTINGS = (
    "server_version",
    "shared_buffers",
    "effective_cache_size",
    "random_page_cost",
    "effective_io_concurrency",
    "work_mem",
    "jit",
    "plan_cache_mode",
)


def server_settings(db: Engine) -> dict[str, str]:
    """The server's settings that bear on the queries, as the bench ran with them."""
    with db.connect() as conn:
        rows = conn.execute(
            text("SELECT name, current_setting(name) FROM pg_settings WHERE name = ANY(:names)"),
            {"names": list(SETTINGS)},
        ).all()
    found = {str(name): str(value) for name, value in rows}
    return {name: found[name] for name in SETTINGS if name in found}


def _summary(samples: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(percentile(samples, 50) * 1000, 2),
        "p99_ms": round(percentile(samples, 99) * 1000, 2),
        "max_ms": round(max(samples) * 1000, 2),
        "n": len(samples),
    }


def _timed(call: Any) -> float:
    began = time.perf_counter()
    call()
    return time.perf_counter() - began


def _pass(db: Engine, children: list[str], requesters: list[str]) -> dict[str, dict[str, float]]:
    results: dict[str, list[float]] = {"access_log": [], "by_requester": [], "by_child": []}
    found = 0
    for child, requester in zip(children, requesters, strict=True):
        results["access_log"].append(
            _timed(
                lambda c=child: access_log(
                    db, c, organisation_name=lambda _: None, show_employee=False
                )
            )
        )
        began = time.perf_counter()
        page = search(db, requester_id=requester)
        results["by_requester"].append(time.perf_counter() - began)
        found += len(page.records)
        results["by_child"].append(_timed(lambda c=child: search(db, child_cpr=c)))
    summary = {name: _summary(samples) for name, samples in results.items()}
    summary["by_requester"]["records_per_page"] = round(found / len(requesters), 1)
    return summary


def drop_os_cache() -> bool:
    """Empty the operating system's page cache (root only), so that the first
    pass reads from disk what PostgreSQL's own buffers do not hold."""
    try:
        os.sync()
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
    except OSError:
        return False
    return True


def cpu_pressure() -> float | None:
    """The share of the last minute in which some runnable task waited for a CPU
    (Linux pressure stall information), in percent; None where not available."""
    try:
        line = Path("/proc/pressure/cpu").read_text().splitlines()[0]
    except (OSError, IndexError):
        return None
    fields = dict(f.split("=") for f in line.split()[1:])
    return float(fields["avg60"])


def queries(db: Engine, count: int, seed: int, *, cold: bool = False) -> dict[str, Any]:
    """The auditor's and the citizen's queries on random children and requesters:
    a first pass (pages this run has not read: from disk, the operating system's
    cache or PostgreSQL's buffers, whichever holds them) and the same queries again
    (warm). With `cold`, the operating system's cache is emptied first."""
    rng = random.Random(seed)
    children = [child_number(rng.randrange(CHILDREN)) for _ in range(count)]
    requesters = [f"pro-{rng.randrange(REQUESTERS):05d}" for _ in range(count)]
    # One query first, so that the connection and its catalogue caches exist.
    search(db, child_cpr=child_number(rng.randrange(CHILDREN)))
    dropped = drop_os_cache() if cold else False
    load, pressure = os.getloadavg()[0], cpu_pressure()
    first = _pass(db, children, requesters)
    again = _pass(db, children, requesters)
    return {
        "seed": seed,
        "os_cache_dropped": dropped,
        "gc_frozen": gc.get_freeze_count() > 0,
        "load_average_1m": [round(load, 2), round(os.getloadavg()[0], 2)],
        "cpu_pressure_some_avg60": [pressure, cpu_pressure()],
        "first": first,
        "again": again,
    }


def appends(full: Engine, empty: Engine, record: AuditRecord, count: int) -> dict[str, Any]:
    """One record per durable transaction, rounds alternating between the databases."""
    rounds = 4
    per_round = max(1, count // rounds)
    samples: dict[str, list[float]] = {"empty": [], "full": []}
    ratios = []
    for _ in range(rounds):
        medians = {}
        for name, db in (("empty", empty), ("full", full)):
            times = []
            for _ in range(per_round):
                now = datetime.now(UTC)
                copy = record.model_copy(update={"recorded_at": now, "decided_at": now})
                body = canonical_json(copy.model_dump(mode="json"), check=False)
                times.append(_timed(lambda: append(db, SIGNER, [prepare(copy, body)], now)))  # noqa: B023
            samples[name] += times
            medians[name] = percentile(times, 50)
        ratios.append(medians["full"] / medians["empty"])
    return {
        "empty": _summary(samples["empty"]),
        "full": _summary(samples["full"]),
        "ratio_full_to_empty_p50": round(percentile(ratios, 50), 3),
        "ratios_per_round": [round(r, 3) for r in ratios],
    }


def retention(db: Engine) -> dict[str, Any]:
    """Drop the oldest month's partition; DELETE the next month's rows."""
    with db.connect() as conn:
        months = partitions.partitions(conn)
        counts: dict[str, int] = {
            p.name: conn.execute(text(f'SELECT count(*) FROM "{p.name}"')).scalar_one()
            for p in months[:2]
        }
    oldest, second = months[0], months[1]
    with db.connect() as conn:
        through: int = conn.execute(text(f'SELECT max(seq) FROM "{oldest.name}"')).scalar_one()
    began = time.perf_counter()
    with db.begin() as conn:
        dropped = partitions.drop_through(conn, oldest.end, through)
    drop_seconds = time.perf_counter() - began
    began = time.perf_counter()
    with db.begin() as conn:
        deleted = conn.execute(
            text("DELETE FROM audit_record WHERE recorded_at >= :start AND recorded_at < :end"),
            {"start": second.start, "end": second.end},
        ).rowcount
    delete_seconds = time.perf_counter() - began
    return {
        "dropped": dropped,
        "dropped_rows": counts[oldest.name],
        "drop_ms": round(drop_seconds * 1000, 1),
        "deleted_month": second.name,
        "deleted_rows": deleted,
        "delete_ms": round(delete_seconds * 1000, 1),
        "ratio_delete_to_drop": round(delete_seconds / drop_seconds, 1),
    }


def sizes(db: Engine) -> dict[str, Any]:
    with db.connect() as conn:
        row = conn.execute(
            text(
                "SELECT sum(pg_table_size(c.oid)), sum(pg_indexes_size(c.oid)), "
                "count(*) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                "WHERE i.inhparent = to_regclass('audit_record')"
            )
        ).one()
        records: int = conn.execute(text("SELECT count(*) FROM audit_record")).scalar_one()
        body: Any = conn.execute(
            text("SELECT avg(octet_length(body)) FROM audit_record WHERE seq % 1000 = 0")
        ).scalar_one()
    table, indexes, count = int(row[0] or 0), int(row[1] or 0), int(row[2])
    return {
        "records": records,
        "partitions": count,
        "table_bytes": table,
        "index_bytes": indexes,
        "bytes_per_record": round((table + indexes) / max(records, 1)),
        "average_body_bytes": round(float(body or 0)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--appends", type=int, default=400)
    parser.add_argument("--label", default="latest")
    parser.add_argument(
        "--seed", type=int, default=None, help="which children and requesters (default: random)"
    )
    parser.add_argument(
        "--no-gc-freeze",
        action="store_true",
        help="leave the objects made at start-up to Python's full collections",
    )
    parser.add_argument(
        "--drop-os-cache",
        action="store_true",
        help="empty the operating system's page cache before the first pass (root only)",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the databases afterwards (no retention step)"
    )
    parser.add_argument(
        "--reuse", action="store_true", help="measure on a kept full database of the same fill"
    )
    args = parser.parse_args()

    admin = _admin_url()
    names = ("hoi_bench_scale_full", "hoi_bench_scale_empty")
    kept = kept_fill(admin.set(database=names[0]), args.rows, args.months) if args.reuse else None
    if args.reuse and kept is None:
        print("no kept database of this fill: filling anew", flush=True)
    full_url = admin.set(database=names[0]) if kept is not None else _recreate(admin, names[0])
    empty_url = _recreate(admin, names[1])
    full = make_engine(full_url.render_as_string(hide_password=False))
    empty = make_engine(empty_url.render_as_string(hide_password=False))
    try:
        create_schema(empty)
        record, template = _template()
        if kept is None:
            create_schema(full)
            print(f"filling {args.rows:,} records over {args.months} months ...", flush=True)
            seconds = fill(full, record, template, args.rows, args.months)
        else:
            print(f"reusing the kept fill of {args.rows:,} records", flush=True)
            seconds = kept
        result: dict[str, Any] = {
            "label": args.label,
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "rows": args.rows,
            "months": args.months,
            "fill_seconds": round(seconds, 1),
            "reused_fill": kept is not None,
            "server": server_settings(full),
            "size": sizes(full),
        }
        print(json.dumps(result["server"]), flush=True)
        print(json.dumps(result["size"]), flush=True)
        seed = args.seed if args.seed is not None else random.randrange(2**31)
        if not args.no_gc_freeze:
            # What a long-running service does once it has started: the objects
            # made so far (modules, the catalogue, the template) are never garbage,
            # so the full collections that the queries' allocations trigger need
            # not walk them; unfrozen, each such collection stalls for ~50 ms.
            gc.collect()
            gc.freeze()
        result["queries"] = queries(full, args.queries, seed, cold=args.drop_os_cache)
        print(json.dumps(result["queries"]), flush=True)
        result["append"] = appends(full, empty, record, args.appends)
        print(json.dumps(result["append"]), flush=True)
        if args.keep:
            print("retention not measured: --keep keeps every month", flush=True)
        else:
            result["retention"] = retention(full)
            print(json.dumps(result["retention"]), flush=True)
    finally:
        full.dispose()
        empty.dispose()
        if not args.keep:
            for name in names:
                _drop(admin, name)
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"audit-scale-{args.label}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    _print(result)
    print(f"written to {out.relative_to(RESULTS.parent.parent)}")


def _print(result: dict[str, Any]) -> None:
    q, a, s = result["queries"], result["append"], result["size"]
    r = result.get("retention")
    print()
    print("server: " + ", ".join(f"{k} {v}" for k, v in result["server"].items()))
    print(
        f"{result['rows']:,} records over {result['months']} months, {s['partitions']} partitions"
    )
    print(
        f"on disk: {s['table_bytes'] / 2**30:.1f} GiB table + {s['index_bytes'] / 2**30:.1f} GiB "
        f"indexes, {s['bytes_per_record']} bytes a record (body {s['average_body_bytes']})"
    )
    cold = ", after emptying the OS page cache" if q["os_cache_dropped"] else ""
    frozen = ", start-up objects frozen (gc.freeze)" if q["gc_frozen"] else ""
    print(
        f"queries, seed {q['seed']}, load average {q['load_average_1m']}, CPU pressure "
        f"{q['cpu_pressure_some_avg60']} %{cold}{frozen}"
    )
    for name, goal in (("access_log", 50), ("by_requester", 50), ("by_child", 50)):
        for when in ("first", "again"):
            row = q[when][name]
            met = "met" if row["p99_ms"] <= goal else "not met"
            print(
                f"{name:13} {when:5} p50 {row['p50_ms']:7.2f} ms  p99 {row['p99_ms']:7.2f} ms  "
                f"max {row['max_ms']:7.2f} ms  (goal p99 <= {goal} ms: {met})"
            )
    met = "met" if a["ratio_full_to_empty_p50"] <= 1.2 else "not met"
    print(
        f"append        empty p50 {a['empty']['p50_ms']} ms, full p50 {a['full']['p50_ms']} ms, "
        f"ratio {a['ratio_full_to_empty_p50']} (goal <= 1.2: {met})"
    )
    if r is not None:
        print(
            f"retention     drop {r['dropped_rows']:,} rows {r['drop_ms']} ms; DELETE "
            f"{r['deleted_rows']:,} rows {r['delete_ms']} ms (x{r['ratio_delete_to_drop']})"
        )


if __name__ == "__main__":
    main()
