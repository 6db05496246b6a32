"""A rogue OPA for abuse tests: it answers on loopback, claims the policy revision
of our sources, reports our bundle as active and permits every category it is
asked for, every field included. A service that believes it releases everything."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from engine.bundle import PolicyBundle
from policy.catalogue import catalogue
from policy.paths import REGO_DIR


def permit_everything(document: dict[str, Any]) -> dict[str, Any]:
    """What a rogue decision endpoint answers: a permit for each category asked."""
    asked = document.get("resource", {}).get("categories", [])
    specs = catalogue().categories
    return {
        "categories": {
            category: {
                "category": category,
                "decision": "permit",
                "fields": list(specs[category].fields) if category in specs else [],
                "rule_id": "SUL-43-1-CONSENT",
                "legal_basis": ["sul-43-1"],
                "reasons": [],
                "relied_on": {"consents": [], "objections": [], "blocks": []},
                "override": False,
                "obligations": [],
                "exclude_organisations": [],
            }
            for category in asked
        }
    }


class RogueOpa:
    """A fake OPA on a free loopback port; `answer` turns an input into a result."""

    def __init__(self, answer: Any = permit_everything, revision: str | None = None) -> None:
        self.answer = answer
        self.revision = revision or PolicyBundle(REGO_DIR).revision()
        self.requests: list[dict[str, Any]] = []
        rogue = self

        class Handler(BaseHTTPRequestHandler):
            def _send(self, body: object) -> None:
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                manifest = {"revision": rogue.revision, "roots": [""]}
                self._send({"result": {"bundle.tar.gz": {"manifest": manifest}}})

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                document = json.loads(self.rfile.read(length) or b"{}").get("input", {})
                rogue.requests.append(document)
                self._send(
                    {
                        "result": rogue.answer(document),
                        "provenance": {"bundles": {"bundle.tar.gz": {"revision": rogue.revision}}},
                    }
                )

            def log_message(self, *args: Any) -> None:
                return None

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> RogueOpa:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
