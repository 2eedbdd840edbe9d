"""The tests' TCP proxy does what the outage tests rely on: passes, holds, refuses and cuts."""

from __future__ import annotations

import asyncio

import pytest

from tests.fakes.tcp_proxy import TcpProxy


async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while data := await reader.read(1024):
        writer.write(data)
        await writer.drain()
    writer.close()


async def roundtrip(port: int, payload: bytes, *, wait: float = 1.0) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(payload)
        await writer.drain()
        return await asyncio.wait_for(reader.read(1024), wait)
    except ConnectionError:  # closed, or reset, by the other end
        return b""
    finally:
        writer.close()


async def test_the_proxy_passes_holds_refuses_and_cuts() -> None:
    server = await asyncio.start_server(echo, "127.0.0.1", 0)
    target = server.sockets[0].getsockname()[1]
    try:
        async with TcpProxy("127.0.0.1", target) as proxy:
            assert await roundtrip(proxy.port, b"hej") == b"hej"

            proxy.blackhole()
            with pytest.raises(TimeoutError):
                await roundtrip(proxy.port, b"halla", wait=0.2)

            proxy.restore()
            assert await roundtrip(proxy.port, b"igen") == b"igen"

            proxy.refuse()
            assert await roundtrip(proxy.port, b"nej") == b""  # closed at once

            proxy.restore()
            reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
            writer.write(b"ett")
            await writer.drain()
            assert await asyncio.wait_for(reader.read(1024), 1) == b"ett"
            proxy.cut()
            assert await asyncio.wait_for(reader.read(1024), 1) == b""  # the open one is cut
            writer.close()
            assert await roundtrip(proxy.port, b"ny") == b"ny"  # new ones pass
    finally:
        server.close()
        await server.wait_closed()
