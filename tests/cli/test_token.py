"""`hoi token` mints development tokens the service accepts, and never in production."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from joserfc import jwt

from api.settings import get_settings
from auth.keys import dev_signing_key
from cli.main import EXIT_DENY, EXIT_ERROR, main

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "caseworker-psychiatry.json"


@pytest.fixture(autouse=True)
def var_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("HOI_VAR_DIR", str(tmp_path))
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def mint(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert main(["token", *args]) == 0
    return capsys.readouterr().out.strip()


def test_a_gp_token_carries_the_role_organisation_and_authorisation(
    capsys: pytest.CaptureFixture[str], var_dir: Path
) -> None:
    token = mint(capsys, "--role", "gp", "--org", "gp-laegerne-i-nibe", "--health-professional")
    key = dev_signing_key(var_dir / "dev-signing-key.jwk.json")
    claims = jwt.decode(token, key).claims
    assert claims["role"] == "gp"
    assert claims["organisation"] == {"type": "gp_clinic", "id": "gp-laegerne-i-nibe"}
    assert claims["health_professional"] is True
    assert claims["iss"] == "hoi-policy-dev" and claims["aud"] == "hoi-policy"
    assert claims["sub"] == "dev-gp-gp-laegerne-i-nibe"


def test_a_system_acting_for_a_caseworker(
    capsys: pytest.CaptureFixture[str], var_dir: Path
) -> None:
    token = mint(
        capsys, "--role", "municipal_caseworker", "--org", "851-family", "--act", "sys-sapa"
    )
    claims = jwt.decode(token, dev_signing_key(var_dir / "dev-signing-key.jwk.json")).claims
    assert claims["act"] == {"sub": "sys-sapa"}
    assert claims["organisation"]["type"] == "municipality"


def test_a_secretary_working_for_a_psychiatrist(
    capsys: pytest.CaptureFixture[str], var_dir: Path
) -> None:
    token = mint(
        capsys,
        *("--role", "bup_medical_secretary", "--org", "bup-rn-aalborg-amb"),
        *("--acting-for", "psychiatrist-1:bup_psychiatrist"),
    )
    claims = jwt.decode(token, dev_signing_key(var_dir / "dev-signing-key.jwk.json")).claims
    assert claims["acting_for"] == {"sub": "psychiatrist-1", "role": "bup_psychiatrist"}


@pytest.mark.parametrize(
    "args",
    [
        ["--role", "gp"],  # a GP works at a clinic: --org is needed
        ["--role", "citizen"],  # a citizen needs --cpr
        ["--role", "citizen", "--cpr", "1234"],
        ["--role", "gp", "--org", "x", "--ttl", "3d"],
        ["--role", "gp", "--org", "x", "--ttl", "2h"],  # the service would refuse it
    ],
)
def test_incomplete_requests_mint_nothing(
    capsys: pytest.CaptureFixture[str], args: list[str]
) -> None:
    try:
        code = main(["token", *args])
    except SystemExit as exc:  # argparse rejects the --ttl value itself
        code = int(exc.code or 0)
    assert code == EXIT_ERROR
    assert capsys.readouterr().out == ""


def test_production_refuses_to_mint(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps({"keys": []}))
    for name, value in {
        "HOI_ENVIRONMENT": "production",
        "HOI_PERSON_HANDLE_KEY": "h" * 40,
        "HOI_SEED_DEMO_DATA": "false",
        "HOI_DATABASE_URL": "sqlite://",
        "HOI_AUTH_JWKS_FILE": str(jwks),
        "HOI_AUTH_ISSUER": "https://idp.region.example",
        "HOI_AUDIT_KEY": "k" * 40,
    }.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    assert main(["token", "--role", "gp", "--org", "gp-laegerne-i-nibe"]) == EXIT_ERROR
    assert "production" in capsys.readouterr().err
    assert not (tmp_path / "dev-signing-key.jwk.json").exists()


def test_hoi_decide_takes_the_subject_from_the_token(capsys: pytest.CaptureFixture[str]) -> None:
    token = mint(
        capsys, "--role", "municipal_caseworker", "--org", "851-family", "--sub", "cw-851-family-1"
    )
    code = main(["sandbox", "decide", str(EXAMPLE), "--token", token])
    decision = json.loads(capsys.readouterr().out)
    assert code == EXIT_DENY  # school data is denied to a caseworker
    assert decision["categories"]["psychiatry_appointments"]["decision"] == "permit"


def test_hoi_decide_needs_a_subject_from_somewhere(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["decide", str(EXAMPLE)]) == EXIT_ERROR
    assert "--token" in capsys.readouterr().err
