"""A database that stalls under the running service (its connections black-holed): /healthz says
503 in time, chefs' and HR's turns get the apology within Teams' limit, and everything works
again when the database comes back, without a restart. PostgreSQL only: SQLite cannot stall so."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from aiohttp.web import Application
from sqlalchemy import text

from bot.app import DATABASE, create_app
from bot.settings import Settings
from dialogs.texts import t
from storage.database import Database
from tests.bot.outbox_world import conversation_of, enqueue, world
from tests.bot.test_install import KARIN, TENANT, organisation
from tests.dialogs.checkin_world import make_hr_admin
from tests.fakes.bot_connector import FakeBotConnector, running_connector
from tests.fakes.stalled_database import at_least, behind_proxy
from tests.fakes.tcp_proxy import TcpProxy

ClientFactory = Callable[[Application], Awaitable[TestClient[Any, Any]]]
APOLOGY = t("sv", "error.turn")
HELP = t("sv", "help.title")
MARIA = {"id": "29:maria", "aadObjectId": "1a2b3c4d-0001-4000-8000-000000000001"}  # HR here
# Teams waits this long for a turn's answer; /healthz must answer a load balancer in this
TEAMS_LIMIT = 15.0
HEALTH_LIMIT = 2.0
# a guard, not a measure: a service that hangs fails the test instead of holding up the run
NEVER = 60.0


def settings_for(url: str, **extra: Any) -> Settings:
    return Settings(_env_file=None, database_url=url, **extra)  # type: ignore[call-arg]


async def quick(url: str) -> dict[str, float]:
    """Short timeouts, so the fast tests take seconds, yet long enough for a busy machine's
    healthy database (/healthz at most its 2 s); the chaos scenario keeps the defaults."""
    seconds = await at_least(url, 1.0)
    return {
        "database_connect_timeout": seconds,
        "database_statement_timeout": seconds,
        "database_pool_timeout": seconds,
        "health_timeout": min(seconds, 2.0),
    }


# the proxy outlives the app (asked for before `aiohttp_client`), so the app's shutdown still
# reaches the database
@pytest.fixture
async def stalling(database_url: str) -> AsyncIterator[tuple[TcpProxy, str]]:
    async with behind_proxy(database_url) as pair:
        yield pair


@pytest.fixture
async def connector() -> AsyncIterator[FakeBotConnector]:
    async with running_connector() as fake:
        yield fake


def message(connector: FakeBotConnector, person: dict[str, str], text: str) -> dict[str, Any]:
    return {
        "type": "message",
        "id": f"in-{person['id']}",
        "text": text,
        "locale": "sv-SE",
        "channelId": "msteams",
        "serviceUrl": connector.service_url,
        "from": person,
        "recipient": {"id": "28:ledarpuls", "name": "Ledarpuls"},
        "conversation": {
            "id": f"a:{person['id']}-personal",
            "conversationType": "personal",
            "tenantId": TENANT,
        },
        "channelData": {"tenant": {"id": TENANT}},
    }


async def a_chef_and_hr(db: Database) -> None:
    org = await organisation(db)
    await make_hr_admin(db, org, MARIA)


async def answer_to(
    client: TestClient[Any, Any], connector: FakeBotConnector, person: dict[str, str], text: str
) -> str:
    """What the person reads last after sending `text` (the turn's last reply)."""
    conversation = f"a:{person['id']}-personal"
    before = len(connector.delivered_to(conversation))
    async with asyncio.timeout(NEVER):
        response = await client.post("/api/messages", json=message(connector, person, text))
    assert response.status in (200, 201)
    await connector.wait_until(lambda: len(connector.delivered_to(conversation)) > before)
    reply: str = connector.delivered_to(conversation)[-1].get("text") or "(a card)"
    return reply


async def test_healthz_says_503_while_the_database_stalls_and_ok_when_it_is_back(
    stalling: tuple[TcpProxy, str], aiohttp_client: ClientFactory
) -> None:
    proxy, url = stalling
    client = await aiohttp_client(
        create_app(settings_for(url, run_scheduler=False, **await quick(url)))
    )
    assert (await client.get("/healthz")).status == 200

    proxy.blackhole()
    async with asyncio.timeout(NEVER):
        stalled = await client.get("/healthz")
    assert stalled.status == 503
    said = await stalled.json()
    assert said["status"] == "database unavailable"
    assert said["database"]["reachable"] is False and said["database"]["backend"] == "postgresql"

    proxy.restore()
    # the stall's connections are dead: the first query after it opens a new one (bounded by
    # the connect timeout, not by /healthz's 2 s, which a busy machine's reconnect can cross)
    async with client.app[DATABASE].session() as session:
        await session.scalar(text("SELECT 1"))
    back = await client.get("/healthz")
    assert back.status == 200
    assert (await back.json())["database"]["reachable"] is True


async def test_chefs_and_hr_get_the_apology_while_the_database_stalls_and_answers_after(
    stalling: tuple[TcpProxy, str], connector: FakeBotConnector, aiohttp_client: ClientFactory
) -> None:
    proxy, url = stalling
    client = await aiohttp_client(
        create_app(settings_for(url, run_scheduler=False, **await quick(url)))
    )
    await a_chef_and_hr(client.app[DATABASE])
    assert HELP in await answer_to(client, connector, KARIN, "hjälp")
    assert await answer_to(client, connector, MARIA, "status") != APOLOGY

    proxy.blackhole()
    assert await answer_to(client, connector, KARIN, "hjälp") == APOLOGY
    assert await answer_to(client, connector, MARIA, "status") == APOLOGY

    proxy.restore()  # the same service, not restarted
    assert HELP in await answer_to(client, connector, KARIN, "hjälp")
    assert await answer_to(client, connector, MARIA, "status") != APOLOGY


HOLE = 20.0  # seconds the database is black-holed in the chaos scenario


@pytest.mark.chaos
async def test_a_20_second_stall_with_the_default_timeouts(
    stalling: tuple[TcpProxy, str], connector: FakeBotConnector, aiohttp_client: ClientFactory
) -> None:
    """The issue's scenario, measured: the service as deployed (default timeouts, background
    work on), the database black-holed for 20 s while /healthz is polled and a chef and HR keep
    writing; then the database comes back."""
    proxy, url = stalling
    client = await aiohttp_client(create_app(settings_for(url, run_scheduler=True)))
    db = client.app[DATABASE]
    await a_chef_and_hr(db)
    # and chefs of another organisation, for the outbox to send to when the database is back
    other, chefs = await world(db, connector, 3)
    for person in (KARIN, MARIA):
        assert await answer_to(client, connector, person, "hjälp") != APOLOGY

    health: list[tuple[int, float]] = []
    turns: list[tuple[str, float]] = []
    proxy.blackhole()
    start = time.monotonic()

    async def poll_health() -> None:
        while time.monotonic() - start < HOLE:
            asked = time.monotonic()
            async with asyncio.timeout(NEVER):
                response = await client.get("/healthz")
            health.append((response.status, time.monotonic() - asked))
            await asyncio.sleep(0.5)

    async def keep_writing(person: dict[str, str], text: str) -> None:
        while time.monotonic() - start < HOLE - 2:
            asked = time.monotonic()
            reply = await answer_to(client, connector, person, text)
            turns.append((reply, time.monotonic() - asked))
            await asyncio.sleep(1.0)

    await asyncio.gather(poll_health(), keep_writing(KARIN, "hjälp"), keep_writing(MARIA, "status"))
    await asyncio.sleep(max(0.0, HOLE - (time.monotonic() - start)))
    proxy.restore()
    restored = time.monotonic()
    for _ in range(int(NEVER / 0.1)):
        if (await client.get("/healthz")).status == 200:
            break
        await asyncio.sleep(0.1)
    healthy_after = time.monotonic() - restored
    asked = time.monotonic()
    chef_after = await answer_to(client, connector, KARIN, "hjälp")
    hr_after = await answer_to(client, connector, MARIA, "status")
    turn_after = (time.monotonic() - asked) / 2
    # the background work recovered too: the outbox sends what is queued now
    asked = time.monotonic()
    await enqueue(db, other, chefs)
    await connector.wait_until(
        lambda: all(connector.delivered_to(conversation_of(i)) for i in range(len(chefs))),
        within=NEVER,
    )
    outbox_after = time.monotonic() - asked

    statuses = {status for status, _ in health}
    health_times = [seconds for _, seconds in health]
    turn_times = [seconds for _, seconds in turns]
    print(
        f"\nstall {HOLE:.0f} s: /healthz {len(health)} asked, statuses {sorted(statuses)}, "
        f"median {statistics.median(health_times):.2f} s, max {max(health_times):.2f} s; "
        f"turns {len(turns)} (chef and HR), all apologies: {all(r == APOLOGY for r, _ in turns)}, "
        f"median {statistics.median(turn_times):.2f} s, max {max(turn_times):.2f} s; "
        f"after: /healthz ok {healthy_after:.2f} s after the database was back, "
        f"a turn answered in {turn_after:.2f} s, the outbox sent again in {outbox_after:.2f} s"
    )
    assert statuses == {503}
    assert max(health_times) < HEALTH_LIMIT
    assert all(reply == APOLOGY for reply, _ in turns)
    assert max(turn_times) < TEAMS_LIMIT
    assert HELP in chef_after
    assert hr_after != APOLOGY
