"""Schema migrations with Alembic, run on the application's own async engine."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection

from storage.database import Database

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def _run(connection: Connection, action: str, *args: Any) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    getattr(command, action)(config, *args)


# the advisory lock replicas take to migrate one at a time: "LP" + "mg"
MIGRATION_LOCK = 0x4C50_6D67


@asynccontextmanager
async def _patient(db: Database) -> AsyncIterator[Database]:
    """The database with the migrations' statement timeout: rewriting a table, or waiting for
    another replica's migration, may take longer than any query of a turn. (SQLite has one
    connection and no statement timeout of its own: its database is used as it is.)"""
    if not db.is_postgres:
        yield db
        return
    patient = Database(db.url, timeouts=replace(db.timeouts, statement=db.timeouts.migration))
    try:
        yield patient
    finally:
        await patient.dispose()


async def upgrade(db: Database, revision: str = "head") -> None:
    """Bring the schema up to `revision` (idempotent). On PostgreSQL, replicas that start
    together take turns under a transaction-scoped advisory lock: the first migrates, the
    others then find nothing left to do."""
    async with _patient(db) as patient, patient.engine.begin() as conn:
        if patient.is_postgres:
            await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        await conn.run_sync(_run, "upgrade", revision)


async def downgrade(db: Database, revision: str) -> None:
    async with _patient(db) as patient, patient.engine.begin() as conn:
        await conn.run_sync(_run, "downgrade", revision)


async def current_revision(db: Database) -> str | None:
    def read(connection: Connection) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    async with db.engine.connect() as conn:
        return await conn.run_sync(read)


async def autogenerate(db: Database, message: str) -> None:
    """Write a new revision from the difference between the tables and the schema (developers)."""
    async with db.engine.begin() as conn:
        await conn.run_sync(_run, "revision", message, True)
