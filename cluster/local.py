"""Start and stop the local cluster: PostgreSQL database, sandbox sources, bundle
server, an OPA sidecar per replica, the replicas, HAProxy; all on loopback ports.

What is done once, before any replica starts: the database is made, migrated and
seeded with the synthetic population; the development token key, the bundle
signing key and the secrets every replica shares (audit key, person-handle key)
are made; the signed bundle is published. Each replica then starts `hoi sandbox
serve` with HOI_SEED_DEMO_DATA=false, HOI_ENGINE=opa, HOI_OPA_URL at its own
sidecar and HOI_OPA_FOLLOW_BUNDLES=true. Its state, logs and `env` (for `hoi audit
verify` against the cluster's database) are under var/cluster/.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import sys
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

from cluster import haproxy
from cluster.bundles import BUNDLE_PATH, publish
from cluster.processes import Process, StartError, free_port

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_ADMIN_URL = "postgresql+psycopg://hoi_test:hoi_test@127.0.0.1:5432/postgres"
DATABASE = "hoi_cluster"
ENGINE_DOWN_S = 0.6
"""How long HAProxy takes to see a replica's engine down (two /readyz checks 250 ms
apart, and the answer in flight); the drill waits this long after a kill."""


def admin_url() -> str:
    """A PostgreSQL role that may create databases: HOI_CLUSTER_POSTGRES_URL, else the
    tests' HOI_TEST_POSTGRES_URL, else the local hoi_test role."""
    return (
        os.environ.get("HOI_CLUSTER_POSTGRES_URL")
        or os.environ.get("HOI_TEST_POSTGRES_URL")
        or DEFAULT_ADMIN_URL
    )


def libpq(url: str) -> str:
    """The SQLAlchemy URL as libpq (psql, pg_dump, psycopg) reads it."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def with_database(url: str, name: str) -> str:
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def recreate_database(admin: str, name: str) -> None:
    with psycopg.connect(libpq(admin), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def _clean_env() -> dict[str, str]:
    """This process's environment without any HOI_ or PROMETHEUS_ setting, so the
    parts get exactly the settings the cluster gives them."""
    return {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("HOI_", "PROMETHEUS_")) and k != "CI"
    }


def hoi_argv(*args: str) -> list[str]:
    """The `hoi` command of this checkout, run by this interpreter."""
    return [sys.executable, "-c", "import sys; from cli.main import main; sys.exit(main())", *args]


@dataclass
class Replica:
    name: str
    port: int
    opa_port: int
    opa_token: str
    service: Process
    opa: Process

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def opa_url(self) -> str:
        return f"http://127.0.0.1:{self.opa_port}"


@dataclass
class Cluster:
    replicas: int = 3
    state: Path = field(default_factory=lambda: ROOT / "var" / "cluster")
    database: str = DATABASE
    reference_date: date = field(default_factory=lambda: datetime.now(UTC).date())
    admin: str = field(default_factory=admin_url)
    members: list[Replica] = field(default_factory=list)
    others: list[Process] = field(default_factory=list)
    balancer_port: int = 0
    bundle_port: int = 0
    keys: dict[str, str] = field(default_factory=dict)
    """The secrets every replica shares: the audit key, the person-handle key."""
    opa: str = ""

    def __post_init__(self) -> None:
        self.state = self.state.resolve()  # HAProxy takes its socket's path as given

    @property
    def database_url(self) -> str:
        return with_database(self.admin, self.database)

    @property
    def balancer_url(self) -> str:
        return f"http://127.0.0.1:{self.balancer_port}"

    @property
    def runtime_socket(self) -> Path:
        return self.state / "haproxy.sock"

    @property
    def bundles_dir(self) -> Path:
        return self.state / "bundles"

    @property
    def signing_key(self) -> Path:
        return self.state / "opa-bundle-signing-key.pem"

    @property
    def dev_key(self) -> Path:
        return self.state / "dev-signing-key.jwk.json"

    def env(self) -> dict[str, str]:
        """What `hoi audit verify` and the replicas share."""
        return {
            "HOI_DATABASE_URL": self.database_url,
            "HOI_AUDIT_KEY": self.keys["audit"],
            "HOI_PERSON_HANDLE_KEY": self.keys["handles"],
            "HOI_DEV_KEY_FILE": str(self.dev_key),
            "HOI_DEMO_REFERENCE_DATE": self.reference_date.isoformat(),
        }

    # -- start -------------------------------------------------------------------

    def start(self) -> Cluster:
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self) -> None:
        from auth.keys import dev_signing_key
        from engine.opa import DEFAULT_SIGNING_ALG, bundle_signing_key, find_opa
        from policy.paths import REGO_DIR

        opa = find_opa()
        proxy = haproxy.find_haproxy()
        if opa is None or proxy is None:
            raise StartError("the cluster needs opa and haproxy (make cluster installs neither)")
        self.opa = opa
        if self.state.exists():
            shutil.rmtree(self.state)
        (self.state / "logs").mkdir(parents=True)
        self.keys = {
            "audit": secrets.token_urlsafe(32),
            "handles": secrets.token_urlsafe(32),
        }
        dev_signing_key(self.dev_key)
        bundle_signing_key(self.signing_key)
        self._database()

        base = _clean_env()
        sandbox_port = free_port()
        sandbox = Process(
            "sandbox-sources",
            [
                sys.executable,
                "-m",
                "sandbox.server",
                "--port",
                str(sandbox_port),
                "--date",
                self.reference_date.isoformat(),
                "--network-db",
                str(self.state / "sandbox-network.db"),
            ],
            base,
            self.state / "logs" / "sandbox.log",
            cwd=ROOT,
        ).start()
        self.others.append(sandbox)

        self.bundle_port = free_port()
        publish(
            opa,
            REGO_DIR,
            self.bundles_dir,
            signing_key=self.signing_key,
            signing_alg=DEFAULT_SIGNING_ALG,
        )
        bundles = Process(
            "bundle-server",
            [
                sys.executable,
                "-m",
                "cluster.bundles",
                "--dir",
                str(self.bundles_dir),
                "--port",
                str(self.bundle_port),
            ],
            base,
            self.state / "logs" / "bundles.log",
            cwd=ROOT,
        ).start()
        self.others.append(bundles)
        bundles.wait_http(f"http://127.0.0.1:{self.bundle_port}{BUNDLE_PATH}", timeout=20)

        for n in range(1, self.replicas + 1):
            self.members.append(self._opa_sidecar(f"r{n}", base))
        for member in self.members:
            member.opa.wait_http(
                member.opa_url + "/health?bundles=true",
                headers={"Authorization": f"Bearer {member.opa_token}"},
                timeout=30,
            )
        sandbox.wait_http(f"http://127.0.0.1:{sandbox_port}/cpr/", timeout=60)
        for member in self.members:
            self._start_replica(member, base, f"http://127.0.0.1:{sandbox_port}")
        for member in self.members:
            member.service.wait_http(member.url + "/readyz", timeout=120)
        self._balancer(proxy, base)
        (self.state / "env").write_text(
            "".join(f"export {k}='{v}'\n" for k, v in self.env().items()), "utf-8"
        )
        os.chmod(self.state / "env", 0o600)
        (self.state / "cluster.json").write_text(json.dumps(self.describe(), indent=1), "utf-8")

    def _database(self) -> None:
        """Made, migrated and seeded once, before any replica starts."""
        from db.engine import make_engine
        from db.schema import create_schema
        from sandbox.population import population
        from sandbox.seed import seed_registry

        recreate_database(self.admin, self.database)
        db = make_engine(self.database_url)
        try:
            create_schema(db)
            seed_registry(db, population(self.reference_date))
        finally:
            db.dispose()

    def _opa_sidecar(self, name: str, base: dict[str, str]) -> Replica:
        from engine.opa import DEFAULT_SIGNING_ALG, TOKEN_ENV

        port = free_port()
        token = secrets.token_urlsafe(32)
        public = self.state / "opa-bundle-verification-key.pem"
        if not public.exists():
            from engine.opa import verification_key

            verification_key(self.signing_key, public)
        config = self.state / f"opa-{name}.json"
        config.write_text(
            json.dumps(
                {
                    "services": {"bundles": {"url": f"http://127.0.0.1:{self.bundle_port}"}},
                    "bundles": {
                        "hoi": {
                            "service": "bundles",
                            "resource": BUNDLE_PATH,
                            "polling": {"min_delay_seconds": 1, "max_delay_seconds": 1},
                            "signing": {"keyid": "hoi"},
                        }
                    },
                    "keys": {
                        "hoi": {
                            "algorithm": DEFAULT_SIGNING_ALG,
                            "key": public.read_text("utf-8"),
                        }
                    },
                },
                indent=1,
            ),
            "utf-8",
        )
        sidecar = Process(
            f"opa-{name}",
            [
                self.opa,
                "run",
                "--server",
                "--addr",
                f"127.0.0.1:{port}",
                "--log-level",
                "error",
                "--authentication=token",
                "--authorization=basic",
                "--config-file",
                str(config),
            ],
            # Only the token: policies can read OPA's environment (opa.runtime()).
            {TOKEN_ENV: token},
            self.state / "logs" / f"opa-{name}.log",
        ).start()
        placeholder = Process(name, [], {}, self.state / "logs" / f"{name}.log")
        return Replica(name, free_port(), port, token, placeholder, sidecar)

    def replica_env(
        self, member: Replica, base: dict[str, str], sandbox_url: str
    ) -> dict[str, str]:
        return {
            **base,
            **self.env(),
            "HOI_VAR_DIR": str(self.state / member.name),
            "HOI_ENGINE": "opa",
            "HOI_OPA_URL": member.opa_url,
            "HOI_OPA_TOKEN": member.opa_token,
            "HOI_OPA_FOLLOW_BUNDLES": "true",
            "HOI_SANDBOX_URL": sandbox_url,
            "HOI_SEED_DEMO_DATA": "false",
            "HOI_HANDBOOK_AT_START": "false",
        }

    def _start_replica(self, member: Replica, base: dict[str, str], sandbox_url: str) -> None:
        member.service = Process(
            member.name,
            hoi_argv("sandbox", "serve", "--port", str(member.port)),
            self.replica_env(member, base, sandbox_url),
            self.state / "logs" / f"{member.name}.log",
            cwd=ROOT,
        ).start()

    def _balancer(self, proxy: str, base: dict[str, str]) -> None:
        self.balancer_port = free_port()
        config = self.state / "haproxy.cfg"
        config.write_text(
            haproxy.config(
                self.balancer_port,
                [(m.name, m.port) for m in self.members],
                self.runtime_socket,
            ),
            "utf-8",
        )
        balancer = Process(
            "haproxy", [proxy, "-db", "-f", str(config)], base, self.state / "logs" / "haproxy.log"
        ).start()
        self.others.append(balancer)
        balancer.wait_http(self.balancer_url + "/readyz", timeout=20)

    # -- operate -----------------------------------------------------------------

    def publish(self, rego: Path) -> str:
        from engine.opa import DEFAULT_SIGNING_ALG

        return publish(
            self.opa,
            rego,
            self.bundles_dir,
            signing_key=self.signing_key,
            signing_alg=DEFAULT_SIGNING_ALG,
        )

    def describe(self) -> dict[str, object]:
        return {
            "balancer": self.balancer_url,
            "bundle_server": f"http://127.0.0.1:{self.bundle_port}{BUNDLE_PATH}",
            "database": make_url(self.database_url).render_as_string(hide_password=True),
            "replicas": [
                {
                    "name": m.name,
                    "url": m.url,
                    "pid": m.service.popen.pid if m.service.popen else None,
                    "opa": m.opa_url,
                    "opa_pid": m.opa.pid,
                }
                for m in self.members
            ],
            "others": [{"name": p.name, "pid": p.pid} for p in self.others if p.popen],
        }

    def stop(self) -> None:
        """Everything the cluster started, balancer first, by process id."""
        for process in reversed(self.others):
            if process.name == "haproxy":
                process.stop()
        for member in self.members:
            member.service.stop()
        for member in self.members:
            member.opa.stop()
        for process in reversed(self.others):
            process.stop()
