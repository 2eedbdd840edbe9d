"""The database handle: aware UTC datetimes on every backend, and URLs as IT writes them."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import select

from followup.policy import Policy
from storage import migrate
from storage.database import Database, Timeouts, normalise_url
from storage.models import Organisation
from tests.conftest import PATIENT
from tests.fakes.stalled_database import at_least, behind_proxy


async def test_datetimes_come_back_aware_and_in_utc(db: Database) -> None:
    stockholm_summer = timezone(timedelta(hours=2))
    created = datetime(2025, 6, 12, 16, 30, tzinfo=stockholm_summer)
    async with db.session() as s, s.begin():
        s.add(
            Organisation(tenant_id="t1", name="Kommunen", created_at=created, default_k=Policy().k)
        )
    async with db.session() as s:
        org = (await s.exec(select(Organisation))).one()
    assert org.created_at == created
    assert org.created_at.tzinfo is not None
    assert org.created_at.utcoffset() == timedelta(0)
    assert org.created_at.hour == 14


async def test_naive_datetimes_are_refused(db: Database) -> None:
    with pytest.raises(Exception, match="naive"):
        async with db.session() as s, s.begin():
            s.add(
                Organisation(
                    tenant_id="t2",
                    name="Kommunen",
                    created_at=datetime(2025, 1, 1),
                    default_k=Policy().k,
                )
            )


async def test_ping(db: Database) -> None:
    assert await db.ping()
    broken = Database("postgresql+asyncpg://nobody@127.0.0.1:1/none")
    assert not await broken.ping()
    await broken.dispose()


async def test_urls_as_it_writes_them_reach_the_database(tmp_path: Path) -> None:
    assert normalise_url("postgres://u@h/db") == "postgresql+asyncpg://u@h/db"
    assert normalise_url("postgresql://u@h/db") == "postgresql+asyncpg://u@h/db"
    assert normalise_url("sqlite+aiosqlite:///x.db") == "sqlite+aiosqlite:///x.db"
    plain = Database(f"sqlite:///{tmp_path / 'var' / 'ledarpuls.db'}")  # its folder is made too
    try:
        assert await plain.ping()
    finally:
        await plain.dispose()


async def test_a_failed_statement_never_shows_its_values(db: Database) -> None:
    """A database error reaches the logs with its SQL, never with what a chef wrote."""
    secret = "min hemliga reflektion"
    with pytest.raises(DBAPIError) as failed:
        async with db.session() as session:
            await session.exec(text("SELECT :x FROM no_such_table").bindparams(x=secret))  # type: ignore[call-overload]
    assert secret not in str(failed.value)
    assert "hidden due to hide_parameters" in str(failed.value)


async def quick(url: str) -> Timeouts:
    """Short enough for a fast test, long enough for a busy machine's healthy database."""
    seconds = await at_least(url, 1.0)
    return Timeouts(connect=seconds, statement=seconds, pool=seconds, ping=seconds)


def never(timeouts: Timeouts) -> float:
    """A guard, not a measure: a stall that hangs fails the test instead of holding up the run."""
    return 30 * timeouts.statement


async def test_a_stalled_database_fails_instead_of_hanging_and_is_used_again_after(
    database_url: str,
) -> None:
    async with behind_proxy(database_url) as (proxy, url):
        timeouts = await quick(url)
        db = Database(url, timeouts=timeouts)
        try:
            async with db.session() as s:
                assert await s.scalar(text("SELECT 1")) == 1  # a connection now in the pool

            proxy.blackhole()
            # never a hang: the pooled connection's check, a new connection and a statement
            # each give up after their timeout
            async with asyncio.timeout(never(timeouts)):
                assert not await db.ping()
                with pytest.raises((DBAPIError, TimeoutError)):
                    async with db.session() as s:
                        await s.scalar(text("SELECT 1"))

            proxy.restore()
            # the same Database, without a restart: dead connections were replaced
            assert await db.ping()
            async with db.session() as s, s.begin():
                assert await s.scalar(text("SELECT 2")) == 2
        finally:
            await db.dispose()


async def test_a_statement_that_stalls_midway_gives_up_and_the_next_one_works(
    database_url: str,
) -> None:
    async with behind_proxy(database_url) as (proxy, url):
        timeouts = await quick(url)
        db = Database(url, timeouts=timeouts)
        try:
            async with asyncio.timeout(never(timeouts)):
                with pytest.raises((DBAPIError, TimeoutError)):
                    async with db.session() as s, s.begin():
                        await s.scalar(text("SELECT 1"))
                        proxy.blackhole()  # in the middle of a transaction
                        await s.scalar(text("SELECT 2"))
            proxy.restore()
            async with db.session() as s, s.begin():
                assert await s.scalar(text("SELECT 3")) == 3
        finally:
            await db.dispose()


async def test_the_server_cancels_a_statement_that_runs_too_long(database_url: str) -> None:
    """PostgreSQL's own statement_timeout: a query stuck on a lock is not waited on for ever."""
    if not database_url.startswith("postgresql"):
        pytest.skip("statement_timeout is PostgreSQL's")
    # short, yet what a busy machine's new connection asks on its way in still fits in it
    statement = await at_least(database_url, 0.3, margin=5)
    db = Database(database_url, timeouts=dataclasses.replace(PATIENT, statement=statement))
    try:
        with pytest.raises(DBAPIError, match="statement timeout"):
            async with db.session() as s:
                await s.exec(text("SELECT pg_sleep(60)"))  # type: ignore[call-overload]
        assert await db.ping()
    finally:
        await db.dispose()


async def test_a_replica_waits_for_anothers_migration_past_the_statement_timeout(
    database_url: str,
) -> None:
    """Replicas that start together take turns to migrate; the waiting one is not cut off by
    the timeout meant for a turn's queries (and neither is a migration that rewrites a table)."""
    if not database_url.startswith("postgresql"):
        pytest.skip("the migration lock is PostgreSQL's")
    other = Database(database_url, timeouts=PATIENT)
    statement = await at_least(database_url, 0.2, margin=5)
    db = Database(database_url, timeouts=dataclasses.replace(PATIENT, statement=statement))
    try:
        async with other.engine.begin() as conn:  # another replica, migrating
            await conn.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": migrate.MIGRATION_LOCK}
            )
            waiting = asyncio.create_task(migrate.upgrade(db))
            await asyncio.sleep(3 * statement)
            assert not waiting.done()
        await waiting  # the lock is free: nothing left to do, and no statement timed out
    finally:
        await db.dispose()
        await other.dispose()
