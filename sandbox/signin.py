"""Development sign-in for the pages: the synthetic people of the README's stories,
and a development token for each, minted with the development key (the one `hoi
token` uses). Plugged into the service by `sandbox.app` (`Plug.sign_in`);
production has none.

People are offered by an opaque key, never a CPR number; a professional lands on
the overview of their story's child, a citizen on the child's family page."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlencode

from api.settings import Settings
from auth.keys import dev_signing_key
from auth.tokens import mint
from facts.organisations import OrganisationRegister
from pages.people import DevPerson
from sandbox.population import Population


@dataclass(frozen=True)
class _Person:
    public: DevPerson
    sub: str
    organisation: dict[str, str] | None
    health_professional: bool
    cpr: str | None
    landing: str


def _overview(cpr: str, purpose: str) -> str:
    return "/pages/overview?" + urlencode({"cpr": cpr, "purpose": purpose})


def _family(cpr: str) -> str:
    return "/pages/family?" + urlencode({"cpr": cpr})


def _people(pop: Population, orgs: OrganisationRegister) -> list[_Person]:
    stories = list(pop.children.values())[:5]
    if len(stories) < 5:  # a test's own small population tells no stories
        return []
    alma, _, young, gp_child, blocked = stories

    def org_name(org_id: str) -> str:
        org = orgs.get(org_id)
        return org.name if org else org_id

    def professional(
        key: str,
        sub: str,
        name: str,
        role: str,
        org: tuple[str, str],
        health: bool,
        landing: str,
        notes: tuple[str, str],
    ) -> _Person:
        return _Person(
            DevPerson(key, "professional", name, role, org_name(org[1]), *notes),
            sub=sub,
            organisation={"type": org[0], "id": org[1]},
            health_professional=health,
            cpr=None,
            landing=landing,
        )

    def citizen(key: str, cpr: str, child: str, notes: tuple[str, str]) -> _Person:
        return _Person(
            DevPerson(key, "citizen", pop.persons[cpr].name, "citizen", None, *notes),
            sub=f"citizen-{key}",
            organisation=None,
            health_professional=False,
            cpr=cpr,
            landing=_family(child),
        )

    caseworker = pop.caseworkers.get("cw-851-family-1")
    gp_clinic = gp_child.record.registered_gp or ""
    department = blocked.course_department or ""
    first, second = alma.record.custody_holders[:2]
    people = [
        professional(
            "caseworker",
            "cw-851-family-1",
            caseworker.name if caseworker else "Sagsbehandler",
            "municipal_caseworker",
            ("municipality", "851-family"),
            False,
            _overview(alma.record.cpr, "social_case_work"),
            (
                "Alma, 12 år: begge forældre har givet skriftligt samtykke (§ 43).",
                "Alma, 12: both parents gave a written consent (§ 43).",
            ),
        ),
        professional(
            "gp",
            "gp-1",
            "Anna Lægesen",
            "gp",
            ("gp_clinic", gp_clinic),
            True,
            _overview(gp_child.record.cpr, "treatment_preparation"),
            (
                "Barnets egen læge før en konsultation; kommunale data på samtykke (fvl. § 28).",
                "The child's own GP before a consultation; municipal data on consent "
                "(Forvaltningsloven § 28).",
            ),
        ),
        professional(
            "psychiatrist",
            "psychiatrist-1",
            "Peter Psykiater",
            "bup_psychiatrist",
            ("region_psychiatry", department),
            True,
            _overview(blocked.record.cpr, "current_treatment"),
            (
                "Familien har spærret for afdelingen: værdispring er muligt.",
                "The family blocked the department: an override is possible.",
            ),
        ),
        citizen(
            "alma-parent-1",
            first,
            alma.record.cpr,
            (
                "Almas forælder (den første indehaver af forældremyndigheden): har givet "
                "samtykke til kommunen.",
                "Alma's parent (the first custody holder): consented to the municipality.",
            ),
        ),
        citizen(
            "alma-parent-2",
            second,
            alma.record.cpr,
            (
                "Almas forælder (den anden indehaver af forældremyndigheden): har givet "
                "samtykke til kommunen.",
                "Alma's parent (the second custody holder): consented to the municipality.",
            ),
        ),
        citizen(
            "young-person",
            young.record.cpr,
            young.record.cpr,
            (
                "Ung på 16: har gjort indsigelse mod det, forældrene gav samtykke til.",
                "Young person of 16: objected to what the parents consented to.",
            ),
        ),
        citizen(
            "blocked-parent",
            blocked.record.custody_holders[0],
            blocked.record.cpr,
            (
                "Forælder: har spærret for en psykiatrisk afdeling.",
                "Parent: blocked a psychiatry department.",
            ),
        ),
        _Person(
            DevPerson(
                "auditor",
                "auditor",
                "Aase Revisor",
                "auditor",
                None,
                "Revisor: søger i revisionssporet, ser kædens tilstand og pilotens evaluering.",
                "Auditor: searches the audit trail, sees the chain's state and the pilot's "
                "evaluation.",
            ),
            sub="auditor-1",
            organisation=None,
            health_professional=False,
            cpr=None,
            landing="/pages/auditor",
        ),
    ]
    return people


class SandboxSignIn:
    """`pages.people.DevSignIn` for the synthetic population."""

    def __init__(self, pop: Population, orgs: OrganisationRegister, settings: Settings) -> None:
        self._people = {p.public.key: p for p in _people(pop, orgs)}
        self._settings = settings

    def people(self) -> Sequence[DevPerson]:
        return [p.public for p in self._people.values()]

    def landing(self, key: str) -> str | None:
        person = self._people.get(key)
        return person.landing if person else None

    def subject(self, key: str) -> str | None:
        """The person's `sub` (the sandbox identity provider's ID token names it)."""
        person = self._people.get(key)
        return person.sub if person else None

    def token(self, key: str) -> str | None:
        person = self._people.get(key)
        if person is None:
            return None
        settings = self._settings
        return mint(
            dev_signing_key(settings.resolved_dev_key_file),
            issuer=settings.auth_issuer,
            audience=settings.auth_audience,
            subject=person.sub,
            role=person.public.role,
            organisation=person.organisation,
            health_professional=person.health_professional,
            cpr=person.cpr,
            lifetime=timedelta(seconds=settings.auth_max_token_lifetime_s),
            extra={"name": person.public.name} if person.public.kind == "professional" else None,
        )
