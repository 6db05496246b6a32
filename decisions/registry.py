"""A registry call as an application service: who calls, about which child, the
audit it owes, and the writer that records a change as that person.

The registry routes (api/routes/registry.py) and the family's page (pages/) use
the same `RegistryCall`, built from the verified token's caller, so a page never
does more than the API lets the same person do."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol

from anyio import from_thread

from audit.log import AuditLog, caller_requester, registry_record
from audit.models import ReasonRecord, RegistryRecord, Requester
from engine.pdp import DecisionPoint
from facts.organisations import OrganisationRegister
from policy.caller import Caller
from policy.errors import Forbidden, InvalidRequest
from policy.facts import ChildRecord
from policy.persons import PersonHandles
from registry import service
from registry.models import OnBehalf, RecordedBy
from registry.on_behalf import Write, check_professional_write, family_only
from registry.writer import Change, Writer


class RegistryServices(Protocol):
    """The parts of the service a registry call uses."""

    @property
    def pdp(self) -> DecisionPoint: ...
    @property
    def audit(self) -> AuditLog: ...
    @property
    def handles(self) -> PersonHandles: ...
    @property
    def organisations(self) -> OrganisationRegister: ...
    @property
    def clock(self) -> Callable[[], datetime]: ...


def is_family(caller: Caller, child: ChildRecord) -> bool:
    return caller.kind == "citizen" and caller.cpr in (child.cpr, *child.custody_holders)


def _requester(
    caller: Caller, person: str | None, services: RegistryServices, child: ChildRecord
) -> Requester:
    """Who acts, as the audit records them: never a CPR number."""
    if caller.kind == "citizen" and person is not None:
        return Requester(
            id=services.handles.handle(child.cpr, person),
            role="citizen",
            organisation_type="citizen",
            organisation_id="",
            health_professional=False,
        )
    return caller_requester(caller)


@dataclass
class RegistryCall:
    """One registry request: who calls, about which child, and the audit it owes."""

    caller: Caller
    child: ChildRecord
    services: RegistryServices
    trace_id: str
    client_address: str | None

    async def audit(
        self,
        kind: Literal["registry_read", "registry_write"],
        registry: RegistryRecord,
        *,
        allowed: bool = True,
        person: str | None = None,
    ) -> None:
        pdp = self.services.pdp
        record = registry_record(
            kind=kind,
            requester=_requester(self.caller, person, self.services, self.child),
            child_cpr=self.child.cpr,
            registry=registry,
            allowed=allowed,
            recorded_at=self.services.audit.clock(),
            trace_id=self.trace_id,
            client_address=self.client_address,
            policy_revision=pdp.engine.revision,
            engine=pdp.engine.name,
        )
        await self.services.audit.submit(record)

    @property
    def judge(self) -> service.Judge:
        """The service's policy engine, asked where the child's consents and
        objections stand and whether its blocks are in force (the registry
        never judges that itself)."""
        return service.policy_judge(self.services.pdp.engine)

    async def professional_allowed(self, action: str) -> None:
        """The policy's answer for a professional; a refusal is audited, then a 403."""
        subject = self.caller.subject()
        access = await self.services.pdp.registry_access(subject, self.child.cpr)
        if access.allowed:
            return
        reasons = [
            ReasonRecord(
                code=r.code, rule_id=r.rule_id, legal_basis=list(r.legal_basis), message=r.message
            )
            for r in access.reasons
        ]
        await self.audit(
            "registry_write" if action != "registry.read" else "registry_read",
            RegistryRecord(action=action, reasons=reasons),
            allowed=False,
        )
        detail = " ".join(r.message for r in access.reasons) or "the policy refused access"
        raise Forbidden(detail, field="cpr")

    async def read(self) -> None:
        """May this caller read the child's registry? Audited either way for
        professionals and auditors; the family reads its own."""
        caller = self.caller
        if caller.kind == "citizen":
            if not is_family(caller, self.child):
                raise Forbidden("you may read only your own or your child's registry", field="cpr")
            await self.audit(
                "registry_read", RegistryRecord(action="registry.read"), person=caller.cpr
            )
            return
        if caller.kind == "auditor":
            await self.audit("registry_read", RegistryRecord(action="registry.read"))
            return
        if not caller.has_catalogue_role:
            raise Forbidden("this caller may not read this child's consents, objections and blocks")
        await self.professional_allowed("registry.read")
        await self.audit("registry_read", RegistryRecord(action="registry.read"))

    def _audit_hook(self) -> Callable[[Change], None]:
        """The registry calls this, from its worker thread, before it stores a
        change; it returns once the audit record is committed."""

        def hook(change: Change) -> None:
            ref = self.services.handles.ref(self.child, change.person)
            summary: dict[str, Any] = {"categories": list(change.categories)}
            summary.update({k: v for k, v in change.summary.items() if v is not None})
            registry = RegistryRecord(
                action=change.action,
                entry_kind=change.entry_kind,
                entry_id=change.entry_id,
                person=ref.model_dump(),
                recorded_by={
                    k: str(v) for k, v in change.recorded_by.model_dump(exclude_none=True).items()
                },
                summary=summary,
            )
            from_thread.run(lambda: self.audit("registry_write", registry, person=change.person))

        return hook

    async def citizen_writer(self, write: Write) -> Writer:
        """The family writes for itself: the person is the token's."""
        caller = self.caller
        if caller.kind != "citizen":
            raise family_only(write)
        if not is_family(caller, self.child) or caller.cpr is None:
            raise Forbidden("you may change only your own or your child's registry", field="cpr")
        return Writer(
            person=caller.cpr,
            recorded_by=RecordedBy(kind="citizen"),
            names=self.services.handles,
            audit=self._audit_hook(),
            person_field="authorization",
        )

    async def writer(
        self,
        action: str,
        write: Write,
        on_behalf: OnBehalf | None = None,
        *,
        stated_by: str | None = None,
    ) -> Writer:
        """The family for itself, or a professional with a relation writing what the
        family gave or told them (named by handle, with the document)."""
        caller = self.caller
        handle = stated_by if on_behalf is None else on_behalf.on_behalf_of
        field = "stated_by" if on_behalf is None else "on_behalf_of"
        if caller.kind == "citizen":
            if handle is not None:
                raise InvalidRequest(
                    f"you act for yourself with your own login; leave {field} out", field=field
                )
            return await self.citizen_writer(write)
        if not caller.has_catalogue_role:
            raise Forbidden("only the family, or a professional in a known role, records this")
        await self.professional_allowed(action)
        document = on_behalf.document_reference if on_behalf is not None else None
        check_professional_write(write, handle=handle, document=document, field=field)
        assert handle is not None
        person = self.services.handles.resolve(self.child, handle)
        if person is None:
            raise InvalidRequest(
                "no one who decides for this child has this handle "
                "(GET /v1/children/{cpr}/deciders lists them)",
                field=field,
            )
        organisation = caller.organisation
        return Writer(
            person=person,
            recorded_by=RecordedBy(
                kind="professional",
                professional_id=caller.id,
                role=caller.role,
                organisation_id=organisation.id if organisation else None,
                acting_system=caller.acting_system.id if caller.acting_system else None,
                document_reference=document,
            ),
            names=self.services.handles,
            audit=self._audit_hook(),
            person_field=field,
        )
