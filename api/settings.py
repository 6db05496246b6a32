"""Settings: one class, read from HOI_* environment variables, cached."""

from __future__ import annotations

import ipaddress
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from audit.chain import DEV_AUDIT_KEY
from engine.opa import DEFAULT_SIGNING_ALG, MIN_TOKEN_LENGTH, SigningAlgorithm
from policy.persons import DEV_HANDLE_KEY

DEV_ISSUER = "hoi-policy-dev"
"""The issuer of development tokens (`hoi token`); production refuses it."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HOI_", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    engine: Literal["embedded", "opa"] = "embedded"
    opa_url: str | None = None
    """An OPA server already running our signed bundle. Unset: start a local one.
    Production accepts only https or a loopback address."""
    opa_token: SecretStr | None = None
    """The bearer token the service presents to OPA (OPA compares it with its own
    HOI_OPA_TOKEN). Unset outside production: a random one for the local OPA."""
    opa_signing_key: Path | None = None
    """PEM private key that signs the bundle the service builds for its local OPA.
    Unset outside production: one generated under var_dir."""
    opa_verification_key: Path | None = None
    """PEM public key the local OPA verifies the bundle with; unset: derived from
    the signing key."""
    opa_signing_alg: SigningAlgorithm = DEFAULT_SIGNING_ALG
    opa_follow_bundles: bool = False
    """The sidecar at HOI_OPA_URL polls a bundle server and verifies each signed
    bundle itself: accept the one revision OPA answers with, and record it with
    each decision (a policy rollout). Unset: only the revision built from this
    installation's rego/ is accepted."""
    var_dir: Path = Path("var")
    database_url: str | None = None
    """SQLAlchemy URL; unset means a SQLite file under var_dir."""
    decision_timeout_s: float = 2.0
    max_body_bytes: int = 64 * 1024
    seed_demo_data: bool = True
    demo_reference_date: date | None = None
    """The day the synthetic population's events are laid around; unset: today."""
    audit_key: SecretStr = SecretStr(DEV_AUDIT_KEY)
    """Signs the audit chain's head and retention checkpoints (HMAC-SHA256)."""
    person_handle_key: SecretStr = SecretStr(DEV_HANDLE_KEY)
    """Keys the per-child handles that name parents without their CPR numbers."""
    audit_retention_years: int = Field(default=5, ge=1)
    """Audit records older than this are purged by `hoi audit purge`."""
    audit_log_shows_employee: bool = False
    """Whether the citizen's access log names the employee (their id) who looked."""
    audit_max_batch: int = Field(default=512, ge=1)
    """The most audit records one group commit writes."""
    sources: Literal["sandbox", "configured"] | None = None
    """Data sources for the broker and the facts: `sandbox` serves the synthetic
    sources over HTTP on loopback; `configured` uses the registry's base URLs as
    written. Unset: `sandbox`, except in production (`configured`)."""
    source_registry: Path | None = None
    """The source registry YAML; unset: broker/sources.yaml."""
    sandbox_url: str | None = None
    """With sources=sandbox: a sandbox already running there; unset: start one in-process."""
    sandbox_port: int = 0
    """With sources=sandbox and no sandbox_url: the loopback port (0: any free port)."""
    organisation_register: Path | None = None
    """The organisation register file (YAML: `organisations`, each with id, name, type,
    part_of, units; exported from SOR and FK Organisation). Required in production;
    the sandbox's development service uses the pilot's."""
    facts: Literal["auto", "sources", "local"] = "auto"
    """Where the child and relation facts come from: the CPR and relation sources, or
    facts held in memory (`local`: the sandbox's population). `auto`: local when the
    composer plugs in facts held in memory (the compliance scenarios), the sources
    otherwise."""

    @property
    def resolved_sources(self) -> Literal["sandbox", "configured"]:
        if self.sources is not None:
            return self.sources
        return "configured" if self.environment == "production" else "sandbox"

    # Bearer tokens. With neither a JWKS file nor a JWKS URL, the service trusts the
    # development key in var_dir (made on first use by `hoi serve` or `hoi token`).
    auth_issuer: str = DEV_ISSUER
    auth_audience: str = "hoi-policy"
    auth_jwks_file: Path | None = None
    auth_jwks_url: str | None = None
    auth_algorithms: list[str] = Field(default_factory=lambda: ["ES256", "ES384", "RS256", "PS256"])
    auth_leeway_s: int = Field(default=60, ge=0, le=300)
    auth_jwks_cache_s: float = Field(default=300.0, gt=0)
    auth_max_token_lifetime_s: int = Field(default=3600, ge=60, le=24 * 3600)
    """The longest a token may live (`exp` - `iat`, or `exp` - `nbf`); longer ones are refused."""
    auth_require_jti: bool | None = None
    """Whether every token must carry an id (`jti`). Unset: required in production only."""
    auth_token_single_use: bool = False
    """Accept every token once only (one-time tokens). Unset: a bearer token is reused
    for its lifetime, and only tokens that say `single_use: true` are accepted once.
    Either way, a second token that carries a used jti is refused."""
    dev_key_file: Path | None = None
    """The development signing key; unset: var_dir/dev-signing-key.jwk.json."""

    # The pages' sign-in through the identity provider (OpenID Connect, the
    # authorization-code flow with PKCE). Set: the sign-in page shows one button and
    # no picker; the access token it brings back is verified like any bearer token.
    oidc_issuer: str | None = None
    """The identity provider's issuer URL; its metadata is read from
    `<issuer>/.well-known/openid-configuration`. Production accepts only https."""
    oidc_client_id: str | None = None
    """The pages' client id at the identity provider; required with HOI_OIDC_ISSUER."""
    oidc_client_secret: SecretStr | None = None
    """The client secret (client_secret_basic); unset: a public client (PKCE only)."""
    oidc_redirect_uri: str | None = None
    """Where the provider sends the browser back (`.../pages/sign-in/callback`), as
    registered there. Required in production (https); unset elsewhere: from the request."""
    oidc_scope: str = "openid"
    sandbox_idp: bool = False
    """Development: the sandbox serves an OpenID Connect provider (sandbox/idp.py) at
    `<sandbox>/idp`, and the pages sign in through it as production does through its
    own, instead of the picker. Refused in production."""

    message_network_url: str | None = None
    """The MedCom message network's base URL (inboxes at `/inboxes/{gln}/messages`):
    the outbox relay delivers the correspondence there, and runs only when it is set.
    Unset under `hoi sandbox serve`: the sandbox's own network (`<sandbox>/network`).
    Production accepts only https or a loopback address."""
    message_relay_max_attempts: int = Field(default=8, ge=1)
    """Attempts before a message is marked failed (a fatal acknowledgement fails it at once)."""
    message_relay_poll_s: float = Field(default=2.0, gt=0)
    """How often the relay looks for due messages (it also wakes when one is written)."""
    message_relay_lease_s: float = Field(default=60.0, gt=0)
    """How long a relay holds a message it is posting; must outlast the timeout."""
    message_relay_timeout_s: float = Field(default=10.0, gt=0)
    message_relay_backoff_s: float = Field(default=1.0, gt=0)
    """The first retry's wait; it doubles per attempt (half of it random)."""
    message_relay_backoff_max_s: float = Field(default=600.0, gt=0)

    public_url: str | None = None
    """The service's external base URL, for the AuthZEN metadata; unset: from the request."""
    authzen_max_evaluations: int = Field(default=500, ge=1, le=10_000)
    handbook_at_start: bool | None = None
    """Build the lawyers' handbook in the background at start-up (off the event
    loop); unset: yes, except in tests. Off, it is built on its first request."""

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.var_dir / 'hoi.db'}"

    @property
    def resolved_dev_key_file(self) -> Path:
        return self.dev_key_file or self.var_dir / "dev-signing-key.jwk.json"

    @property
    def resolved_opa_signing_key(self) -> Path:
        return self.opa_signing_key or self.var_dir / "opa-bundle-signing-key.pem"

    @property
    def resolved_handbook_at_start(self) -> bool:
        if self.handbook_at_start is not None:
            return self.handbook_at_start
        return self.environment != "test"

    @property
    def resolved_require_jti(self) -> bool:
        if self.auth_require_jti is not None:
            return self.auth_require_jti
        return self.environment == "production" or self.auth_token_single_use

    @property
    def uses_dev_key(self) -> bool:
        """True when tokens are checked against the development key."""
        return self.auth_jwks_file is None and self.auth_jwks_url is None

    @model_validator(mode="after")
    def _production_is_safe(self) -> Settings:
        if self.message_relay_lease_s <= self.message_relay_timeout_s:
            raise ValueError("HOI_MESSAGE_RELAY_LEASE_S must be longer than its timeout")
        if not self.auth_algorithms or any(
            a.upper().startswith("HS") or a.lower() == "none" for a in self.auth_algorithms
        ):
            # A shared secret would let every verifier mint tokens; "none" signs nothing.
            raise ValueError("HOI_AUTH_ALGORITHMS must name asymmetric signing algorithms")
        if self.opa_follow_bundles and (self.engine != "opa" or self.opa_url is None):
            raise ValueError(
                "HOI_OPA_FOLLOW_BUNDLES needs HOI_ENGINE=opa and HOI_OPA_URL (a sidecar "
                "that polls the bundle server)"
            )
        if self.auth_jwks_file is not None and self.auth_jwks_url is not None:
            raise ValueError("set HOI_AUTH_JWKS_FILE or HOI_AUTH_JWKS_URL, not both")
        if (self.oidc_issuer is None) != (self.oidc_client_id is None):
            raise ValueError("set HOI_OIDC_ISSUER and HOI_OIDC_CLIENT_ID together")
        if self.sandbox_idp and self.oidc_issuer is not None:
            raise ValueError("HOI_SANDBOX_IDP is the identity provider: unset HOI_OIDC_ISSUER")
        if self.environment == "production":
            if self.seed_demo_data:
                raise ValueError(
                    "production must not load synthetic demo data (set HOI_SEED_DEMO_DATA=false)"
                )
            if self.database_url is None:
                raise ValueError("production needs HOI_DATABASE_URL")
            if self.uses_dev_key:
                raise ValueError(
                    "production refuses the development signing key: set HOI_AUTH_JWKS_FILE "
                    "or HOI_AUTH_JWKS_URL to the identity provider's keys"
                )
            if self.auth_issuer == DEV_ISSUER:
                raise ValueError("production refuses the development issuer: set HOI_AUTH_ISSUER")
            if self.auth_require_jti is False:
                raise ValueError(
                    "production requires a jti in every token (unset HOI_AUTH_REQUIRE_JTI)"
                )
            if self.auth_jwks_url is not None and not self.auth_jwks_url.startswith("https://"):
                raise ValueError("production fetches HOI_AUTH_JWKS_URL over https only")
            key = self.audit_key.get_secret_value()
            if key == DEV_AUDIT_KEY or len(key) < 32:
                raise ValueError(
                    "production needs its own HOI_AUDIT_KEY of at least 32 characters; "
                    "the development audit key is refused"
                )
            handle_key = self.person_handle_key.get_secret_value()
            if handle_key == DEV_HANDLE_KEY or len(handle_key) < 32:
                raise ValueError(
                    "production needs its own HOI_PERSON_HANDLE_KEY of at least 32 characters"
                )
            self._production_sign_in_is_safe()
            if self.sources == "sandbox":
                raise ValueError("production must not use sandbox sources (set HOI_SOURCES)")
            if self.message_network_url is not None and not https_or_loopback(
                self.message_network_url
            ):
                raise ValueError(
                    "HOI_MESSAGE_NETWORK_URL must be https or a loopback address in production"
                )
            self._production_opa_is_safe()
        return self

    def _production_sign_in_is_safe(self) -> None:
        if self.sandbox_idp:
            raise ValueError("production must not sign in through the sandbox (HOI_SANDBOX_IDP)")
        if self.oidc_issuer is None:
            return
        if not self.oidc_issuer.startswith("https://"):
            raise ValueError("production reads HOI_OIDC_ISSUER over https only")
        if self.oidc_redirect_uri is None or not self.oidc_redirect_uri.startswith("https://"):
            raise ValueError(
                "production needs HOI_OIDC_REDIRECT_URI, an https URL registered at the "
                "identity provider (.../pages/sign-in/callback)"
            )

    def _production_opa_is_safe(self) -> None:
        if self.opa_url is not None and not https_or_loopback(self.opa_url):
            raise ValueError(
                "HOI_OPA_URL must be https or a loopback address (127.0.0.0/8, ::1, "
                "localhost) in production: plain http would expose the token and the "
                "decisions to the network"
            )
        if self.engine != "opa":
            return
        token = self.opa_token.get_secret_value() if self.opa_token else ""
        if len(token) < MIN_TOKEN_LENGTH:
            raise ValueError(
                f"production with HOI_ENGINE=opa needs HOI_OPA_TOKEN of at least "
                f"{MIN_TOKEN_LENGTH} characters (OPA admits only that token)"
            )
        if self.opa_url is None and self.opa_signing_key is None:
            raise ValueError(
                "production starting its own OPA needs HOI_OPA_SIGNING_KEY (the bundle "
                "signing key); no development key is generated in production"
            )


def https_or_loopback(url: str) -> bool:
    """True for an https URL, or an http URL whose host is a loopback address."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return True
    if parts.scheme != "http" or not parts.hostname:
        return False
    if parts.hostname == "localhost":
        return True
    try:
        return ipaddress.ip_address(parts.hostname).is_loopback
    except ValueError:
        return False


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
