"""The database handle: an async engine and its sessions, for SQLite or PostgreSQL."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, NamedTuple

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import InvalidatePoolError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.util import await_
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.fair_pool import FairQueuePool
from storage.inline_sqlite import inline_sqlite

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


class Probe(NamedTuple):
    """What /healthz learns of the database: whether it answers, and its migration."""

    reachable: bool
    revision: str | None


@dataclass(frozen=True)
class Timeouts:
    """How long the service waits on the database before it gives up, in seconds.

    Teams waits 15 s for a turn's answer. A turn that meets a stalled database fails at its
    first query: the pooled connection's check (`statement`), a new connection (`connect`),
    or the wait for a free one (`pool`), well inside that limit, so the chef still gets the
    apology; /healthz gives up after `ping` and says 503."""

    # opening a connection: TCP, TLS, authentication (asyncpg's `timeout`)
    connect: float = 3.0
    # one statement, also the pool's check of a connection before a checkout: PostgreSQL's own
    # `statement_timeout` (asyncpg's `command_timeout` CLIENT_GRACE later); SQLite's wait for a
    # lock
    statement: float = 5.0
    # waiting for a free connection of the pool
    pool: float = 5.0
    # /healthz's whole check, checkout and reconnect included
    ping: float = 1.5
    # a migration's statement, and its wait for another replica's migration on PostgreSQL
    migration: float = 600.0


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    # in WAL mode NORMAL is safe against a crashed process (the last commits could be lost only
    # to a power cut), and spares an fsync per commit; production runs PostgreSQL anyway
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _check_out(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """Before a pooled PostgreSQL connection is handed out: is it alive and answering? One
    empty statement, under the connection's own command timeout; a dead or stalled connection
    invalidates the pool (as SQLAlchemy's pre-ping does: when one pooled connection is dead after
    a restart, so are the others), and the pool opens a new one."""
    try:
        await_(dbapi_connection.driver_connection.fetchrow(";"))
    except Exception as error:
        raise InvalidatePoolError(f"the database did not answer: {type(error).__name__}") from error


# how much longer the client waits than the server's statement_timeout: the server cancels a
# slow statement first (its error arrives, the connection stays usable); the client's limit is
# only for a server that cannot answer at all. Equal limits would race, and the winner decide
# which error a turn sees.
CLIENT_GRACE = 1.0


def _connect_args(dialect: str, timeouts: Timeouts) -> dict[str, Any]:
    """The driver's own timeouts, so a stalled database raises instead of hanging."""
    if dialect == "postgresql":
        # the server's limit cancels a statement that runs (or waits for a lock) too long; the
        # client's, a little later, catches a database that does not answer at all
        return {
            "timeout": timeouts.connect,
            "command_timeout": timeouts.statement + CLIENT_GRACE,
            "server_settings": {"statement_timeout": str(round(timeouts.statement * 1000))},
        }
    if dialect == "sqlite":
        # sqlite3's `timeout` is its busy timeout: how long a statement waits for a lock
        return {"timeout": timeouts.statement}
    return {}


class Database:
    """Owns the engine; hands out sessions. Create one per process and dispose it at shutdown."""

    def __init__(self, url: str, *, echo: bool = False, timeouts: Timeouts = Timeouts()) -> None:
        self.url = normalise_url(url)
        self.timeouts = timeouts
        parsed = make_url(self.url)
        self.dialect = parsed.get_backend_name()
        if self.dialect == "sqlite" and parsed.database not in (None, "", ":memory:"):
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        # a failed statement's parameters can be a chef's answer: never in an error or a log.
        # pool_pre_ping, with the statement timeout on its check, replaces a connection that
        # died or stalled with a new one: the service recovers when the database comes back
        options: dict[str, Any] = {
            "echo": echo,
            "pool_pre_ping": True,
            "hide_parameters": True,
            "pool_timeout": timeouts.pool,
            # first come, first served: under a burst no turn loses every race for a connection
            "poolclass": FairQueuePool,
            "connect_args": _connect_args(self.dialect, timeouts),
        }
        if self.dialect == "sqlite":
            # SQLite has one writer: one connection, its statements run on the event loop's
            # own thread (`inline_sqlite`: a statement takes well under a millisecond, a trip
            # to aiosqlite's thread and back a turn of the loop, behind every other turn's
            # work). No ping before each checkout: a file has no server that could drop the
            # connection (the stalled-database checks are PostgreSQL's).
            options.update(
                pool_size=1,
                max_overflow=0,
                pool_pre_ping=False,
                # every session ends its own transaction; the pool's extra rollback on top is
                # one more call per checkout
                pool_reset_on_return=None,
                async_creator=partial(
                    inline_sqlite, parsed.database or ":memory:", timeout=timeouts.statement
                ),
            )
        if self.dialect == "postgresql":
            # the check is one round trip of our own (`_check_out`): SQLAlchemy's pre-ping on
            # asyncpg wraps its `;` in BEGIN … ROLLBACK (for pgbouncer's transaction mode,
            # which this service does not use): three round trips on every checkout
            options["pool_pre_ping"] = False
        self.engine: AsyncEngine = create_async_engine(self.url, **options)
        if self.dialect == "postgresql":
            event.listen(self.engine.sync_engine.pool, "checkout", _check_out)
        # aiosqlite logs every statement with its values at DEBUG; SQLAlchemy keeps its own
        # loggers at WARNING unless asked. Either could put a chef's answer in the logs.
        quiet = logging.getLogger("aiosqlite")
        if quiet.level == logging.NOTSET:
            quiet.setLevel(logging.INFO)
        if self.dialect == "sqlite":
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        self._late: set[asyncio.Future[Probe]] = set()  # pings given up on, still closing
        self._sessions = async_sessionmaker(
            self.engine, class_=AsyncSession, expire_on_commit=False
        )
        # reads on PostgreSQL without BEGIN and ROLLBACK around them (two round trips fewer):
        # under READ COMMITTED each statement of a transaction saw a snapshot of its own anyway
        reads = (
            self.engine.execution_options(isolation_level="AUTOCOMMIT")
            if self.dialect == "postgresql"
            else self.engine
        )
        self._reads = async_sessionmaker(reads, class_=AsyncSession, expire_on_commit=False)

    @property
    def is_postgres(self) -> bool:
        return self.dialect == "postgresql"

    def session(self) -> AsyncSession:
        """A new session; use as `async with db.session() as s, s.begin(): ...`."""
        return self._sessions()

    def reading(self) -> AsyncSession:
        """A new session whose statements each stand on their own (`async with db.reading() as
        s: ...`): for reads, and at most a single write that needs no transaction around it
        (on PostgreSQL it is committed as it is flushed). Not for results streamed through a
        server-side cursor: PostgreSQL keeps one only inside a transaction."""
        return self._reads()

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
        """True when the database answers a trivial query within `timeouts.ping`."""
        return (await self.probe(revision=False)).reachable

    async def probe(self, *, revision: bool = True) -> Probe:
        """Whether the database answers within `timeouts.ping`, and its schema's migration.

        The query runs as a task of its own that is left behind when it is late: cancelled,
        it may still spend a while closing its stalled connection, and the caller (/healthz)
        must not wait for that."""
        check = asyncio.ensure_future(self._answer(revision=revision))
        try:
            await asyncio.wait({check}, timeout=self.timeouts.ping)
        finally:  # late, or the caller itself cancelled
            if not check.done():
                check.cancel()
                self._late.add(check)
                check.add_done_callback(self._late.discard)
        if check.done() and not check.cancelled():
            return check.result()
        return Probe(reachable=False, revision=None)

    async def _answer(self, *, revision: bool) -> Probe:
        found = None
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
                if revision:
                    try:
                        found = (
                            await conn.execute(text("SELECT version_num FROM alembic_version"))
                        ).scalar()
                    except Exception:  # not migrated at all yet
                        found = None
        except Exception:
            return Probe(reachable=False, revision=None)
        return Probe(reachable=True, revision=found)

    async def dispose(self) -> None:
        # late checks first: none may be cut off half-way by the engine going
        await asyncio.gather(*self._late, return_exceptions=True)
        await self.engine.dispose()
