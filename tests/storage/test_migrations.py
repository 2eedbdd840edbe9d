"""Migrations: the schema they build is exactly the tables' schema, and they go down and up."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel, col, select

from storage import migrate
from storage.database import Database
from storage.models import Invitation, Organisation
from tests.conftest import PATIENT


@pytest.fixture
async def db(empty_database_url: str) -> AsyncIterator[Database]:
    """A database migrated from nothing by these tests themselves, not the session's template."""
    database = Database(empty_database_url, timeouts=PATIENT)
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


async def test_existing_invitations_get_the_department_and_unit_of_their_chef(
    db: Database,
) -> None:
    await migrate.downgrade(db, "0009")
    stamp = "'2025-01-01 00:00:00+00:00'"
    async with db.engine.begin() as conn:
        for statement in (
            "INSERT INTO organisation (id, tenant_id, name, self_enrol, default_k,"
            f" retention_months, created_at) VALUES (1, 't', 'Kommunen', false, 3, 24, {stamp})",
            "INSERT INTO department (id, organisation_id, code, name, active)"
            " VALUES (1, 1, 'IFO', 'Individ- och familjeomsorg', true)",
            "INSERT INTO programme (id, organisation_id, code, title, start_year, end_year, goal,"
            " round_opens, answer_days, active, created_at, updated_at) VALUES"
            f" (1, 1, 'P', 'Programmet', 2024, 2027, '', '[]', 21, true, {stamp}, {stamp})",
            "INSERT INTO chef (id, organisation_id, department_id, upn, email, name, unit,"
            " active, source, created_at, updated_at) VALUES"
            f" (1, 1, 1, 'anna@k.se', '', 'Anna', 'Hemtjänst Norr', true, 'import', {stamp},"
            f" {stamp}), (2, 1, NULL, 'bo@k.se', '', 'Bo', '', true, 'import', {stamp}, {stamp})",
            "INSERT INTO round (id, organisation_id, programme_id, title, state, deadline,"
            " audience_all, reminder_offsets, reminder_cap, sections, k, created_by,"
            " created_at, updated_at) VALUES (1, 1, 1, 'Delår 1 2025', 'closed', "
            f"{stamp}, true, '[]', 0, '{{}}', 3, '', {stamp}, {stamp})",
            "INSERT INTO invitation (id, round_id, chef_id, state, reminders_sent, created_at)"
            f" VALUES (1, 1, 1, 'submitted', 0, {stamp}), (2, 1, 2, 'pending', 0, {stamp})",
        ):
            await conn.execute(text(statement))
    await migrate.upgrade(db)
    async with db.session() as session:
        rows = (
            await session.exec(
                select(Invitation.chef_id, Invitation.department_id, Invitation.unit).order_by(
                    col(Invitation.id)
                )
            )
        ).all()
    assert [tuple(r) for r in rows] == [(1, 1, "Hemtjänst Norr"), (2, None, "")]
