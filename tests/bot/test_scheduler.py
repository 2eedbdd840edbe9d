"""Half a year of the programme in seconds, with a clock we move: heads-up → open → reminders to
non-responders inside working hours → close at the deadline → digest to HR → feedback to the
chef who answered. Restarted in the middle it sends nothing twice and misses nothing; on
PostgreSQL one scheduler leads and another takes over when it stops."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiohttp.test_utils import TestClient
from aiohttp.web import Application

from bot.app import ADAPTER, create_app
from bot.outbox_dispatcher import OutboxDispatcher
from bot.scheduler import Scheduler
from bot.settings import Settings
from bot.teams_notifier import TeamsNotifier
from dialogs.formatting import stored_title_of
from dialogs.outbox_renderer import OutboxRenderer
from followup.policy import Policy
from storage.database import Database
from storage.models import Role
from storage.role_store import RoleStore
from tests.conftest import PATIENT
from tests.dialogs.checkin_world import (
    KARIN,
    MARIA,
    activity,
    add_members,
    db_of,
    install,
    organisation,
    submit_data,
)
from tests.dialogs.test_check_in_dialog import answer_steps
from tests.fakes.bot_connector import FakeBotConnector, running_connector

ClientFactory = Callable[[Application], Awaitable[TestClient[Any, Any]]]
SE = ZoneInfo("Europe/Stockholm")


class Clock:
    """The time the scheduler and the outbox believe in."""

    def __init__(self) -> None:
        self.now = datetime(2027, 3, 1, 12, 0, tzinfo=SE)

    def __call__(self) -> datetime:
        return self.now

    def to(self, month: int, day: int, hour: int, minute: int = 0) -> None:
        self.now = datetime(2027, month, day, hour, minute, tzinfo=SE)


@pytest.fixture
async def connector() -> AsyncIterator[FakeBotConnector]:
    async with running_connector(conversation_limits=[]) as fake:
        add_members(fake)
        yield fake


@pytest.fixture
async def client(aiohttp_client: ClientFactory, database_url: str) -> TestClient[Any, Any]:
    settings = Settings(_env_file=None, database_url=database_url, run_scheduler=False)  # type: ignore[call-arg]
    return await aiohttp_client(create_app(settings))


class World:
    """The demo with Karin (chef and HR) and Maria (chef) in Teams, and a scheduler and an
    outbox that run on our clock; `restart()` replaces both, as a new process would."""

    def __init__(self, client: TestClient[Any, Any], connector: FakeBotConnector) -> None:
        self.client, self.connector, self.clock = client, connector, Clock()
        self.db: Database = db_of(client)
        self.scheduler = Scheduler(
            self.db, clock=self.clock, policy=Policy(), title_of=stored_title_of()
        )
        self._new_outbox()

    async def restart(self) -> None:
        # the old process is gone, and with it the leader's lock (on PostgreSQL)
        await self.scheduler.stop()
        self.scheduler = Scheduler(
            self.db, clock=self.clock, policy=Policy(), title_of=stored_title_of()
        )
        self._new_outbox()

    def _new_outbox(self) -> None:
        self.outbox = OutboxDispatcher(
            db=self.db,
            notifier=TeamsNotifier(self.client.app[ADAPTER], app_id=""),
            clock=self.clock,
            render=OutboxRenderer(self.db, clock=self.clock, policy=Policy()),
            conversation_interval=0,
        )

    async def at(self, month: int, day: int, hour: int, minute: int = 0) -> None:
        """Move the clock, run a tick, and send what it queued."""
        self.clock.to(month, day, hour, minute)
        assert await self.scheduler.tick()
        while await self.outbox.dispatch_once():
            pass

    def to(self, person: dict[str, str]) -> list[str]:
        """What reached the person, by kind: a card's first line, or a text."""
        seen = []
        for a in self.connector.activities:
            if a["_conversation"] != person["conv"]:
                continue
            line = a.get("text") or ""
            if a.get("attachments"):
                first = a["attachments"][0]["content"].get("body", [{}])[0]
                # a TextBlock, or a RichTextBlock whose runs show user text as it is
                runs = first.get("inlines", [])
                first_line = first.get("text") or "".join(r.get("text", "") for r in runs)
                line = f"{line} {first_line}".strip()
            seen.append(line)
        return seen


@pytest.fixture
async def w(client: TestClient[Any, Any], connector: FakeBotConnector) -> AsyncIterator[World]:
    made = await world(client, connector)
    yield made
    await made.scheduler.stop()


async def world(client: TestClient[Any, Any], connector: FakeBotConnector) -> World:
    db = db_of(client)
    org, _ = await organisation(db)
    await RoleStore(db).grant(
        organisation_id=org,
        principal=KARIN["aadObjectId"],
        role=Role.HR_ADMIN,
        created_by="test",
        now=datetime(2027, 1, 1, tzinfo=SE),
    )
    for person in (KARIN, MARIA):
        await install(client, connector, person)
    return World(client, connector)


async def maria_answers(w: World) -> None:
    summary = await answer_steps(w.client, w.connector, MARIA)
    response = await w.client.post(
        "/api/messages",
        json=activity(
            w.connector, MARIA, value=submit_data(summary, "submit"), replyToId=summary["_id"]
        ),
    )
    assert response.status in (200, 201)


def count(seen: list[str], words: str) -> int:
    return sum(words in line for line in seen)


async def test_half_a_year_from_heads_up_to_feedback(w: World) -> None:
    await w.at(3, 10, 12)  # the calendar plans the spring round (opens 15 April)
    await w.at(4, 1, 12)
    assert count(w.to(KARIN), "Uppföljning våren 2027") == 0  # two weeks ahead: no heads-up
    await w.at(4, 8, 12)
    assert count(w.to(KARIN), "öppnar den här omgången av sig själv") == 1
    await w.at(4, 15, 7, 59)
    assert count(w.to(MARIA), "Uppföljning våren 2027") == 0
    await w.at(4, 15, 8)  # the day: invitations
    assert count(w.to(MARIA), "Uppföljning våren 2027") == 1
    assert count(w.to(KARIN), "Uppföljning våren 2027") == 1  # her own invitation
    await maria_answers(w)

    # three weeks on is Ascension Day (Thursday 6 May): the last day is Friday 7 May
    await w.at(4, 30, 23, 59)  # a week before the deadline, but at night: it waits
    await w.at(5, 1, 10)  # Saturday: still waiting
    assert count(w.to(KARIN), "Påminnelse") == 0
    await w.at(5, 3, 8)  # Monday morning
    assert count(w.to(KARIN), "Påminnelse") == 1
    await w.at(5, 6, 8)  # two days before (Wednesday 23:59), but Thursday is a holiday
    assert count(w.to(KARIN), "Påminnelse") == 1
    await w.at(5, 7, 8)  # → Friday morning
    assert count(w.to(KARIN), "Påminnelse") == 2
    await w.at(5, 7, 12)
    assert count(w.to(KARIN), "Påminnelse") == 2  # the cap
    assert count(w.to(MARIA), "Påminnelse") == 0  # she answered

    await w.at(5, 7, 23, 58)
    assert count(w.to(KARIN), "Uppföljning av programmet") == 0
    await w.at(5, 8, 0, 5)  # the deadline has passed: closed, digest, feedback
    assert count(w.to(KARIN), "Uppföljning av programmet för att stärka enhetschefer") == 1
    assert count(w.to(MARIA), "är stängd. Här är din egen återkoppling") == 1
    await w.at(5, 8, 9)
    assert count(w.to(KARIN), "Uppföljning av programmet för att stärka enhetschefer") == 1


async def test_restarted_in_the_middle_nothing_twice_nothing_missed(w: World) -> None:
    await w.at(3, 10, 12)
    await w.at(4, 8, 12)
    await w.at(4, 15, 8)
    await w.restart()  # a new process, as after a crash: the same tick runs again
    await w.at(4, 15, 8)
    assert count(w.to(KARIN), "öppnar den här omgången av sig själv") == 1
    assert count(w.to(KARIN), "Uppföljning våren 2027") == 1  # one invitation
    # down from 16 April until after both reminders were due: one reminder makes up for both
    await w.restart()
    await w.at(5, 5, 9)
    await w.at(5, 5, 10)
    assert count(w.to(KARIN), "Påminnelse") == 1
    await w.restart()
    await w.at(5, 8, 10)  # down over the deadline too: closed late, results once
    await w.restart()
    await w.at(5, 8, 10)
    assert count(w.to(KARIN), "Uppföljning av programmet för att stärka enhetschefer") == 1


@pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL"), reason="several replicas need PostgreSQL"
)
async def test_one_leader_on_postgresql_and_another_takes_over(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("several replicas need PostgreSQL; SQLite runs one process")
    from storage import migrate

    first_db, second_db = (Database(database_url, timeouts=PATIENT) for _ in range(2))
    await migrate.upgrade(first_db)
    first, second = (
        Scheduler(first_db, policy=Policy(), title_of=stored_title_of()),
        Scheduler(second_db, policy=Policy(), title_of=stored_title_of()),
    )
    try:
        assert await first.tick() is True
        assert await second.tick() is False  # the other replica waits
        assert await first.tick() is True
        await first.stop()  # the leader goes
        assert await second.tick() is True  # and the other takes over
        assert await second.tick() is True
    finally:
        await first.stop()
        await second.stop()
        await first_db.dispose()
        await second_db.dispose()
