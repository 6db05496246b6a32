"""Bearer tokens: verifying them into a `Caller`, and minting development ones.

JOSE library: joserfc. It implements the JOSE RFCs one by one (JWS, JWK, JWT
claims), ships type hints (`mypy --strict` sees its API), makes the caller name
the accepted algorithms on every decode (no `alg: none`, no HMAC/RSA key
confusion), reads JWKS key sets and picks the key by `kid`, and is kept by the
authors of Authlib. PyJWT would also do; its JWKS client fetches with urllib
(blocking, outside our httpx client and its timeouts), and Authlib's own JOSE
module is being superseded by joserfc.

The token profile we accept (a JWT access token, RFC 9068 style), living at most
`max_lifetime_s` (`exp` - `iat`, or `exp` - `nbf` without `iat`):

| claim | meaning |
|---|---|
| `iss`, `aud`, `exp` | required; issuer and audience must be ours |
| `nbf`, `iat` | checked when present; one is required, to know the token's lifetime |
| `jti` | the token's id; required in production; bound to this one token (`auth.replay`) |
| `single_use` | `true`: the token is accepted once (a one-time token) |
| `sub` | the person (or system) the token is about |
| `role` | a role from `rego/hoi/config/data.json`, or `citizen`, `auditor`, `system` |
| `organisation` | `{"type": ..., "id": ...}`; required for professionals |
| `health_professional` | `true`: the person holds a health-professional authorisation (below) |
| `acting_for` | on-behalf claim: `{"sub": "<clinician id>", "role": "<clinician role>"}` |
| `cpr` | required for `citizen`; ignored (never stored) for anyone else |
| `act` | RFC 8693 actor: `{"sub": "<system id>"}` when a system calls for the person |

`health_professional: true` counts only when the organisation's staff register
(its staff list joined with the national authorisation register) shows the person
at the token's organisation with a valid authorisation; otherwise the policy
decides as for someone who is not a health professional.

`acting_for` is the identity provider's statement that the person (a medical
secretary) works for the named clinician of the same organisation; only a
professional's token may carry it. A secretary may instead name the clinician in
the request (`subject.acting_for`), which the policy believes only when the staff
register shows that clinician, by id and role, in her organisation with a valid
authorisation. Either way the clinician's authorisation is read from the register.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from cachetools import LRUCache
from joserfc import jwt
from joserfc.errors import (
    BadSignatureError,
    ClaimError,
    ExpiredTokenError,
    InvalidKeyIdError,
    JoseError,
    MissingClaimError,
    UnsupportedAlgorithmError,
)
from joserfc.jwk import ECKey, KeySet
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from auth.keys import DEV_ALGORITHM, KeySource
from auth.replay import TokenUses
from policy.caller import (
    AUDITOR_ROLE,
    CITIZEN_ROLE,
    SYSTEM_ROLE,
    ActingSystem,
    Caller,
    CallerKind,
)
from policy.cpr import Cpr
from policy.decision import ActingFor, Identifier, Organisation
from policy.errors import Unauthenticated

MAX_TOKEN_LENGTH = 8192
VERIFIED_TOKENS = 10_000
ACCEPTED_TYPES = (None, "JWT", "at+jwt", "application/at+jwt")
RoleName = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_]*$")]


class _Actor(BaseModel):
    model_config = ConfigDict(extra="ignore")

    sub: Identifier
    organisation: Organisation | None = None


class _OnBehalf(BaseModel):
    """The identity provider's statement that the person works for a clinician."""

    model_config = ConfigDict(extra="ignore")

    sub: Identifier
    role: RoleName


class TokenClaims(BaseModel):
    """The claims we read. Other claims an identity provider adds are ignored."""

    model_config = ConfigDict(extra="ignore")

    iss: str
    sub: Identifier
    role: RoleName
    organisation: Organisation | None = None
    health_professional: bool = False
    cpr: Cpr | None = None
    act: _Actor | None = None
    acting_for: _OnBehalf | None = None
    jti: Annotated[str, Field(min_length=1, max_length=256)] | None = None
    single_use: bool = False
    name: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    """The person's name (OpenID Connect's `name`): shown as a message's author."""


def caller_from_claims(claims: dict[str, Any]) -> Caller:
    """The caller a verified token's claims describe; unusable claims are a 401."""
    try:
        parsed = TokenClaims.model_validate(claims)
    except ValidationError as exc:
        # Name the claim, never echo its value (it may be a CPR number).
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "claims"
        raise Unauthenticated(f"the token's claim {where} is not usable: {first['msg']}") from exc
    acting = (
        ActingSystem(id=parsed.act.sub, organisation=parsed.act.organisation)
        if parsed.act
        else None
    )
    kind: CallerKind
    if parsed.role == CITIZEN_ROLE:
        if parsed.cpr is None:
            raise Unauthenticated("a citizen's token must carry the cpr claim")
        kind = "citizen"
    elif parsed.role == AUDITOR_ROLE:
        kind = "auditor"
    elif parsed.role == SYSTEM_ROLE:
        if acting is not None:
            raise Unauthenticated("a system's own token cannot carry an act claim")
        kind = "system"
    else:
        if parsed.organisation is None:
            raise Unauthenticated("a professional's token must carry the organisation claim")
        kind = "delegated" if acting else "professional"
    if parsed.acting_for is not None and kind not in ("professional", "delegated"):
        raise Unauthenticated("only a professional's token can carry an acting_for claim")
    on_behalf = (
        ActingFor(id=parsed.acting_for.sub, role=parsed.acting_for.role, asserted_by="token")
        if parsed.acting_for
        else None
    )
    return Caller(
        kind=kind,
        id=parsed.sub,
        role=parsed.role,
        organisation=parsed.organisation,
        health_professional=parsed.health_professional if kind != "citizen" else False,
        cpr=parsed.cpr if kind == "citizen" else None,
        acting_system=acting,
        acting_for=on_behalf,
        issuer=parsed.iss,
        token_id=parsed.jti,
        name=parsed.name if kind in ("professional", "delegated") else None,
    )


@dataclass
class TokenVerifier:
    """Checks signature, algorithm, issuer, audience, expiry and not-before."""

    keys: KeySource
    issuer: str
    audience: str
    algorithms: Sequence[str]
    leeway_s: int = 60
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    max_lifetime_s: int = 3600
    """The longest `exp` - `iat` (or `exp` - `nbf`) accepted."""
    require_jti: bool = False
    """Production requires every token to carry an id (`jti`)."""
    single_use: bool = False
    """Every token is accepted once, not only those that say `single_use`."""
    uses: TokenUses | None = None
    """The replay store; None: tokens are not recorded (tools, unit tests)."""
    _verified: LRUCache[str, tuple[KeySet, jwt.Token]] = field(
        default_factory=lambda: LRUCache(maxsize=VERIFIED_TOKENS), init=False, repr=False
    )
    """Signatures already checked, by the exact token and the key set that
    verified it: a client sends the same token with every call. Only the
    signature check is kept; claims, expiry and replay are checked every time,
    and a changed key set checks the signature again."""

    async def _decode(self, token: str) -> jwt.Token:
        keys = await self.keys.key_set()
        kept = self._verified.get(token)
        if kept is not None and kept[0] is keys:
            return kept[1]
        try:
            decoded = jwt.decode(token, keys, algorithms=list(self.algorithms))
        except InvalidKeyIdError:
            # Perhaps the identity provider rolled its keys: look once more.
            keys = await self.keys.key_set(refresh=True)
            decoded = jwt.decode(token, keys, algorithms=list(self.algorithms))
        self._verified[token] = (keys, decoded)
        return decoded

    async def verify(self, token: str) -> Caller:
        if not token or len(token) > MAX_TOKEN_LENGTH or token.count(".") != 2:
            raise Unauthenticated("the bearer token is not a signed JWT", reason="malformed")
        try:
            decoded = await self._decode(token)
        except InvalidKeyIdError as exc:
            raise Unauthenticated(
                "the token is signed with a key this service does not trust",
                reason="untrusted_key",
            ) from exc
        except UnsupportedAlgorithmError as exc:
            raise Unauthenticated(
                "the token's signing algorithm is not accepted", reason="algorithm"
            ) from exc
        except BadSignatureError as exc:
            raise Unauthenticated(
                "the token's signature does not verify", reason="signature"
            ) from exc
        except (JoseError, ValueError, TypeError) as exc:
            raise Unauthenticated(
                "the bearer token is not a signed JWT", reason="malformed"
            ) from exc
        if decoded.header.get("typ") not in ACCEPTED_TYPES:
            raise Unauthenticated("the token is not an access token (typ)", reason="type")
        registry = jwt.JWTClaimsRegistry(
            now=int(self.clock().timestamp()),
            leeway=self.leeway_s,
            iss={"essential": True, "value": self.issuer},
            aud={"essential": True, "value": self.audience},
            exp={"essential": True},
            sub={"essential": True},
        )
        try:
            registry.validate(decoded.claims)
        except ExpiredTokenError as exc:
            raise Unauthenticated("the token has expired", reason="expired") from exc
        except MissingClaimError as exc:
            raise Unauthenticated(f"the token lacks the claim {exc.claim}") from exc
        except ClaimError as exc:
            raise Unauthenticated(_claim_message(exc.claim)) from exc
        claims = decoded.claims
        self._check_lifetime(claims)
        if claims.get("jti") is None and (self.require_jti or self.single_use):
            raise Unauthenticated("the token lacks the claim jti")
        caller = caller_from_claims(claims)
        if self.uses is not None and caller.token_id is not None:
            await self.uses.record(
                issuer=caller.issuer,
                jti=caller.token_id,
                token=token,
                expires_at=datetime.fromtimestamp(claims["exp"] + self.leeway_s, UTC),
                # Anything but absent or false makes a token single-use (fail closed).
                single_use=self.single_use or claims.get("single_use") not in (None, False),
            )
        return caller

    def _check_lifetime(self, claims: dict[str, Any]) -> None:
        """`exp` was checked (present, a number, not past); `iat` and `nbf`, when
        present, are numbers. The lifetime runs from `iat`, or else from `nbf`."""
        start = claims.get("iat", claims.get("nbf"))
        if start is None:
            raise Unauthenticated(
                "the token lacks the claims iat and nbf, so its lifetime is unknown",
                reason="lifetime",
            )
        lifetime = claims["exp"] - start
        if lifetime > self.max_lifetime_s:
            raise Unauthenticated(
                f"the token lives longer than this service accepts ({self.max_lifetime_s} s)",
                reason="lifetime",
            )
        if lifetime <= 0:
            raise Unauthenticated("the token expires before it begins (exp)", reason="lifetime")


def _claim_message(claim: str) -> str:
    return {
        "iss": "the token was issued by an issuer this service does not trust",
        "aud": "the token is meant for another audience",
        "nbf": "the token is not valid yet",
        "iat": "the token was issued in the future",
        "exp": "the token's expiry is not a time",
    }.get(claim, f"the token's claim {claim} is not valid")


def mint(
    key: ECKey | KeySet,
    *,
    issuer: str,
    audience: str,
    subject: str,
    role: str,
    organisation: dict[str, str] | None = None,
    health_professional: bool = False,
    cpr: str | None = None,
    actor: str | None = None,
    acting_for: tuple[str, str] | None = None,
    lifetime: timedelta = timedelta(hours=1),
    now: datetime | None = None,
    algorithm: str = DEV_ALGORITHM,
    extra: dict[str, Any] | None = None,
) -> str:
    """Sign a token in our profile. For development and tests; production tokens
    come from the identity provider."""
    issued = now or datetime.now(UTC)
    claims: dict[str, Any] = {
        "iss": issuer,
        "aud": audience,
        "sub": subject,
        "role": role,
        "iat": int(issued.timestamp()),
        "nbf": int(issued.timestamp()),
        "exp": int((issued + lifetime).timestamp()),
        "jti": str(uuid.uuid4()),
    }
    if organisation is not None:
        claims["organisation"] = organisation
    if health_professional:
        claims["health_professional"] = True
    if cpr is not None:
        claims["cpr"] = cpr
    if actor is not None:
        claims["act"] = {"sub": actor}
    if acting_for is not None:
        claims["acting_for"] = {"sub": acting_for[0], "role": acting_for[1]}
    claims.update(extra or {})
    header: dict[str, Any] = {"alg": algorithm}
    if isinstance(key, ECKey) and key.kid:
        header["kid"] = key.kid
    return jwt.encode(header, claims, key, algorithms=[algorithm])
