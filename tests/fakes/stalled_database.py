"""PostgreSQL behind the tests' TCP proxy, for the tests of a database that stalls or goes away,
and timeouts for them that a busy machine's healthy database still meets."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from storage.database import Database, normalise_url
from tests.conftest import PATIENT
from tests.fakes.tcp_proxy import TcpProxy

# A test of the database's timeouts sets them short, so that a stall fails in seconds; but the
# same timeouts bound the healthy database before and after the stall, and on a starved machine
# a new connection and its first query can take a second or more. So they are at least this many
# times what that takes on this machine when the test starts: the busier the machine, the longer
# they are, and a stall still fails, only later.
MARGIN = 20.0


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


async def healthy_round_trip(url: str) -> float:
    """Seconds a new connection to the database at `url` and one query take now."""
    db = Database(url, timeouts=PATIENT)
    try:
        started = time.monotonic()
        async with db.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        return time.monotonic() - started
    finally:
        await db.dispose()


async def at_least(url: str, seconds: float, *, margin: float = MARGIN) -> float:
    """`seconds`, or `margin` healthy round trips to `url` when this machine is slower now (a
    smaller margin for a limit on each statement: a round trip holds several, and a fork)."""
    return max(seconds, margin * await healthy_round_trip(url))
