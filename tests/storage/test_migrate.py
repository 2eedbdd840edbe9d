"""Replicas that start together on PostgreSQL migrate one at a time, and all come up."""

from __future__ import annotations

import asyncio

import pytest

from storage import migrate
from storage.database import Database
from tests.conftest import PATIENT


async def test_replicas_starting_together_migrate_once(empty_database_url: str) -> None:
    if not empty_database_url.startswith("postgresql"):
        pytest.skip("several replicas need PostgreSQL")
    replicas = [Database(empty_database_url, timeouts=PATIENT) for _ in range(3)]
    try:
        await asyncio.gather(*(migrate.upgrade(db) for db in replicas))
        for db in replicas:
            assert await migrate.current_revision(db) == migrate.head_revision()
    finally:
        for db in replicas:
            await db.dispose()
