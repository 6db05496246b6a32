"""Building the service's parts from settings; created in the app's lifespan.

Production stands on nothing synthetic: the organisation register is a file
named in the settings, facts come from the source systems. A composer outside
production (the sandbox: synthetic population, fake source systems) plugs its
parts in through `Plug`."""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine

from api.settings import Settings
from audit.calls import RecordingFacts
from audit.chain import Signer
from audit.log import AuditLog
from auth.keys import KeyConfigError, KeySource, RemoteJwks, StaticKeys, dev_key_set
from auth.replay import TokenUses
from auth.tokens import TokenVerifier
from broker.broker import DataBroker
from broker.client import SourceClient
from broker.disclosure import DisclosureRecorder
from broker.sources import DEFAULT_SOURCES, SANDBOX, load_sources
from correspondence.relay import Relay, RelayConfig, RelayTask
from db.engine import make_engine
from db.schema import create_schema
from decisions import AuditedDecisions
from decisions.correspondence import Correspondence
from engine.base import EngineError, PolicyEngine
from engine.bundle import PolicyBundle
from engine.embedded import EmbeddedEngine
from engine.opa import (
    OpaEngine,
    OpaServer,
    build_bundle,
    bundle_signing_key,
    find_opa,
    verification_key,
)
from engine.pdp import DecisionPoint
from facts.addressing import recipient_of, responsible_unit
from facts.cache import CachedFacts
from facts.local import InMemorySource, LocalFacts
from facts.organisations import Organisation, OrganisationRegister, load_organisations
from facts.registry_reads import RegistryReads
from facts.sources import SourceFacts
from handbook.cache import HandbookCache
from pages.oidc import OidcClient, OidcConfig
from pages.people import DevSignIn
from policy.catalogue import catalogue
from policy.errors import ConfigError, Unavailable
from policy.facts import FactsProvider, RegistryState
from policy.legal import LegalCatalogue, legal_catalogue
from policy.paths import REGO_DIR
from policy.persons import PersonHandles
from registry.state import read_registry_states

log = logging.getLogger(__name__)


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Services:
    settings: Settings
    db: Engine
    engine: PolicyEngine
    facts: FactsProvider
    pdp: DecisionPoint
    clock: Callable[[], datetime]
    verifier: TokenVerifier
    legal: LegalCatalogue
    handbook: HandbookCache
    audit: AuditLog
    organisations: OrganisationRegister
    broker: DataBroker
    handles: PersonHandles
    decisions: AuditedDecisions
    """The one audited decision path every route asks."""
    correspondence: Correspondence
    """The one way a message about a child leaves: decided, audited, queued."""
    sign_in: DevSignIn | None = field(default=None, repr=False)
    """Synthetic people to sign in as on the pages (the sandbox's); never in production."""
    oidc: OidcClient | None = field(default=None, repr=False)
    """The pages' sign-in through the identity provider (HOI_OIDC_*, or the sandbox's)."""
    fact_sources: list[SourceClient] = field(default_factory=list, repr=False)
    """The sources the decisions need (CPR, relation evidence); readiness probes them."""
    relay: Relay | None = field(default=None, repr=False)
    """Delivers the correspondence outbox (when a message network is configured);
    the sender path calls `relay.notify()` after writing a message."""
    _opa_server: OpaServer | None = field(default=None, repr=False)
    _http: httpx.AsyncClient | None = field(default=None, repr=False)
    _relay_task: RelayTask | None = field(default=None, repr=False)

    def organisation_name(self, organisation_id: str) -> str | None:
        org = self.organisations.get(organisation_id)
        return org.name if org else None

    def start_background(self) -> None:
        """Start what runs beside the requests (the outbox relay); in the app's lifespan,
        on its event loop."""
        if self.relay is not None and self._relay_task is None:
            self._relay_task = RelayTask(self.relay)
            self._relay_task.start()

    async def aclose(self) -> None:
        if self._relay_task is not None:  # first: it writes to the database
            await self._relay_task.stop()
            self._relay_task = None
        elif self.relay is not None:
            await self.relay.aclose()
        await self.handbook.aclose()
        await self.audit.aclose()
        await self.engine.aclose()
        if self._http is not None:
            await self._http.aclose()
        if self.oidc is not None:
            await self.oidc.aclose()
        await self.broker.aclose()
        if self._opa_server is not None:
            await asyncio.to_thread(self._opa_server.stop)
        self.db.dispose()


def make_policy_engine(settings: Settings) -> tuple[PolicyEngine, OpaServer | None]:
    sources = PolicyBundle(REGO_DIR)
    if settings.engine == "embedded":
        return EmbeddedEngine(sources), None
    server: OpaServer | None = None
    url = settings.opa_url
    token = settings.opa_token.get_secret_value() if settings.opa_token else None
    if url is None:
        server = start_local_opa(settings, sources, token or secrets.token_urlsafe(32))
        url, token = server.url, server.token
    engine = OpaEngine(
        url,
        sources.revision(),
        token=token,
        timeout=settings.decision_timeout_s,
        follow=settings.opa_follow_bundles,
    )
    return engine, server


def reload_policy(engine: PolicyEngine, root: Path = REGO_DIR) -> str | None:
    """On SIGHUP: the embedded engine reads the policy files under `root` again and
    switches to them in one step (EmbeddedEngine.reload). Returns the new revision;
    None when this engine does not reload (an OPA sidecar follows its bundle server
    instead) or the files did not load (the running revision stays, and says so in
    the log). Replace the files in one step (a symlink swapped), then signal."""
    if not isinstance(engine, EmbeddedEngine):
        return None
    try:
        revision = engine.reload(PolicyBundle(root))
    except (EngineError, OSError, ValueError) as exc:
        log.error(
            "policy reload refused; still running the previous revision",
            extra={"policy_revision": engine.revision, "error": str(exc)},
        )
        return None
    log.info("policy reloaded", extra={"policy_revision": revision})
    return revision


def handbook_engine(
    settings: Settings, engine: PolicyEngine, server: OpaServer | None
) -> Callable[[], PolicyEngine]:
    """A factory of engines like `engine`, for the handbook's build in its own
    thread: the service's engine and loop stay free for decisions meanwhile."""
    if isinstance(engine, OpaEngine):
        url = server.url if server is not None else settings.opa_url
        token = server.token if server is not None else None
        if token is None and settings.opa_token is not None:
            token = settings.opa_token.get_secret_value()
        assert url is not None
        revision, timeout, follow = engine.revision, settings.decision_timeout_s, engine.follows
        return lambda: OpaEngine(url, revision, token=token, timeout=timeout, follow=follow)
    return lambda: EmbeddedEngine(PolicyBundle(REGO_DIR))


def start_local_opa(settings: Settings, sources: PolicyBundle, token: str) -> OpaServer:
    """Build and sign the bundle, then run OPA on loopback with authentication on and
    the bundle's signature verified."""
    opa = find_opa()
    if opa is None:
        raise Unavailable("HOI_ENGINE=opa but no opa binary was found and no HOI_OPA_URL set")
    signing_key = settings.opa_signing_key or bundle_signing_key(settings.resolved_opa_signing_key)
    public = settings.opa_verification_key or verification_key(
        signing_key, settings.var_dir / "opa-bundle-verification-key.pem"
    )
    bundle = settings.var_dir / "bundle.tar.gz"
    build_bundle(
        opa, sources, bundle, signing_key=signing_key, signing_alg=settings.opa_signing_alg
    )
    return OpaServer(
        opa, bundle, token=token, verification_key=public, signing_alg=settings.opa_signing_alg
    ).start()


def make_key_source(settings: Settings) -> tuple[KeySource, httpx.AsyncClient | None]:
    """The keys tokens are checked against. Production never trusts a development key."""
    allow_dev = settings.environment != "production"
    if settings.auth_jwks_url is not None:
        client = httpx.AsyncClient(timeout=httpx.Timeout(5.0), follow_redirects=False)
        source = RemoteJwks(
            settings.auth_jwks_url, client, allow_dev=allow_dev, ttl_s=settings.auth_jwks_cache_s
        )
        return source, client
    if settings.auth_jwks_file is not None:
        static = StaticKeys.from_file(settings.auth_jwks_file, allow_dev=allow_dev)
        if not allow_dev and settings.resolved_dev_key_file.exists():
            dev = {k.thumbprint() for k in dev_key_set(settings.resolved_dev_key_file)}
            if any(k.thumbprint() in dev for k in static.keys):
                raise KeyConfigError("the JWKS file holds this machine's development key")
        return static, None
    if not allow_dev:  # the settings validator refuses this first; never rely on one check
        raise KeyConfigError("production refuses the development signing key")
    return StaticKeys(dev_key_set(settings.resolved_dev_key_file)), None


def oidc_config(settings: Settings) -> OidcConfig | None:
    """The pages' registration at the identity provider, when the settings name one."""
    if settings.oidc_issuer is None or settings.oidc_client_id is None:
        return None
    secret = settings.oidc_client_secret
    return OidcConfig(
        issuer=settings.oidc_issuer,
        client_id=settings.oidc_client_id,
        client_secret=secret.get_secret_value() if secret is not None else None,
        redirect_uri=settings.oidc_redirect_uri,
        scope=settings.oidc_scope,
        algorithms=tuple(settings.auth_algorithms),
        allow_dev_keys=settings.environment != "production",
        require_https=settings.environment == "production",
    )


def make_oidc_client(config: OidcConfig | None) -> OidcClient | None:
    if config is None:
        return None
    return OidcClient(config, httpx.AsyncClient(timeout=httpx.Timeout(5.0), follow_redirects=False))


@dataclass
class Plug:
    """What a composer outside production plugs into the service (the sandbox does:
    see sandbox/app.py). Production plugs in nothing."""

    organisations: OrganisationRegister | None = None
    """The organisation register; unset: the file HOI_ORGANISATION_REGISTER names."""
    in_memory: InMemorySource | None = None
    """Facts held in memory (HOI_FACTS=local, or auto when given) instead of the
    CPR and relation sources."""
    sandbox_url: str | None = None
    """Where the source registry's sandbox placeholders point (HOI_SOURCES=sandbox)."""
    prepare_db: Callable[[Engine], None] | None = None
    """Run once the schema exists (the sandbox seeds its population's registry)."""
    message_network_url: str | None = None
    """The message network the relay delivers to, when the settings name none (the
    sandbox's own)."""
    sign_in: DevSignIn | None = None
    """Synthetic people the pages offer to sign in as (development only)."""
    oidc: OidcConfig | None = None
    """The identity provider the pages sign in through, when the settings name none
    (the sandbox's, HOI_SANDBOX_IDP)."""


def make_relay(settings: Settings, db: Engine, network_url: str | None) -> Relay | None:
    """The outbox relay, when there is a message network to deliver to."""
    if network_url is None:
        return None
    return Relay(
        db,
        RelayConfig(
            network_url=network_url,
            max_attempts=settings.message_relay_max_attempts,
            poll_interval_s=settings.message_relay_poll_s,
            lease_s=settings.message_relay_lease_s,
            backoff_base_s=settings.message_relay_backoff_s,
            backoff_max_s=settings.message_relay_backoff_max_s,
            timeout_s=settings.message_relay_timeout_s,
        ),
    )


def organisation_register(settings: Settings) -> dict[str, Organisation]:
    """The organisation register file the settings name. Production refuses to run
    without one: a block "with sub-units" would reach no unit."""
    if settings.organisation_register is not None:
        return load_organisations(settings.organisation_register)
    if settings.environment == "production":
        raise ConfigError(
            "production needs the organisation register (set HOI_ORGANISATION_REGISTER)",
            field="organisation_register",
        )
    return {}


def build_services(
    settings: Settings,
    *,
    clock: Callable[[], datetime] | None = None,
    engine: PolicyEngine | None = None,
    disclosures: DisclosureRecorder | None = None,
    plug: Plug | None = None,
) -> Services:
    """Wire the service. Tests pass their own clock or engine; the sandbox its plug."""
    clock = clock or utc_now
    plug = plug or Plug()
    if plug.sign_in is not None and settings.environment == "production":
        raise ConfigError(
            "production signs people in through the identity provider, never a development sign-in",
            field="environment",
        )
    oidc = plug.oidc or oidc_config(settings)
    if oidc is not None and plug.sign_in is not None:
        raise ConfigError(
            "the pages sign in through the identity provider (HOI_OIDC_ISSUER) or a "
            "development picker, not both",
            field="oidc_issuer",
        )
    keys, http = make_key_source(settings)  # first: unsafe keys stop us before anything opens
    orgs = plug.organisations if plug.organisations is not None else organisation_register(settings)
    local = settings.facts == "local" or (settings.facts == "auto" and plug.in_memory is not None)
    if local and plug.in_memory is None:
        raise ConfigError(
            "HOI_FACTS=local needs facts held in memory (the sandbox's)", field="facts"
        )
    db = make_engine(settings.resolved_database_url)
    create_schema(db)
    if plug.prepare_db is not None:
        plug.prepare_db(db)

    def read_registries(cprs: Sequence[str]) -> dict[str, RegistryState]:
        return read_registry_states(db, cprs)

    read_registry = RegistryReads(read_registries).read

    broker = make_broker(settings, orgs, clock, disclosures, sandbox_url=plug.sandbox_url)
    facts: FactsProvider
    fact_sources: list[SourceClient] = []
    if local:
        assert plug.in_memory is not None
        facts = RecordingFacts(LocalFacts(plug.in_memory, read_registry, orgs))
    else:
        fact_sources = [
            broker.client(broker.source_list.facts.person),
            broker.client(broker.source_list.facts.relations),
        ]
        # Reused facts are not source calls: the recorder sits inside the cache.
        facts = CachedFacts(
            RecordingFacts(
                SourceFacts(
                    person=fact_sources[0],
                    relation_evidence=fact_sources[1],
                    staff=broker.client(broker.source_list.facts.staff),
                    read_registry=read_registry,
                    organisations=orgs,
                    clock=clock,
                )
            ),
            catalogue().fact_lifetimes,
            clock,
        )
    server: OpaServer | None = None
    build_engine: Callable[[], PolicyEngine] | None = None  # an engine given: build with it
    if engine is None:
        engine, server = make_policy_engine(settings)
        build_engine = handbook_engine(settings, engine, server)
    legal = legal_catalogue()  # a broken act file stops start-up, naming file and line
    handles = PersonHandles.from_secret(settings.person_handle_key.get_secret_value())
    pdp = DecisionPoint(
        engine=engine,
        facts=facts,
        citations=legal,
        handles=handles,
        timeout=settings.decision_timeout_s,
        clock=clock,
    )
    verifier = TokenVerifier(
        keys=keys,
        issuer=settings.auth_issuer,
        audience=settings.auth_audience,
        algorithms=tuple(settings.auth_algorithms),
        leeway_s=settings.auth_leeway_s,
        clock=utc_now,  # tokens live in real time, even when tests fix the decision clock
        max_lifetime_s=settings.auth_max_token_lifetime_s,
        require_jti=settings.resolved_require_jti,
        single_use=settings.auth_token_single_use,
        uses=TokenUses(db, clock=utc_now),
    )
    audit = AuditLog(
        db,
        Signer(settings.audit_key.get_secret_value()),
        clock=clock,
        max_batch=settings.audit_max_batch,
    )
    # Real time, as for tokens: a test's fixed decision clock must not hold mail back.
    relay = make_relay(settings, db, settings.message_network_url or plug.message_network_url)
    return Services(
        settings=settings,
        db=db,
        engine=engine,
        facts=facts,
        pdp=pdp,
        clock=clock,
        verifier=verifier,
        legal=legal,
        handbook=HandbookCache(engine, legal, lambda: clock().date(), build_engine=build_engine),
        audit=audit,
        organisations=orgs,
        broker=broker,
        handles=handles,
        decisions=AuditedDecisions(pdp, audit),
        correspondence=Correspondence(
            pdp, audit, orgs, notify=relay.notify if relay is not None else None
        ),
        sign_in=plug.sign_in,
        oidc=make_oidc_client(oidc),
        fact_sources=fact_sources,
        relay=relay,
        _opa_server=server,
        _http=http,
    )


def make_broker(
    settings: Settings,
    orgs: OrganisationRegister,
    clock: Callable[[], datetime],
    disclosures: DisclosureRecorder | None,
    *,
    sandbox_url: str | None = None,
) -> DataBroker:
    """The source list and its clients. With sources=sandbox, the placeholders
    point at the sandbox the composer started, else at HOI_SANDBOX_URL."""
    sandbox_url = sandbox_url or settings.sandbox_url
    source_list = load_sources(
        settings.source_registry or DEFAULT_SOURCES,
        sandbox_url=sandbox_url if settings.resolved_sources == "sandbox" else None,
    )
    if settings.environment == "production":
        placeholders = [s.id for s in source_list.sources if SANDBOX in s.base_url]
        if placeholders:
            raise ConfigError(
                "production names real source systems; these still point at the "
                f"sandbox: {', '.join(placeholders)} (set HOI_SOURCE_REGISTRY)",
                field="base_url",
            )

    def part_of(organisation_id: str) -> tuple[str, ...]:
        org = orgs.get(organisation_id)
        return org.part_of if org else ()

    def address(organisation_id: str, kle: str | None) -> dict[str, Any] | None:
        recipient = (
            responsible_unit(orgs, organisation_id, kle)
            if kle is not None
            else recipient_of(orgs, organisation_id)
        )
        return recipient.as_record() if recipient else None

    return DataBroker.build(
        source_list, recorder=disclosures, part_of=part_of, clock=clock, recipient_of=address
    )
