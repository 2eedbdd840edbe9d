"""The two worlds a dialog test runs in: the bot in-process (the default, `tests.turns`), or
the app behind /api/messages with the fake Bot Connector (`@pytest.mark.parametrize("world",
["endpoint"], indirect=True)`, for the few end-to-end paths of each flow)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from aiohttp.web import Application

from bot.app import create_app
from bot.settings import Settings
from followup.policy import Policy
from followup.rounds.workdays import next_window
from storage.types import utcnow
from tests.dialogs.checkin_world import Client, Connector, add_members
from tests.fakes.bot_connector import running_connector
from tests.turns import running_teams

ClientFactory = Callable[[Application], Awaitable[TestClient[Any, Any]]]


@pytest.fixture
def settings(database_url: str) -> Settings:
    """The app's settings; a module overrides this fixture for links and the like."""
    return Settings(_env_file=None, database_url=database_url, run_scheduler=False)  # type: ignore[call-arg]


@pytest.fixture
def app_clock() -> Callable[[], datetime]:
    """The app's clock; a module overrides this fixture for a time of its own."""
    return utcnow


def at_work() -> datetime:
    """Now, when that is in working hours; else the start of the next working day's (frozen
    there meanwhile): for a test of what HR does at work, whatever the hour it runs at."""
    return next_window(utcnow(), policy=Policy())


@pytest.fixture
async def world(
    request: pytest.FixtureRequest,
    settings: Settings,
    aiohttp_client: ClientFactory,
    app_clock: Callable[[], datetime],
) -> AsyncIterator[tuple[Client, Connector]]:
    """(client, connector): the same object in-process, a test client and the fake otherwise."""
    if getattr(request, "param", "turns") == "endpoint":
        async with running_connector(conversation_limits=[]) as fake:
            add_members(fake)
            yield await aiohttp_client(create_app(settings, clock=app_clock)), fake
        return
    async with running_teams(settings, clock=app_clock) as teams:
        add_members(teams)
        yield teams, teams


@pytest.fixture
def client(world: tuple[Client, Connector]) -> Client:
    return world[0]


@pytest.fixture
def connector(world: tuple[Client, Connector]) -> Connector:
    return world[1]
