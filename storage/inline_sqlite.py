"""SQLite's statements run on the event loop's own thread, for SQLAlchemy's aiosqlite dialect.

aiosqlite runs each call (a cursor, its execute, its fetch, its close: four a statement) on a
thread of its own and hands the result back through the event loop. Under load that hand-back
waits behind every other turn's work, and the one connection SQLite has is held all the while:
with a hundred chefs pressing at once turns queued for it past the pool's timeout. A statement
on a local file takes well under a millisecond, so here it simply runs where it is called.

The price: while another process holds SQLite's write lock (a `ledarpuls` command importing a
plan, say), a write waits for it — up to the busy timeout — with the whole service, not just
the turns queued for the one connection as before. Production runs PostgreSQL."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Generator
from functools import partial
from typing import Any

import aiosqlite


class InlineConnection(aiosqlite.Connection):
    """aiosqlite's connection without its thread: every call runs at once, in the caller's.

    SQLAlchemy's dialect drives it as any aiosqlite connection (it awaits each call; nothing
    here yields to the event loop)."""

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if not self._running or not self._connection:
            raise ValueError("Connection closed")
        return fn(*args, **kwargs)

    async def _connect(self) -> InlineConnection:
        if self._connection is None:
            self._connection = self._connector()
        return self

    def __await__(self) -> Generator[Any, None, InlineConnection]:
        return self._connect().__await__()  # no thread to start

    def stop(self) -> None:
        self._running = False
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def inline_sqlite(database: str, *, timeout: float) -> InlineConnection:
    """A connection to the SQLite file `database` (as `aiosqlite.connect` would open it for
    SQLAlchemy); `timeout`: how long a statement waits for another process's lock."""
    connect = partial(sqlite3.connect, database, timeout=timeout, check_same_thread=False)
    return InlineConnection(connect, iter_chunk_size=64)
