"""Shared fixtures: a migrated database on SQLite, and on PostgreSQL with TEST_DATABASE_URL.

The migrations run once per session: on SQLite into a template file that every test gets a copy
of, on PostgreSQL into the test database, whose tables are emptied between tests. Tests of the
migrations themselves take `empty_database_url` and migrate on their own."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from storage import migrate
from storage.database import Database, Timeouts, normalise_url

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"

# How long the tests wait on their databases. The service's own timeouts (3–5 s, well inside
# Teams' 15 s) are crossed by a healthy database on a starved CI machine: a connection that takes
# over 3 s to open, a delivery over 5 s in the queue for SQLite's one connection. A test that meets
# one loses a message to the outbox's retry and fails far from the cause ("no start action on the
# card", "3 påminnelser"). Load never crosses these, and a real hang still fails; the tests of the
# timeouts themselves give their own.
PATIENT = Timeouts(connect=60.0, statement=60.0, pool=60.0, ping=60.0)
# the same for every app, CLI and server a test starts (Settings reads them from the
# environment); /healthz may take at most 2 s (HEALTH_TIMEOUT's limit)
PATIENT_ENVIRONMENT = {
    "DATABASE_CONNECT_TIMEOUT": str(PATIENT.connect),
    "DATABASE_STATEMENT_TIMEOUT": str(PATIENT.statement),
    "DATABASE_POOL_TIMEOUT": str(PATIENT.pool),
    "HEALTH_TIMEOUT": "2",
}


@pytest.fixture(scope="session", autouse=True)
def patient_database() -> Iterator[None]:
    """Every app a test starts, in this process or another, waits on its database with the
    patient timeouts, unless the test gives its own settings."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in PATIENT_ENVIRONMENT.items():
            patch.setenv(name, value)
        yield


def _backends() -> list[str]:
    return ["sqlite", "postgresql"] if os.environ.get("TEST_DATABASE_URL") else ["sqlite"]


def _sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


def _postgres_url() -> str:
    """TEST_DATABASE_URL, or under pytest-xdist a database of this worker's own beside it."""
    url = make_url(normalise_url(os.environ["TEST_DATABASE_URL"]))
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker:
        url = url.set(database=f"{url.database}_{worker}")
    return url.render_as_string(hide_password=False)


async def _create_postgres_database(url: str) -> None:
    """Create the worker's database when it is not there yet."""
    target = make_url(url)
    # CREATE DATABASE runs outside a transaction, from the database the run was given
    engine = create_async_engine(
        normalise_url(os.environ["TEST_DATABASE_URL"]), isolation_level="AUTOCOMMIT"
    )
    try:
        async with engine.connect() as conn:
            exists = await conn.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :name"),
                {"name": target.database},
            )
            if not exists:
                await conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    finally:
        await engine.dispose()


async def reset_postgres(url: str) -> None:
    """Drop everything in the test database's public schema."""
    engine = create_async_engine(normalise_url(url))
    try:
        async with engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
    finally:
        await engine.dispose()


async def _migrate(url: str) -> None:
    database = Database(url, timeouts=PATIENT)
    try:
        await migrate.upgrade(database)
    finally:
        await database.dispose()


async def _empty_postgres_tables(url: str) -> bool:
    """Empty every table of a database at the head revision; False when it is not there."""
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            tables = (
                (
                    await conn.execute(
                        text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
                    )
                )
                .scalars()
                .all()
            )
            if "alembic_version" not in tables:
                return False
            version = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar()
            if version != migrate.head_revision():
                return False
            names = ", ".join(f'"{t}"' for t in tables if t != "alembic_version")
            if names:
                await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            return True
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to the head revision, once per session (or xdist worker)."""
    path = tmp_path_factory.mktemp("template") / "ledarpuls.db"
    # a loop of its own, never the thread's current one: this runs inside an async test's
    # set-up, and asyncio.run would orphan the loop it finds there (see tests/loops.py)
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(_migrate(_sqlite_url(path)))
    finally:
        loop.close()
    return path


@pytest.fixture(params=_backends())
async def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path
) -> str:
    """A migrated database without rows: a copy of the SQLite template, or the emptied
    PostgreSQL test database (migrated again if a migration test left it elsewhere)."""
    if request.param == "postgresql":
        url = _postgres_url()
        if os.environ.get("PYTEST_XDIST_WORKER"):
            await _create_postgres_database(url)
        if not await _empty_postgres_tables(url):
            await reset_postgres(url)
            await _migrate(url)
        return url
    path = tmp_path / "ledarpuls.db"
    shutil.copyfile(sqlite_template, path)
    return _sqlite_url(path)


@pytest.fixture(params=_backends())
async def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database without any schema, for the tests of the migrations themselves."""
    if request.param == "postgresql":
        url = _postgres_url()
        if os.environ.get("PYTEST_XDIST_WORKER"):
            await _create_postgres_database(url)
        await reset_postgres(url)
        return url
    return _sqlite_url(tmp_path / "empty.db")


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url, timeouts=PATIENT)
    yield database
    await database.dispose()
