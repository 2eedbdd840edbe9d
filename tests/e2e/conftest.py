"""The end-to-end tests' fixture: the world of tests/e2e/world.py for one test, on a fresh SQLite
file, and on an emptied PostgreSQL test database too when TEST_DATABASE_URL is set."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.conftest import reset_postgres
from tests.e2e.world import World, running_world


def _backends() -> list[str]:
    return ["sqlite", "postgresql"] if os.environ.get("TEST_DATABASE_URL") else ["sqlite"]


@pytest.fixture(params=_backends())
async def world(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[World]:
    if request.param == "postgresql":
        # the test database itself (`make e2e` runs after the suite, never beside it), emptied
        url = os.environ["TEST_DATABASE_URL"]
        await reset_postgres(url)
    else:
        url = f"sqlite:///{tmp_path / 'ledarpuls.db'}"
    async with running_world(tmp_path, database_url=url) as running:
        yield running
