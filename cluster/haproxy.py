"""HAProxy in front of the replicas: round robin, health checks on /readyz, the
answering replica named in a response header, and a runtime socket through which
the drill takes replicas in and out."""

from __future__ import annotations

import shutil
import socket
from pathlib import Path

REPLICA_HEADER = "X-Hoi-Replica"
BACKEND = "hoi"


def find_haproxy() -> str | None:
    return shutil.which("haproxy") or next(
        (p for p in ("/usr/sbin/haproxy", "/usr/local/sbin/haproxy") if Path(p).is_file()), None
    )


def config(port: int, replicas: list[tuple[str, int]], runtime_socket: Path) -> str:
    """A replica leaves the rotation after two failed /readyz checks 250 ms apart
    (its engine down answers 503 there) and returns after two good ones. A request
    that could not be sent to a replica (connection refused) is sent to another;
    one a replica took and never answered is not resent (a POST may have acted)."""
    servers = "\n".join(
        f"  server {name} 127.0.0.1:{replica_port} check" for name, replica_port in replicas
    )
    return f"""global
  maxconn 2000
  stats socket {runtime_socket.resolve()} mode 600 level admin

defaults
  mode http
  timeout connect 1s
  timeout client 30s
  timeout server 30s
  retries 2
  option redispatch
  retry-on conn-failure

frontend hoi_in
  bind 127.0.0.1:{port}
  default_backend {BACKEND}

backend {BACKEND}
  balance roundrobin
  option httpchk GET /readyz
  http-check expect status 200
  default-server inter 250ms fall 2 rise 2
  http-response set-header {REPLICA_HEADER} %s
{servers}
"""


def command(runtime_socket: Path, line: str) -> str:
    """One command on HAProxy's runtime API (e.g. `set server hoi/r2 state maint`)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(2.0)
        sock.connect(str(runtime_socket))
        sock.sendall(line.encode() + b"\n")
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks).decode()


def set_state(runtime_socket: Path, replica: str, state: str) -> None:
    """`ready` or `maint` for one replica."""
    answer = command(runtime_socket, f"set server {BACKEND}/{replica} state {state}")
    if answer.strip():
        raise RuntimeError(f"haproxy: {answer.strip()}")
