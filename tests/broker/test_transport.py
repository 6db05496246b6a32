"""The aiohttp transport beneath httpx: same answers, same failure kinds as httpx's own."""

from __future__ import annotations

import asyncio
import socket

import httpx
import pytest

from broker.transport import AiohttpTransport


async def _serve(reply: bytes, *, delay: float = 0.0) -> tuple[asyncio.Server, int, list[bytes]]:
    seen: list[bytes] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(
            (
                int(line.split(b":")[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length")
            ),
            0,
        )
        seen.append(head + (await reader.readexactly(length) if length else b""))
        await asyncio.sleep(delay)
        writer.write(reply)
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1], seen


OK = b'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 11\r\n\r\n{"a": true}'


@pytest.mark.anyio
async def test_an_answer_comes_back_as_httpx_gives_it() -> None:
    server, port, seen = await _serve(OK)
    async with (
        server,
        httpx.AsyncClient(
            transport=AiohttpTransport(), base_url=f"http://127.0.0.1:{port}"
        ) as client,
    ):
        response = await client.post("/x", params={"patient": "p1"}, data={"k": "v"})
    assert response.status_code == 200
    assert response.json() == {"a": True}
    assert seen[0].startswith(b"POST /x?patient=p1 HTTP/1.1")
    assert seen[0].endswith(b"k=v")


@pytest.mark.anyio
async def test_a_refused_connection_is_a_connect_error_not_a_timeout() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async with httpx.AsyncClient(transport=AiohttpTransport()) as client:
        with pytest.raises(httpx.ConnectError):
            await client.get(f"http://127.0.0.1:{port}/x")


@pytest.mark.anyio
async def test_a_slow_answer_is_a_read_timeout() -> None:
    server, port, _ = await _serve(OK, delay=1.0)
    async with server, httpx.AsyncClient(transport=AiohttpTransport(), timeout=0.2) as client:
        with pytest.raises(httpx.ReadTimeout):
            await client.get(f"http://127.0.0.1:{port}/x")


@pytest.mark.anyio
async def test_a_dropped_connection_is_a_protocol_error() -> None:
    server, port, _ = await _serve(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nshort")
    async with server, httpx.AsyncClient(transport=AiohttpTransport()) as client:
        with pytest.raises(httpx.TransportError) as caught:
            await client.get(f"http://127.0.0.1:{port}/x")
    assert not isinstance(caught.value, httpx.TimeoutException)
