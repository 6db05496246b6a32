"""HTTP access to one source: authentication, retries for idempotent reads, errors.

Errors raised from here never carry a URL or a payload: URLs hold CPR numbers
in their queries, and the retry library logs the error it retries on.
"""

from __future__ import annotations

import logging
import os
import ssl
from typing import Any

import httpx
import stamina

from broker.sources import SANDBOX, BearerFromEnv, MutualTls, SourceSpec
from broker.transport import AiohttpTransport
from policy.errors import HoiError

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_RETRY_STATUSES = frozenset({429, 502, 503, 504})


def quiet_http_logs() -> None:
    """httpx logs every request URL at INFO, and source URLs carry CPR numbers in
    their queries: keep those loggers to warnings and above."""
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)


class SourceError(HoiError):
    """A source could not give an answer. `detail` is a short code safe to show and log."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)


class SourceNotConfigured(SourceError):
    """The source's credentials are not configured: it is never called (fail closed)."""


class _Transient(SourceError):
    """A failure worth another try (connection refused, 503, ...)."""


def _auth_settings(spec: SourceSpec) -> tuple[dict[str, str], ssl.SSLContext | bool, str | None]:
    """Headers and TLS settings for the source, or the reason it cannot be called."""
    auth = spec.auth
    if isinstance(auth, BearerFromEnv):
        token = os.environ.get(auth.env, "").strip()
        if not token:
            return {}, True, f"auth_not_configured: set {auth.env}"
        return {"authorization": f"Bearer {token}"}, True, None
    if isinstance(auth, MutualTls):
        files = (auth.cert_file, auth.key_file, auth.ca_file)
        if any(f is None or not f.is_file() for f in files):
            return {}, True, "auth_not_configured: mTLS certificate, key and CA are needed"
        assert auth.cert_file and auth.key_file and auth.ca_file
        context = ssl.create_default_context(cafile=str(auth.ca_file))
        context.load_cert_chain(str(auth.cert_file), str(auth.key_file))
        return {}, context, None
    return {}, True, None


class SourceClient:
    """One source's HTTP client. Built in the app's lifespan, closed with it."""

    def __init__(self, spec: SourceSpec, *, transport: httpx.AsyncBaseTransport | None = None):
        self.spec = spec
        headers, verify, problem = _auth_settings(spec)
        unset = SANDBOX in spec.base_url
        self.not_configured = "base_url_not_configured: no sandbox runs" if unset else problem
        self._http = httpx.AsyncClient(
            base_url="http://unconfigured.invalid/" if unset else spec.base_url.rstrip("/") + "/",
            headers={"accept": "application/json", **headers},
            timeout=spec.timeout_s,
            follow_redirects=False,
            # aiohttp underneath (broker/transport.py): httpcore's pool cost more CPU
            # than everything else of a source call
            transport=transport
            or AiohttpTransport(verify=verify, max_connections=100, keepalive_expiry=5.0),
        )

    async def get_json(self, path: str, params: dict[str, str] | None = None) -> Any:
        return await self.request_json("GET", path, params=params)

    async def request_json(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        form: dict[str, str] | None = None,
        idempotent: bool | None = None,
    ) -> Any:
        """Send one request and return its JSON body. Reads with an idempotent method
        (or declared idempotent, like FHIR's POST _search) are retried with backoff
        on transient failures; anything else is sent exactly once."""
        if self.not_configured:
            raise SourceNotConfigured(self.not_configured)
        retry = self.spec.retry
        safe = method.upper() in IDEMPOTENT_METHODS if idempotent is None else idempotent
        attempts = retry.attempts if safe else 1
        async for attempt in stamina.retry_context(
            on=_Transient,
            attempts=attempts,
            timeout=None,  # the broker bounds the whole fetch with the source's timeout
            wait_initial=retry.wait_initial_s,
            wait_max=retry.wait_max_s,
            wait_jitter=retry.wait_initial_s,  # stamina's default jitter (1 s) exceeds our budgets
        ):
            with attempt:
                return await self._once(method, path, params, form)
        raise SourceError("no_attempt")  # pragma: no cover - stamina runs at least once

    async def _once(
        self,
        method: str,
        path: str,
        params: dict[str, str] | None,
        form: dict[str, str] | None,
    ) -> Any:
        try:
            response = await self._http.request(method, path.lstrip("/"), params=params, data=form)
        except httpx.TimeoutException as exc:
            raise _Transient("timeout") from exc
        except httpx.TransportError as exc:
            raise _Transient(f"transport_{type(exc).__name__}") from exc
        if response.status_code in _RETRY_STATUSES:
            raise _Transient(f"http_{response.status_code}")
        if response.status_code >= 400:
            raise SourceError(f"http_{response.status_code}")
        try:
            return response.json()
        except ValueError as exc:
            raise SourceError("bad_response: not JSON") from exc

    async def reachable(self) -> bool:
        """The source answers at its base URL with any status below 500: a readiness
        probe, sent once without retries within the source's timeout."""
        if self.not_configured:
            return False
        try:
            response = await self._http.get("", timeout=self.spec.timeout_s)
        except httpx.HTTPError:
            return False
        return response.status_code < 500

    async def aclose(self) -> None:
        await self._http.aclose()
