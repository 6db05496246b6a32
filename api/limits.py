"""Limits on request bodies (size, media type), enforced before a body is parsed."""

from __future__ import annotations

import json
from collections.abc import Callable

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import PROBLEM_JSON, problem


class BodySizeLimit:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def _reject(self, send: Send) -> None:
        body = json.dumps(
            {
                "type": "https://hoi-policy.example/problems/too-large",
                "title": "Request body too large",
                "status": 413,
                "detail": f"The body is larger than {self.max_bytes} bytes.",
                "field": "body",
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", PROBLEM_JSON.encode()),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() and int(value) > self.max_bytes:
                await self._reject(send)
                return
        seen = 0
        too_large = False

        async def limited() -> Message:
            nonlocal seen, too_large
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    too_large = True
                    return {"type": "http.disconnect"}
            return message

        started = False

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if too_large and not started:
                started = True
                await self._reject(send)
                return
            if too_large:
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        await self.app(scope, limited, guarded_send)


JSON_METHODS = frozenset({"POST", "PUT", "PATCH"})


def _is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


class JsonBodiesOnly:
    """A request that carries a body must say it is JSON (415 otherwise), before
    anything tries to parse it. `exempt` names paths that take other bodies (the
    web pages' forms, which read and check their own)."""

    def __init__(self, app: ASGIApp, exempt: Callable[[str], bool] = lambda _: False) -> None:
        self.app = app
        self.exempt = exempt

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] in JSON_METHODS
            and not self.exempt(scope["path"])
        ):
            headers = Headers(scope=scope)
            length = headers.get("content-length")
            has_body = (length is not None and length.strip() not in ("", "0")) or (
                "transfer-encoding" in headers
            )
            if has_body and not _is_json(headers.get("content-type", "")):
                response = problem(
                    415,
                    "Unsupported media type",
                    "Send the request body as application/json.",
                    "unsupported-media-type",
                    field="content-type",
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
