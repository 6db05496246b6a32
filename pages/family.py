"""The family's page (MinLog and Min spærring in one place): who looked at the
child's data, when, for what and under which rule; the consents given, with
"withdraw"; objections and blocks, with "set" and "lift".

Every read and every change is the registry API's own path (`decisions.registry.
RegistryCall`, the registry service), with the citizen the session's verified
token makes: the page can do nothing the API would refuse the same person."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Annotated, Any, TypeVar
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from sqlmodel import Session

from audit.access import access_log, may_read_access_log
from decisions.registry import RegistryCall, is_family
from pages.frame import (
    checked_form,
    config_of,
    guarded,
    one,
    redirect,
    render,
    signed_in,
    words,
)
from pages.i18n import Words
from pages.ports import PageServices, services_of
from pages.professional import child_number
from pages.security import PREFIX
from policy.caller import Caller
from policy.catalogue import catalogue
from policy.errors import Forbidden, InvalidRequest
from policy.facts import ChildRecord
from registry import service
from registry.models import (
    BlockCreate,
    BlockPublic,
    ConsentPublic,
    ObjectionCreate,
    ObjectionPublic,
)

router = APIRouter(prefix=PREFIX, include_in_schema=False)
T = TypeVar("T")

Text = Annotated[str, Query(max_length=64)]
DONE = (
    "consent_revoked",
    "objection_recorded",
    "objection_withdrawn",
    "block_set",
    "block_lifted",
)


async def citizen(request: Request) -> Caller:
    caller = await signed_in(request)
    if caller.kind != "citizen" or caller.cpr is None:
        raise Forbidden("this page is for the family: the young person from 15 or a custody holder")
    return caller


async def the_child(services: PageServices, caller: Caller, cpr: str) -> ChildRecord:
    """The child, if the caller is the child or a custody holder; the same refusal
    for an unknown number (no oracle for who exists)."""
    child = await services.facts.child(cpr)
    if child is None or not is_family(caller, child):
        raise Forbidden("you may see only your own or your child's page", field="cpr")
    return child


def registry_call(request: Request, caller: Caller, child: ChildRecord) -> RegistryCall:
    return RegistryCall(
        caller=caller,
        child=child,
        services=services_of(request),
        trace_id=uuid.uuid4().hex,
        client_address=request.client.host if request.client else None,
    )


async def in_session(services: PageServices, work: Callable[[Session], T]) -> T:
    def run() -> T:
        with Session(services.db) as session:
            return work(session)

    return await run_in_threadpool(run)


def done_message(
    t: Words,
    services: PageServices,
    done: str,
    entry: str,
    consents: list[ConsentPublic],
    objections: list[ObjectionPublic],
    blocks: list[BlockPublic],
) -> str | None:
    """What the action just done means, in words: what is now visible to whom, or hidden."""

    def name(organisation_id: str | None) -> str:
        if organisation_id is None:
            return t("objection_everyone")
        return services.organisation_name(organisation_id) or organisation_id

    if done == "consent_revoked":
        consent = next((c for c in consents if c.id == entry), None)
        if consent:
            to = name(consent.recipient.organisation_id)
            return t("done_consent_revoked", to=to, what=t.categories(consent.categories))
    if done in ("objection_recorded", "objection_withdrawn"):
        objection = next((o for o in objections if o.id == entry), None)
        if objection:
            to = name(objection.recipient.organisation_id if objection.recipient else None)
            what = t.categories(objection.categories)
            return t(f"done_{done}", to=to, what=what[:1].upper() + what[1:])
    if done in ("block_set", "block_lifted"):
        block = next((b for b in blocks if b.id == entry), None)
        if block:
            return t(f"done_{done}", to=name(block.target_id), what=t.categories(block.categories))
    return None


@router.get("/family")
async def family_page(
    request: Request, cpr: Text = "", done: Text = "", entry: Text = ""
) -> Response:
    async def page() -> Response:
        caller = await citizen(request)
        if not cpr:
            return render(request, "family_choose.html", caller=caller)
        services = services_of(request)
        child = await the_child(services, caller, child_number(cpr))
        today = services.clock().date()
        log = None
        if caller.cpr is not None and may_read_access_log(caller.cpr, child, today):
            log = await run_in_threadpool(
                access_log,
                services.db,
                child.cpr,
                organisation_name=services.organisation_name,
                show_employee=config_of(request).show_employee,
                limit=50,
            )
        call = registry_call(request, caller, child)
        await call.read()  # audited, as the API's registry reads
        now, names, judge = services.clock(), services.handles, call.judge
        consents, objections, blocks = await in_session(
            services,
            lambda s: (
                service.list_consents(s, child, now, names, None, judge=judge),
                service.list_objections(s, child, now, names, judge=judge),
                service.list_blocks(s, child, now, names, judge=judge),
            ),
        )
        t = words(request)
        message = (
            done_message(t, services, done, entry, consents, objections, blocks)
            if done in DONE
            else None
        )
        organisations = sorted(
            ((o.id, o.name) for o in services.organisations.values()), key=lambda p: p[1]
        )
        return render(
            request,
            "family.html",
            caller=caller,
            cpr=child.cpr,
            log=log,
            consents=consents,
            objections=objections,
            blocks=blocks,
            done=message,
            organisations=organisations,
            categories=list(catalogue().categories),
            org_name=lambda i: services.organisation_name(i) or i if i else None,
        )

    return await guarded(request, page)


async def _change(
    request: Request,
    act: Callable[[RegistryCall, ChildRecord, dict[str, list[str]]], Any],
) -> Response:
    """A registry change: the citizen, the CSRF token, the child; then back to the page
    with the change said in words."""

    async def page() -> Response:
        caller = await citizen(request)
        form = await checked_form(request)
        services = services_of(request)
        child = await the_child(services, caller, child_number(one(form, "cpr")))
        call = registry_call(request, caller, child)
        done, entry = await act(call, child, form)
        query = urlencode({"cpr": child.cpr, "done": done, "entry": entry})
        return redirect(f"{PREFIX}/family?{query}")

    return await guarded(request, page)


def _categories(form: dict[str, list[str]]) -> list[str]:
    known = catalogue().categories
    chosen = form.get("categories", [])
    if any(c not in known for c in chosen):
        raise InvalidRequest("choose categories from the list", field="categories")
    return chosen


@router.post("/family/consents/revoke")
async def revoke_consent(request: Request) -> Response:
    async def act(call: RegistryCall, child: ChildRecord, form: dict[str, list[str]]) -> Any:
        writer = await call.writer("consent.revoke", "revoke_consent")
        services, entry = services_of(request), one(form, "id")
        now = services.clock()
        await in_session(
            services,
            lambda s: service.revoke_consent(s, child, entry, now, writer, judge=call.judge),
        )
        return "consent_revoked", entry

    return await _change(request, act)


@router.post("/family/objections")
async def record_objection(request: Request) -> Response:
    async def act(call: RegistryCall, child: ChildRecord, form: dict[str, list[str]]) -> Any:
        body = ObjectionCreate(categories=_categories(form))
        writer = await call.writer("objection.record", "record_objection", body)
        services = services_of(request)
        now = services.clock()
        made = await in_session(
            services,
            lambda s: service.create_objection(s, child, body, now, writer, judge=call.judge),
        )
        return "objection_recorded", made.id

    return await _change(request, act)


@router.post("/family/objections/withdraw")
async def withdraw_objection(request: Request) -> Response:
    async def act(call: RegistryCall, child: ChildRecord, form: dict[str, list[str]]) -> Any:
        writer = await call.citizen_writer("withdraw_objection")
        services, entry = services_of(request), one(form, "id")
        now = services.clock()
        await in_session(
            services,
            lambda s: service.withdraw_objection(s, child, entry, now, writer, judge=call.judge),
        )
        return "objection_withdrawn", entry

    return await _change(request, act)


@router.post("/family/blocks")
async def set_block(request: Request) -> Response:
    async def act(call: RegistryCall, child: ChildRecord, form: dict[str, list[str]]) -> Any:
        services = services_of(request)
        now = services.clock()
        body = BlockCreate(
            target_kind="organisation",
            target_id=one(form, "target_id") or None,
            include_sub_units=one(form, "include_sub_units") == "yes",
            categories=_categories(form),
            valid_from=now.date(),
        )
        writer = await call.citizen_writer("set_block")
        orgs = services.organisations
        made = await in_session(
            services,
            lambda s: service.create_block(s, child, body, now, writer, orgs, judge=call.judge),
        )
        return "block_set", made.id

    return await _change(request, act)


@router.post("/family/blocks/lift")
async def lift_block(request: Request) -> Response:
    async def act(call: RegistryCall, child: ChildRecord, form: dict[str, list[str]]) -> Any:
        writer = await call.citizen_writer("lift_block")
        services, entry = services_of(request), one(form, "id")
        now = services.clock()
        await in_session(
            services,
            lambda s: service.lift_block(s, child, entry, now, writer, judge=call.judge),
        )
        return "block_lifted", entry

    return await _change(request, act)
