"""`python -m cluster up` (make cluster) and `python -m cluster test` (make cluster-test)."""

from __future__ import annotations

import argparse
import signal
import sys
import threading


def up(replicas: int) -> int:
    from cluster.local import Cluster

    cluster = Cluster(replicas=replicas)
    print(
        "starting: PostgreSQL database, sandbox sources, bundle server, "
        f"{replicas} OPA sidecars, {replicas} replicas, HAProxy",
        flush=True,
    )
    cluster.start()
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    print(f"balancer: {cluster.balancer_url}  (state and logs: {cluster.state})")
    print(f"tokens:   HOI_DEV_KEY_FILE={cluster.dev_key} .venv/bin/hoi token --role ...")
    print(f"audit:    . {cluster.state / 'env'} && .venv/bin/hoi audit verify")
    print("Ctrl-C stops the cluster", flush=True)
    try:
        stopped.wait()
    except KeyboardInterrupt:
        pass
    finally:
        cluster.stop()
        print("cluster stopped", flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cluster")
    sub = parser.add_subparsers(dest="command", required=True)
    start = sub.add_parser("up", help="start the cluster and keep it running until Ctrl-C")
    start.add_argument("--replicas", type=int, default=3)
    test = sub.add_parser("test", help="the drill: scaling, rollout, kills, audit, restore")
    test.add_argument("--replicas", type=int, default=3)
    test.add_argument("--seconds", type=float, default=3.0, help="load per phase")
    test.add_argument("--concurrency", type=int, default=12)
    args = parser.parse_args(argv)
    if args.command == "up":
        return up(args.replicas)
    from cluster.drill import main as drill

    return drill(args.replicas, args.seconds, args.concurrency)


if __name__ == "__main__":
    sys.exit(main())
