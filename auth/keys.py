"""Where the keys that sign bearer tokens come from.

Three sources, chosen by settings:

- a JWKS file (`HOI_AUTH_JWKS_FILE`), read once at start-up;
- a JWKS URL (`HOI_AUTH_JWKS_URL`), fetched with httpx, cached, and fetched again
  when a token names a key id the cache does not have (at most once per
  `min_refresh_s`, so forged key ids cannot make us hammer the identity provider);
- the development key (neither set, and not in production): an EC P-256 key pair
  generated into `var/` on first use. Its key id starts with `hoi-dev-`, and keys
  with that prefix are refused in production wherever they come from.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import httpx
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, KeySet

from policy.errors import ConfigError, Unavailable

DEV_KID_PREFIX = "hoi-dev-"
DEV_ALGORITHM = "ES256"


class KeyConfigError(ConfigError):
    """The configured keys are unusable or unsafe; the service does not start.
    Met while running (a fetched key set that is unsafe), it is answered as a
    dependency that is unavailable (api/errors.py)."""


class KeySource(Protocol):
    """Gives the key set that verifies tokens."""

    async def key_set(self, *, refresh: bool = False) -> KeySet:
        """The trusted public keys; `refresh` asks for a new copy if the source has one."""
        ...

    async def ready(self) -> bool:
        """True when keys are at hand."""
        ...


def parse_key_set(document: Any, *, allow_dev: bool, origin: str) -> KeySet:
    """A JWKS document as trusted public signing keys. Refuses private key material
    (a published key set must not hold it) and, unless allowed, development keys."""
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise KeyConfigError(f"{origin} is not a JWKS document (an object with 'keys')")
    try:
        keys = KeySet.import_key_set({"keys": document["keys"]})
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise KeyConfigError(f"{origin} holds a key that cannot be read") from exc
    usable = [k for k in keys if k.get("use") in (None, "sig")]
    for key in usable:
        if key.is_private:
            raise KeyConfigError(f"{origin} holds private key material; publish public keys only")
        if not allow_dev and (key.kid or "").startswith(DEV_KID_PREFIX):
            raise KeyConfigError(
                f"{origin} holds a development key ({key.kid}); production refuses it"
            )
    if not usable:
        raise KeyConfigError(f"{origin} holds no signing keys")
    return KeySet(usable)


class StaticKeys:
    """A key set read once (a JWKS file, or the development key)."""

    def __init__(self, keys: KeySet) -> None:
        self._keys = keys

    @property
    def keys(self) -> KeySet:
        return self._keys

    @classmethod
    def from_file(cls, path: Path, *, allow_dev: bool) -> StaticKeys:
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise KeyConfigError(f"the JWKS file {path} cannot be read") from exc
        return cls(parse_key_set(document, allow_dev=allow_dev, origin=f"the JWKS file {path}"))

    async def key_set(self, *, refresh: bool = False) -> KeySet:
        return self._keys

    async def ready(self) -> bool:
        return True


class RemoteJwks:
    """A JWKS URL, cached for `ttl_s` seconds."""

    def __init__(
        self,
        url: str,
        client: httpx.AsyncClient,
        *,
        allow_dev: bool,
        ttl_s: float = 300.0,
        min_refresh_s: float = 30.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = url
        self._client = client
        self._allow_dev = allow_dev
        self._ttl_s = ttl_s
        self._min_refresh_s = min_refresh_s
        self._monotonic = monotonic
        self._keys: KeySet | None = None
        self._fetched_at = float("-inf")
        self._lock = asyncio.Lock()

    async def _fetch(self) -> KeySet:
        try:
            response = await self._client.get(self.url, headers={"accept": "application/json"})
            response.raise_for_status()
            document = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise Unavailable("the identity provider's signing keys cannot be fetched") from exc
        try:
            return parse_key_set(document, allow_dev=self._allow_dev, origin="the JWKS URL")
        except KeyConfigError as exc:
            raise Unavailable(exc.detail) from exc

    async def key_set(self, *, refresh: bool = False) -> KeySet:
        async with self._lock:
            age = self._monotonic() - self._fetched_at
            stale = self._keys is None or age >= self._ttl_s
            wanted = refresh and age >= self._min_refresh_s
            if stale or wanted:
                try:
                    self._keys = await self._fetch()
                    self._fetched_at = self._monotonic()
                except Unavailable:
                    if self._keys is None or age >= 2 * self._ttl_s:
                        raise
            assert self._keys is not None
            return self._keys

    async def ready(self) -> bool:
        try:
            await self.key_set()
        except Unavailable:
            return False
        return True


def dev_signing_key(path: Path) -> ECKey:
    """The development signing key at `path`, generated there on first use.

    Written owner-readable only, created atomically so that `make run` and
    `hoi token` starting together agree on one key."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        key = ECKey.generate_key("P-256", private=True)
        kid = DEV_KID_PREFIX + key.thumbprint()[:16]
        key = ECKey.import_key(
            {**key.as_dict(private=True), "kid": kid, "use": "sig", "alg": DEV_ALGORITHM}
        )
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(key.as_dict(private=True), handle)
        try:
            os.link(temporary, path)  # fails if another process won the race
        except FileExistsError:
            pass
        finally:
            temporary.unlink()
    try:
        key = ECKey.import_key(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, JoseError) as exc:
        raise KeyConfigError(f"the development key {path} cannot be read") from exc
    if not (key.kid or "").startswith(DEV_KID_PREFIX) or not key.is_private:
        raise KeyConfigError(f"{path} is not a development signing key")
    return key


def dev_key_set(path: Path) -> KeySet:
    """The public half of the development key, as a key set."""
    public = dev_signing_key(path).as_dict(private=False)
    return KeySet.import_key_set({"keys": [public]})
