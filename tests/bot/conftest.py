"""Closes what the outbox world's dispatchers opened, in the async test's own loop."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.bot.outbox_world import OPEN_AUTHENTICATIONS

HERE = Path(__file__).parent


@pytest.fixture
async def _close_connector_sessions() -> AsyncIterator[None]:
    yield
    while OPEN_AUTHENTICATIONS:
        await OPEN_AUTHENTICATIONS.pop().close()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # async tests only: a sync test (the command line's) runs its own loops
    for item in items:
        function = getattr(item, "function", None)
        if HERE in Path(str(item.fspath)).parents and inspect.iscoroutinefunction(function):
            item.fixturenames.append("_close_connector_sessions")  # type: ignore[attr-defined]
