"""Who is calling: the identity a verified bearer token establishes.

A `Caller` is built only from a token whose signature, issuer, audience and
lifetime were checked (see `auth/`). It is what the audit records, so it keeps
both identities when a system acts on behalf of a person.

Kinds of caller:

- `professional`: a person in a role from the catalogue (or an unknown role, which
  the policy denies) calling directly, for example from the municipal view's web
  client.
- `delegated`: a system (the municipal view, the GP system, the EPJ) calling on
  behalf of a professional. Following RFC 8693, the token's subject is the
  professional and its `act` claim names the system that acts.
- `citizen`: a person identified by CPR number (the citizen's own access log).
- `auditor`: someone who reads the audit trail.
- `system`: a system calling for nobody. It may ask for nothing today: every
  decision is about a named professional.

A professional's token may also say on whose behalf the person works (the
identity provider's `acting_for` claim: a medical secretary for a clinician).
That is the only on-behalf statement the service takes as asserted; one named in
a request is a claim the policy checks against the staff register.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from policy.catalogue import catalogue
from policy.decision import ActingFor, Organisation, Subject
from policy.errors import Forbidden, InvalidRequest

CallerKind = Literal["professional", "delegated", "citizen", "auditor", "system"]

CITIZEN_ROLE = "citizen"
AUDITOR_ROLE = "auditor"
SYSTEM_ROLE = "system"
SPECIAL_ROLES = (CITIZEN_ROLE, AUDITOR_ROLE, SYSTEM_ROLE)
SUBJECT_FIELDS = ("id", "role", "organisation", "health_professional")


def known_roles() -> tuple[str, ...]:
    """Every role a token may carry that the service knows by name."""
    return (*catalogue().roles, *SPECIAL_ROLES)


class ActingSystem(BaseModel):
    """The system that acts on a professional's behalf (the token's `act` claim)."""

    model_config = ConfigDict(frozen=True)

    id: str
    organisation: Organisation | None = None


class Caller(BaseModel):
    """The authenticated caller of one request."""

    model_config = ConfigDict(frozen=True)

    kind: CallerKind
    id: str = Field(description="The person's (or system's) id: the token's `sub`.")
    role: str
    organisation: Organisation | None = None
    health_professional: bool = False
    cpr: str | None = Field(
        default=None, repr=False, description="A citizen's CPR number; never logged."
    )
    acting_system: ActingSystem | None = Field(
        default=None, description="For `delegated`: the system that calls for the person."
    )
    acting_for: ActingFor | None = Field(
        default=None,
        description="The clinician the token's `acting_for` claim says the person works for "
        "(asserted_by token).",
    )
    issuer: str
    token_id: str | None = Field(default=None, description="The token's `jti`, if it has one.")
    name: str | None = Field(
        default=None,
        description="A professional's name as the identity provider gives it (`name`); "
        "shown as the author of a message, never used to decide.",
    )

    @property
    def is_professional(self) -> bool:
        """A professional asking directly or through a system."""
        return self.kind in ("professional", "delegated")

    @property
    def has_catalogue_role(self) -> bool:
        """A professional whose role the catalogue knows, at a kind of organisation
        that role exists at."""
        spec = catalogue().roles.get(self.role)
        return (
            self.is_professional
            and spec is not None
            and self.organisation is not None
            and self.organisation.type in spec.organisation_types
        )

    def subject(self) -> Subject:
        """The decision subject this caller is; only professionals are one."""
        if not self.is_professional or self.organisation is None:
            raise Forbidden(
                f"a {self.kind} caller cannot ask for access decisions; "
                "only a professional (directly or through a system acting for one) can"
            )
        return Subject(
            id=self.id,
            role=self.role,
            organisation=self.organisation,
            health_professional=self.health_professional,
            acting_for=self.acting_for,
        )

    def confirm(self, claimed: Subject | Mapping[str, Any] | None) -> Subject:
        """The subject to decide for: this caller. A subject the request names must
        be this caller in every field it gives, or the request is refused (403).

        `claimed` is a Subject (only the fields the caller set are compared) or a
        mapping of the fields given."""
        subject = self.subject()
        if claimed is None:
            return subject
        given = (
            claimed.model_dump(mode="json", include=claimed.model_fields_set)
            if isinstance(claimed, Subject)
            else dict(claimed)
        )
        own = subject.model_dump(mode="json")
        differences = [
            name for name in SUBJECT_FIELDS if name in given and given[name] != own[name]
        ]
        if differences:
            field = differences[0]
            raise Forbidden(
                f"the request's subject {field} differs from the bearer token's; "
                "leave it out or send the token's own value",
                field=f"subject.{field}",
            )
        # Not an identity claim but part of the question (a medical secretary names the
        # clinician she acts for); the policy checks it against the staff register.
        named = claimed.acting_for if isinstance(claimed, Subject) else None
        if not isinstance(claimed, Subject) and given.get("acting_for") is not None:
            try:
                named = ActingFor.model_validate(given["acting_for"])
            except ValidationError as exc:
                raise InvalidRequest(
                    f"subject.acting_for: {exc.errors()[0]['msg']}", field="subject.acting_for"
                ) from exc
        if named is None:
            return subject
        if "asserted_by" in named.model_fields_set:
            raise Forbidden(
                "subject.acting_for.asserted_by is set by the service from the bearer token; "
                "leave it out",
                field="subject.acting_for.asserted_by",
            )
        if self.acting_for is not None:
            for name in ("id", "role"):
                if name in named.model_fields_set and getattr(named, name) != getattr(
                    self.acting_for, name
                ):
                    raise Forbidden(
                        f"the request's subject.acting_for {name} differs from the bearer "
                        "token's acting_for claim; leave it out or send the token's own value",
                        field=f"subject.acting_for.{name}",
                    )
            return subject
        return subject.model_copy(update={"acting_for": named})
