"""Shared fixtures: a migrated database on SQLite, and on PostgreSQL with TEST_DATABASE_URL."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from storage import migrate
from storage.database import Database, normalise_url

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def _backends() -> list[str]:
    return ["sqlite", "postgresql"] if os.environ.get("TEST_DATABASE_URL") else ["sqlite"]


async def reset_postgres(url: str) -> None:
    """Drop everything in the test database's public schema."""
    engine = create_async_engine(normalise_url(url))
    async with engine.begin() as conn:
        await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


@pytest.fixture(params=_backends())
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database: a fresh SQLite file, or the emptied PostgreSQL test database."""
    if request.param == "postgresql":
        url = os.environ["TEST_DATABASE_URL"]
        await reset_postgres(url)
        return normalise_url(url)
    return f"sqlite+aiosqlite:///{tmp_path / 'ledarpuls.db'}"


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    await migrate.upgrade(database)
    yield database
    await database.dispose()
