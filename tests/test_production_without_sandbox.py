"""Production stands on nothing synthetic: with `sandbox` made impossible to import,
the production app starts from its settings (a source registry naming real
systems, an organisation register file, an identity provider's keys), answers
/healthz and decides one request through a stub source system; `hoi` still works
and shows no sandbox command.

Run in a subprocess, so the import blocker is in place before anything of ours
is imported."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from joserfc.jwk import ECKey

ROOT = Path(__file__).resolve().parents[1]

BLOCKER = """
import importlib.abc
import sys


class NoSandbox(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "sandbox" or name.startswith("sandbox."):
            raise ImportError(f"production must not import {name}")
        return None


sys.meta_path.insert(0, NoSandbox())
"""

APP = """
import http.server
import json
import threading
from pathlib import Path

from fastapi.testclient import TestClient
from joserfc.jwk import ECKey

from api.app import create_app
from api.settings import Settings
from auth.tokens import mint

CHILD = "6809144615"
folder = Path(FOLDER)


class Stub(http.server.BaseHTTPRequestHandler):
    \"\"\"The CPR register, the relation service and the staff register, answering one
    child with no relation to anyone.\"\"\"

    def do_GET(self):
        path, _, query = self.path.partition("?")
        params = dict(p.split("=", 1) for p in query.split("&") if "=" in p)
        if path == "/cpr/persons/" + CHILD:
            body = {
                "cpr": CHILD,
                "name": "Stub Child",
                "birth_date": "2014-09-08",
                "municipality": "851",
                "custody_holders": [],
                "registered_gp": None,
            }
        elif path == "/brs/relations":
            body = {"organisation": params.get("organisation"), "relations": []}
        elif path == "/staff/members":
            body = {"organisation": params.get("organisation"), "members": []}
        else:
            body = {"source": path}
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        return None


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Stub)
threading.Thread(target=server.serve_forever, daemon=True).start()
base = f"http://127.0.0.1:{server.server_address[1]}"

registry = Path(ROOT, "broker", "sources.yaml").read_text().replace("{sandbox}", base)
(folder / "sources.yaml").write_text(registry)
(folder / "organisations.yaml").write_text(
    "organisations:\\n"
    "- {id: '851', name: Aalborg Kommune, type: municipality, units: [851-family]}\\n"
    "- {id: 851-family, name: Familieafdelingen, type: municipality, part_of: ['851']}\\n"
)
key = ECKey.generate_key("P-256", parameters={"kid": "idp-1", "use": "sig"})
(folder / "jwks.json").write_text(json.dumps({"keys": [key.as_dict(private=False)]}))
issuer = "https://idp.region.example"
settings = Settings(
    environment="production",
    engine="embedded",
    source_registry=folder / "sources.yaml",
    organisation_register=folder / "organisations.yaml",
    auth_jwks_file=folder / "jwks.json",
    auth_issuer=issuer,
    person_handle_key="h" * 40,
    audit_key="k" * 40,
    seed_demo_data=False,
    database_url=f"sqlite:///{folder / 'prod.db'}",
    var_dir=folder / "var",
)
token = mint(
    key,
    issuer=issuer,
    audience=settings.auth_audience,
    subject="cw-1",
    role="municipal_caseworker",
    organisation={"type": "municipality", "id": "851-family"},
)
request = {
    "action": "view",
    "resource": {"child_cpr": CHILD, "categories": ["psychiatry_appointments"]},
    "context": {"purpose": "social_case_work"},
}
with TestClient(create_app(settings)) as client:
    health = client.get("/healthz")
    decided = client.post(
        "/v1/decisions", json=request, headers={"Authorization": f"Bearer {token}"}
    )
    services = client.app.state.services
    print(json.dumps({
        "health": health.status_code,
        "status": decided.status_code,
        "decision": decided.json(),
        "services": type(services).__module__,
        "organisations": sorted(services.organisations),
    }))
server.shutdown()
loaded = sorted(m for m in sys.modules if m == "sandbox" or m.startswith("sandbox."))
assert not loaded, loaded
"""


def _run(code: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "run.py"
    script.write_text(textwrap.dedent(code), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOI_")}
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_the_production_app_starts_and_decides_without_the_sandbox(tmp_path: Path) -> None:
    preamble = f"import sys\nFOLDER = {str(tmp_path)!r}\nROOT = {str(ROOT)!r}\n"
    done = _run(BLOCKER + preamble + APP, tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    assert answer["health"] == 200
    assert answer["status"] == 200, answer["decision"]
    category = answer["decision"]["categories"]["psychiatry_appointments"]
    assert category["decision"] == "deny"  # no relation, no consent: the policy denies
    assert answer["services"] == "api.services"
    assert answer["organisations"] == ["851", "851-family"]


def test_production_refuses_to_start_without_an_organisation_register(tmp_path: Path) -> None:
    code = BLOCKER + textwrap.dedent(f"""
        import pytest
        from api.services import build_services
        from api.settings import Settings
        from policy.errors import ConfigError

        settings = Settings(
            environment="production",
            auth_jwks_file={str(tmp_path / "jwks.json")!r},
            auth_issuer="https://idp.region.example",
            person_handle_key="h" * 40,
            audit_key="k" * 40,
            seed_demo_data=False,
            database_url="sqlite:///{tmp_path / "prod.db"}",
            var_dir={str(tmp_path / "var")!r},
        )
        with pytest.raises(ConfigError, match="HOI_ORGANISATION_REGISTER"):
            build_services(settings)
        print("refused")
    """)
    key = ECKey.generate_key("P-256", parameters={"kid": "idp-1", "use": "sig"})
    (tmp_path / "jwks.json").write_text(json.dumps({"keys": [key.as_dict(private=False)]}))
    done = _run(code, tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip() == "refused"


def test_hoi_works_without_the_sandbox_and_shows_no_sandbox_command(tmp_path: Path) -> None:
    code = BLOCKER + textwrap.dedent("""
        import contextlib
        import io

        from cli.main import main

        out = io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):
            main(["--help"])
        commands = "{serve,decide,token,policy,audit,evaluation,scenario,db}"
        assert commands in out.getvalue(), out.getvalue()
        with contextlib.redirect_stdout(io.StringIO()) as policy, contextlib.suppress(SystemExit):
            main(["policy", "--help"])
        assert "{bundle,handbook,check}" in policy.getvalue(), policy.getvalue()
        print("ok")
    """)
    done = _run(code, tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip() == "ok"


def test_every_production_module_imports_without_the_sandbox(tmp_path: Path) -> None:
    code = BLOCKER + textwrap.dedent("""
        import importlib
        import pkgutil

        PRODUCTION = (
            "policy", "db", "auth", "engine", "registry", "audit", "broker", "facts",
            "handbook", "decisions", "api", "cli",
        )
        imported = 0
        for name in PRODUCTION:
            try:
                package = importlib.import_module(name)
            except ModuleNotFoundError as exc:
                if exc.name == name:  # a layer not (yet) in this tree
                    continue
                raise
            imported += 1
            for module in pkgutil.walk_packages(package.__path__, prefix=f"{name}."):
                importlib.import_module(module.name)
                imported += 1
        print(imported)
    """)
    done = _run(code, tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert int(done.stdout.strip()) > 50
