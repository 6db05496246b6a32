"""OPA backend: a real `opa run --server`, asked over its REST Data API.

The link is closed at both ends:

- OPA admits only the service: it runs with `--authentication=token
  --authorization=basic`, and its authorization policy (rego/system/authz, in
  the bundle) compares the bearer token with HOI_OPA_TOKEN in OPA's environment.
- OPA loads only our policy: the bundle is signed by `opa build --signing-key`
  and OPA, started with `--verification-key`, refuses an unsigned or forged one.
  The service checks that the bundle OPA reports as active carries the revision
  it built (a content hash of the policy files), and every answer's provenance too.
- An answer belongs to its question: each request carries a fresh random nonce
  (`input.request.nonce`) that the decision echoes; an answer without it, with
  another one, or of any other shape than a decision, is an EngineError, which
  the decision point turns into a deny with `engine_error`.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any, Literal

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from engine.base import DECISION_RULE, NONCE_KEY, REVISION_KEY, EngineError
from engine.bundle import PolicyBundle

_DATA_PATH = "/v1/data/" + DECISION_RULE.removeprefix("data.").replace(".", "/")
_BUNDLES_PATH = "/v1/data/system/bundles"

SigningAlgorithm = Literal[
    "ES256", "ES384", "ES512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512"
]
"""The asymmetric algorithms OPA signs and verifies bundles with (no shared secrets)."""
DEFAULT_SIGNING_ALG: SigningAlgorithm = "ES256"
TOKEN_ENV = "HOI_OPA_TOKEN"  # noqa: S105 - a variable name, not a secret
"""The variable of OPA's environment that rego/system/authz compares tokens with."""
MIN_TOKEN_LENGTH = 32


def find_opa() -> str | None:
    """The opa binary: $HOI_OPA_BIN, then PATH, then Go's install folder."""
    explicit = os.environ.get("HOI_OPA_BIN")
    if explicit:
        return explicit if Path(explicit).is_file() else None
    found = shutil.which("opa")
    if found:
        return found
    gopath = Path(os.environ.get("GOPATH", Path.home() / "go"))
    candidate = gopath / "bin" / "opa"
    return str(candidate) if candidate.is_file() else None


def bundle_signing_key(path: Path) -> Path:
    """A bundle signing key (EC P-256, PEM) at `path`, generated there on first use,
    readable by the owner only. For development and tests: production names its key."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
        try:
            os.link(temporary, path)  # fails if another process won the race
        except FileExistsError:
            pass
        finally:
            temporary.unlink()
    return path


def verification_key(signing_key: Path, out: Path) -> Path:
    """Write the public key of `signing_key` (PEM) to `out`, for `--verification-key`."""
    try:
        private = serialization.load_pem_private_key(signing_key.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise EngineError(f"the bundle signing key {signing_key} cannot be read") from exc
    pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(pem)
    return out


def build_bundle(
    opa: str,
    bundle: PolicyBundle,
    out: Path,
    *,
    signing_key: Path | None,
    signing_alg: SigningAlgorithm = DEFAULT_SIGNING_ALG,
) -> str:
    """Build the policy bundle with `opa build`, signed with `signing_key` (None: an
    unsigned bundle, which an OPA that verifies refuses); return its revision."""
    revision = bundle.revision()
    out.parent.mkdir(parents=True, exist_ok=True)
    signing = [] if signing_key is None else ["--signing-key", str(signing_key)]
    with tempfile.TemporaryDirectory(prefix="hoi-bundle-") as tmp:
        tree = bundle.write_bundle_tree(Path(tmp) / "rego")
        completed = subprocess.run(  # noqa: S603 - fixed argument list, no shell
            [
                opa,
                "build",
                "-b",
                str(tree),
                "--ignore",
                "*_test.rego",
                "--revision",
                revision,
                *signing,
                "--signing-alg",
                signing_alg,
                "-o",
                str(out),
            ],
            check=False,
            capture_output=True,
        )
    if completed.returncode != 0:
        raise EngineError(f"opa build failed: {_last_line(completed.stderr)}")
    return revision


def _last_line(output: bytes) -> str:
    lines = [line for line in output.decode("utf-8", "replace").splitlines() if line.strip()]
    return lines[-1].strip() if lines else "no message"


def _revisions(bundles: object) -> set[str]:
    """The revisions in a {name: {revision | manifest.revision}} map; empty if malformed."""
    if not isinstance(bundles, dict):
        return set()
    found = set()
    for bundle in bundles.values():
        if not isinstance(bundle, dict):
            continue
        manifest = bundle.get("manifest")
        revision = manifest.get("revision") if isinstance(manifest, dict) else None
        revision = bundle.get("revision", revision)
        if isinstance(revision, str):
            found.add(revision)
    return found


class OpaEngine:
    """Asks an OPA server for the decision rule, with the service's bearer token.

    Pinned (the default), OPA must run `expected_revision`, the bundle this
    checkout builds. Following (`follow=True`, HOI_OPA_FOLLOW_BUNDLES), OPA polls
    a bundle server and verifies each bundle's signature itself; an answer is
    accepted from the one bundle revision OPA's provenance names (none, or
    several, is an EngineError), and that revision is reported with the answer
    (REVISION_KEY), so a rollout's decisions each name the revision that made them.
    """

    def __init__(
        self,
        url: str,
        expected_revision: str,
        *,
        token: str | None,
        timeout: float = 1.0,
        client: httpx.AsyncClient | None = None,
        follow: bool = False,
    ) -> None:
        self._url = url.rstrip("/")
        self._revision = expected_revision
        self._follow = follow
        self._headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._client = client or httpx.AsyncClient(timeout=timeout, follow_redirects=False)
        self._timeout = timeout

    @property
    def name(self) -> str:
        return "opa"

    @property
    def revision(self) -> str:
        """The pinned revision; following, the last one OPA answered with."""
        return self._revision

    @property
    def follows(self) -> bool:
        return self._follow

    def _answering(self, revisions: set[str]) -> str:
        """The revision an answer came from, or EngineError."""
        if self._follow:
            if len(revisions) != 1:
                raise EngineError(f"OPA's answer names {len(revisions)} bundle revisions, not one")
            (revision,) = revisions
            self._revision = revision
            return revision
        if self._revision not in revisions:
            raise EngineError(
                f"OPA runs policy revision {sorted(revisions)}, expected {self._revision}"
            )
        return self._revision

    async def evaluate(self, document: dict[str, Any]) -> dict[str, Any]:
        nonce = secrets.token_urlsafe(24)
        asked = {**document, "request": {"nonce": nonce}}
        try:
            response = await self._client.post(
                self._url + _DATA_PATH,
                params={"provenance": "true"},
                json={"input": asked},
                headers=self._headers,
                timeout=self._timeout,
            )
            response.raise_for_status()
            body = response.json()
        except httpx.TimeoutException as exc:
            raise EngineError("OPA did not answer in time") from exc
        except (httpx.HTTPError, ValueError) as exc:
            raise EngineError(f"OPA request failed: {type(exc).__name__}") from exc
        if not isinstance(body, dict):
            raise EngineError("OPA's answer is not a JSON object")
        provenance = body.get("provenance")
        revisions = _revisions(provenance.get("bundles") if isinstance(provenance, dict) else None)
        revision = self._answering(revisions)
        result = body.get("result")
        if not isinstance(result, dict):
            raise EngineError("the decision rule is undefined for this input")
        echoed = result.pop(NONCE_KEY, None)
        if not isinstance(echoed, str) or not secrets.compare_digest(echoed, nonce):
            raise EngineError("OPA's answer is not bound to this question (nonce mismatch)")
        result[REVISION_KEY] = revision
        return result

    async def active_revisions(self) -> set[str]:
        """The revisions of the bundles OPA reports as active (its bundle manifests)."""
        try:
            response = await self._client.get(
                self._url + _BUNDLES_PATH, headers=self._headers, timeout=self._timeout
            )
            response.raise_for_status()
            body = response.json()
        except (httpx.HTTPError, ValueError):
            return set()
        return _revisions(body.get("result") if isinstance(body, dict) else None)

    async def ready(self) -> bool:
        """OPA answers our token and its active bundle is the one we built (following:
        it has one active bundle, which it verified)."""
        active = await self.active_revisions()
        if self._follow:
            if len(active) != 1:
                return False
            self._revision = next(iter(active))
            return True
        return self._revision in active

    async def aclose(self) -> None:
        await self._client.aclose()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class OpaServer:
    """A local `opa run --server` on a loopback port, for the service, tests, benches
    and demos: token authentication on, and only a bundle signed by the key
    matching `verification_key` is loaded."""

    def __init__(
        self,
        opa: str,
        bundle: Path,
        *,
        token: str,
        verification_key: Path,
        signing_alg: SigningAlgorithm = DEFAULT_SIGNING_ALG,
        port: int | None = None,
    ) -> None:
        if len(token) < MIN_TOKEN_LENGTH:
            raise EngineError(f"the OPA token must have at least {MIN_TOKEN_LENGTH} characters")
        self.opa = opa
        self.bundle = bundle
        self.token = token
        self.verification_key = verification_key
        self.signing_alg = signing_alg
        self.port = port or _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self, wait: float = 20.0) -> OpaServer:
        errors = tempfile.TemporaryFile()  # noqa: SIM115 - read when opa exits early
        self._process = subprocess.Popen(  # noqa: S603 - fixed argument list, no shell
            [
                self.opa,
                "run",
                "--server",
                "--addr",
                f"127.0.0.1:{self.port}",
                "--log-level",
                "error",
                "--authentication=token",
                "--authorization=basic",
                "--verification-key",
                str(self.verification_key),
                "--signing-alg",
                self.signing_alg,
                "--bundle",
                str(self.bundle),
            ],
            stdout=errors,  # opa reports a load error (a refused bundle) on stdout
            stderr=errors,
            # Only the token: OPA's environment is readable by policies (opa.runtime()).
            env={TOKEN_ENV: self.token},
        )
        headers = {"Authorization": f"Bearer {self.token}"}
        deadline = time.monotonic() + wait
        try:
            while time.monotonic() < deadline:
                if self._process.poll() is not None:
                    errors.seek(0)
                    raise EngineError(
                        f"opa exited with code {self._process.returncode}: "
                        f"{_last_line(errors.read())}"
                    )
                try:
                    health = httpx.get(
                        self.url + "/health?bundles=true", headers=headers, timeout=0.5
                    )
                    if health.status_code == 200:
                        return self
                except httpx.HTTPError:
                    pass
                time.sleep(0.05)
            self.stop()
            raise EngineError("opa did not become healthy in time")
        finally:
            errors.close()

    def stop(self) -> None:
        if self._process and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
        self._process = None

    def __enter__(self) -> OpaServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def __aenter__(self) -> OpaServer:
        await asyncio.to_thread(self.start)
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.stop()
