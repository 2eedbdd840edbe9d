"""The database handle: an async engine and its sessions, for SQLite or PostgreSQL."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

SQLITE_DEFAULT_URL = "sqlite+aiosqlite:///var/ledarpuls.db"

# the session type stores and the domain pass around, so no signature needs to say `Any`
Session = AsyncSession


def normalise_url(url: str) -> str:
    """Accept the URLs IT usually has at hand and pick the async driver for them."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        return "postgresql+asyncpg://" + url[len("postgresql://") :]
    if url.startswith("sqlite://") and not url.startswith("sqlite+aiosqlite://"):
        return "sqlite+aiosqlite://" + url[len("sqlite://") :]
    return url


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    # in WAL mode NORMAL is safe against a crashed process (the last commits could be lost only
    # to a power cut), and spares an fsync per commit; production runs PostgreSQL anyway
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


class Database:
    """Owns the engine; hands out sessions. Create one per process and dispose it at shutdown."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = normalise_url(url)
        parsed = make_url(self.url)
        self.dialect = parsed.get_backend_name()
        if self.dialect == "sqlite" and parsed.database not in (None, "", ":memory:"):
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        # a failed statement's parameters can be a chef's answer: never in an error or a log
        options: dict[str, Any] = {"echo": echo, "pool_pre_ping": True, "hide_parameters": True}
        if self.dialect == "sqlite":
            # SQLite has one writer; one connection (one aiosqlite thread) instead of a pool
            # of them spares the threads fighting over the GIL under load
            options.update(pool_size=1, max_overflow=0, pool_timeout=60)
        self.engine: AsyncEngine = create_async_engine(self.url, **options)
        # aiosqlite logs every statement with its values at DEBUG; SQLAlchemy keeps its own
        # loggers at WARNING unless asked. Either could put a chef's answer in the logs.
        quiet = logging.getLogger("aiosqlite")
        if quiet.level == logging.NOTSET:
            quiet.setLevel(logging.INFO)
        if self.dialect == "sqlite":
            event.listen(self.engine.sync_engine, "connect", _on_sqlite_connect)
        self._sessions = async_sessionmaker(
            self.engine, class_=AsyncSession, expire_on_commit=False
        )

    @property
    def is_postgres(self) -> bool:
        return self.dialect == "postgresql"

    def session(self) -> AsyncSession:
        """A new session; use as `async with db.session() as s, s.begin(): ...`."""
        return self._sessions()

    @asynccontextmanager
    async def joined(
        self, session: Session | None, *, write: bool = False
    ) -> AsyncIterator[Session]:
        """The caller's session, inside the caller's transaction; or, without one, a session of
        its own for this one call (committed at the end when `write`)."""
        if session is not None:
            yield session
            return
        async with self.session() as own:
            if write:
                async with own.begin():
                    yield own
            else:
                yield own

    async def ping(self) -> bool:
        """True when the database answers a trivial query."""
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception:
            return False
        return True

    async def dispose(self) -> None:
        await self.engine.dispose()
