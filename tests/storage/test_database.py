"""The database handle: aware UTC datetimes on every backend, and URLs as IT writes them."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import select

from followup.policy import Policy
from storage.database import Database, normalise_url
from storage.models import Organisation


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
