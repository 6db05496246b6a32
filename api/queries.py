"""Query strings: a parameter an operation does not declare is refused.

FastAPI ignores unknown query parameters. For a service whose answers decide who
sees what, a misspelt filter (`?child=` for `?child_cpr=`) that is silently
dropped widens an auditor's search instead of narrowing it, so an unknown
parameter is a 422 naming it."""

from __future__ import annotations

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from policy.errors import InvalidRequest


def declared_query(dependant: Dependant) -> set[str]:
    """The query parameters an operation and all its dependencies declare."""
    names = {p.alias for p in dependant.query_params}
    for dependency in dependant.dependencies:
        names |= declared_query(dependency)
    return names


async def reject_unknown_query(request: Request) -> None:
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    declared = declared_query(route.dependant)
    for name in request.query_params:
        if name not in declared:
            shown = name if name.isprintable() and len(name) <= 64 else "(unreadable)"
            raise InvalidRequest(
                f"unknown query parameter {shown!r}; this operation takes "
                f"{', '.join(sorted(declared)) or 'none'}",
                field=name if name else "query",
            )
