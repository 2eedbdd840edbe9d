"""PostgreSQL behind the tests' TCP proxy, for the tests of a database that stalls or goes away."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from sqlalchemy.engine import make_url

from storage.database import normalise_url
from tests.fakes.tcp_proxy import TcpProxy


@asynccontextmanager
async def behind_proxy(database_url: str) -> AsyncIterator[tuple[TcpProxy, str]]:
    """The proxy, and the URL that reaches the test database through it. SQLite has no
    connection to stall: a test on SQLite is skipped."""
    url = make_url(normalise_url(database_url))
    if url.get_backend_name() != "postgresql":
        pytest.skip("a stalled connection needs a database server (PostgreSQL)")
    async with TcpProxy(url.host or "127.0.0.1", url.port or 5432) as proxy:
        proxied = url.set(host="127.0.0.1", port=proxy.port)
        yield proxy, proxied.render_as_string(hide_password=False)
