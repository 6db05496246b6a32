"""The bundle server: publishes signed policy bundles for the OPA sidecars to poll.

A static server with ETags: a sidecar that already holds the published bundle gets
304 and does nothing. Publishing builds and signs the bundle beside the published
one and renames it into place, so a poll sees the old bundle or the new, never half
of one. `python -m cluster.bundles --dir DIR --port PORT` serves DIR.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from engine.bundle import PolicyBundle
from engine.opa import SigningAlgorithm, build_bundle

BUNDLE_NAME = "hoi.tar.gz"
BUNDLE_PATH = f"/bundles/{BUNDLE_NAME}"


def publish(
    opa: str, rego: Path, into: Path, *, signing_key: Path, signing_alg: SigningAlgorithm
) -> str:
    """Build and sign the bundle of the policy at `rego` and publish it atomically;
    return its revision."""
    into.mkdir(parents=True, exist_ok=True)
    building = into / f".{BUNDLE_NAME}.building"
    revision = build_bundle(
        opa, PolicyBundle(rego), building, signing_key=signing_key, signing_alg=signing_alg
    )
    os.replace(building, into / BUNDLE_NAME)
    return revision


def policy_variant(rego: Path, out: Path, label: str) -> Path:
    """A copy of the policy at `rego` that decides exactly the same but is another
    revision (the revision hashes the files): one comment line added to a module.
    The drill rolls it out to show a rollout without a failed request."""
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(rego, out)
    module = min(
        p for p in PolicyBundle(out).decision_modules() if p.relative_to(out).parts[0] == "hoi"
    )
    with module.open("a", encoding="utf-8") as handle:
        handle.write(f"\n# rollout: {label}\n")
    return out


def _handler(directory: Path) -> type[BaseHTTPRequestHandler]:
    class Bundles(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            name = self.path.split("?", 1)[0].removeprefix("/bundles/")
            if "/" in name or not name or name.startswith("."):
                self.send_error(404)
                return
            try:
                body = (directory / name).read_bytes()
            except OSError:
                self.send_error(404)
                return
            etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/gzip")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("ETag", etag)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            return  # a poll a second per sidecar is not news

    return Bundles


def server(directory: Path, port: int) -> ThreadingHTTPServer:
    return ThreadingHTTPServer(("127.0.0.1", port), _handler(directory))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cluster.bundles", description=__doc__)
    parser.add_argument("--dir", type=Path, required=True)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    with server(args.dir, args.port) as httpd:
        httpd.serve_forever()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
