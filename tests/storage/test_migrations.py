"""Migrations: the schema they build is exactly the tables' schema, and they go down and up."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel, select

from storage import migrate
from storage.database import Database
from storage.models import Organisation


@pytest.fixture
async def db(empty_database_url: str) -> AsyncIterator[Database]:
    """A database migrated from nothing by these tests themselves, not the session's template."""
    database = Database(empty_database_url)
    await migrate.upgrade(database)
    yield database
    await database.dispose()


async def test_migrated_schema_matches_the_tables(db: Database) -> None:
    def diff(connection: Connection) -> list[object]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, SQLModel.metadata))

    async with db.engine.connect() as conn:
        assert await conn.run_sync(diff) == []
    assert await migrate.current_revision(db) == migrate.head_revision()


async def test_downgrade_and_upgrade_again(db: Database) -> None:
    await migrate.downgrade(db, "base")
    assert await migrate.current_revision(db) is None
    await migrate.upgrade(db)
    await migrate.upgrade(db)  # idempotent
    assert await migrate.current_revision(db) == migrate.head_revision()


async def test_the_privacy_policy_arrives_with_its_defaults_for_existing_organisations(
    db: Database,
) -> None:
    await migrate.downgrade(db, "0004")
    async with db.engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO organisation (tenant_id, name, self_enrol, default_k,"
                " retention_months, created_at)"
                " VALUES ('t', 'Gamla kommunen', false, 3, 36, '2025-01-01 00:00:00+00:00')"
            )
        )
    await migrate.upgrade(db)
    async with db.session() as session:
        organisation = (await session.exec(select(Organisation))).one()
    assert (organisation.name, organisation.retention_months) == ("Gamla kommunen", 36)
    assert organisation.retention_action == "anonymise"
    assert organisation.keep_identified_statuses is True


async def test_a_database_with_the_old_bot_state_upgrades_and_comes_back(db: Database) -> None:
    await migrate.downgrade(db, "0005")
    async with db.engine.begin() as conn:
        # what a replica of an older release left behind
        await conn.execute(
            text(
                "INSERT INTO bot_state (key, etag, data, updated_at)"
                " VALUES ('msteams/conversations/a', '1', '{}', '2025-01-01 00:00:00+00:00')"
            )
        )
    await migrate.upgrade(db)
    assert "bot_state" not in await _tables(db)
    await migrate.downgrade(db, "0005")
    assert "bot_state" in await _tables(db)


async def _tables(db: Database) -> set[str]:
    async with db.engine.connect() as conn:
        return set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
