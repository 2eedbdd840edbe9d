"""Every tenant's send budget against a fake Bot Connector that counts Teams' limit per tenant
and logs every request: two dispatchers with their own engines on PostgreSQL (two replicas),
one on SQLite. Every figure comes from the fake's log: requests per 1-second window, and what a
throttled tenant sent while Teams told it to wait."""

from __future__ import annotations

import asyncio
import collections
import math
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

from sqlalchemy import update
from sqlmodel import col, select

from bot.outbox_dispatcher import OutboxDispatcher
from storage.database import Database
from storage.models import Organisation, OutboxMessage, SendBudget
from storage.outbox_store import OutboxStore
from storage.send_budget import HORIZON, LIVE_COUNT
from tests.bot.outbox_world import TENANT, dispatcher, enqueue, world
from tests.conftest import PATIENT
from tests.fakes.bot_connector import FakeBotConnector, running_connector

OTHER_TENANT = "7a1b2c3d-0000-4000-8000-00000000000b"
LIMIT = 20  # what the fake takes from one tenant in a second
# each organisation's own rate: a quarter in hand, where production keeps a tenth (45 against
# 50): here the fake shares its event loop with the senders on a busy machine, and counts a
# request when that loop gets to it
RATE = 15
# the requests a tenant's budget had booked before a 429 could be known, on each replica
BOOKED_AHEAD = math.floor(HORIZON * RATE) + 1


async def set_rate(db: Database, org: int, rate: float) -> None:
    async with db.session() as session, session.begin():
        await session.exec(
            update(Organisation).where(col(Organisation.id) == org).values(send_rate=rate)  # type: ignore[call-overload]
        )


@asynccontextmanager
async def replicas(db: Database, url: str) -> AsyncIterator[list[OutboxDispatcher]]:
    """Dispatchers running: two with their own engines on PostgreSQL, one on SQLite."""
    async with AsyncExitStack() as stack:
        engines = [db]
        if db.is_postgres:
            engines = [Database(url, timeouts=PATIENT), Database(url, timeouts=PATIENT)]
            for engine in engines:
                stack.push_async_callback(engine.dispose)
        senders = [dispatcher(engine, concurrency=8) for engine in engines]
        tasks = [asyncio.create_task(d.run(poll=0.05)) for d in senders]
        try:
            yield senders
        finally:
            for d in senders:
                d.stop()
            await asyncio.wait_for(asyncio.gather(*tasks), 30)


async def all_sent(db: Database, count: int, *, within: float = 90) -> None:
    """Wait until `count` messages are sent (a time-out, not a timing assertion)."""
    store = OutboxStore(db)
    async with asyncio.timeout(within):
        while (await store.counts()).get("sent", 0) < count:  # noqa: ASYNC110 (a database)
            await asyncio.sleep(0.05)


async def senders_alive(db: Database, count: int, *, within: float = 30) -> None:
    """Wait until `count` dispatchers hold their owner locks (PostgreSQL)."""
    if not db.is_postgres:
        return
    async with asyncio.timeout(within):
        while True:
            async with db.session() as session:
                if (await session.exec(LIVE_COUNT)).one() >= count:
                    return
            await asyncio.sleep(0.05)


def requests_of(connector: FakeBotConnector, tenant: str) -> list[dict[str, object]]:
    return [a for a in connector.attempts if a["tenant"] == tenant]


async def test_replicas_together_never_exceed_the_tenants_limit_in_any_second(
    db: Database, database_url: str
) -> None:
    async with running_connector(tenant_rate=LIMIT) as connector:
        org, chefs = await world(db, connector, 90)
        await set_rate(db, org, RATE)
        await enqueue(db, org, chefs)
        async with replicas(db, database_url) as senders:
            await all_sent(db, 90)

    # each replica alone would send 15 a second: together that would be 30 against Teams' 20
    assert connector.max_requests_in_window(TENANT, 1.0) <= LIMIT
    assert connector.statuses()[429] == 0
    per_chef = collections.Counter(a["_conversation"] for a in connector.activities)
    assert len(per_chef) == 90 and set(per_chef.values()) == {1}
    async with db.session() as s:
        senders_used = set((await s.exec(select(OutboxMessage.claimed_by))).all())
    # one replica sent for the tenant, its sends spaced on its own clock
    assert len(senders_used) == 1 and len(senders) == (2 if db.is_postgres else 1)


async def test_replicas_share_the_tenants_out_each_sent_for_by_one(
    db: Database, database_url: str
) -> None:
    async with running_connector(tenant_rate=LIMIT) as connector:
        first, first_chefs = await world(db, connector, 45)
        second, second_chefs = await world(
            db, connector, 45, tenant=OTHER_TENANT, name="Grannkommunen", first=45
        )
        for org in (first, second):
            await set_rate(db, org, RATE)
        async with replicas(db, database_url) as senders:
            # both alive before there is work: the first to claim then takes only its share
            await senders_alive(db, len(senders))
            await enqueue(db, first, first_chefs)
            await enqueue(db, second, second_chefs)
            for sender in senders:
                sender.wake()
            await all_sent(db, 90)

    assert connector.statuses()[429] == 0
    for tenant in (TENANT, OTHER_TENANT):
        assert connector.max_requests_in_window(tenant, 1.0) <= LIMIT
    async with db.session() as s:
        sent_by = collections.defaultdict(set)
        for org, owner in (
            await s.exec(select(OutboxMessage.organisation_id, OutboxMessage.claimed_by))
        ).all():
            sent_by[owner].add(org)
    # on PostgreSQL each replica took one tenant (its share of two) and sent all of it
    assert len(sent_by) == len(senders)
    assert sorted(sorted(orgs) for orgs in sent_by.values()) == (
        [[first], [second]] if db.is_postgres else [[first, second]]
    )


async def test_a_429_pauses_that_tenant_on_every_replica_while_another_tenant_goes_on(
    db: Database, database_url: str
) -> None:
    pause = 2.0
    async with running_connector(tenant_rate=LIMIT) as connector:
        throttled, throttled_chefs = await world(db, connector, 60)
        other, other_chefs = await world(
            db, connector, 60, tenant=OTHER_TENANT, name="Grannkommunen", first=60
        )
        for org in (throttled, other):
            await set_rate(db, org, RATE)
        await enqueue(db, throttled, throttled_chefs)
        await enqueue(db, other, other_chefs)
        async with replicas(db, database_url) as senders:
            await connector.wait_until(
                lambda: sum(a["status"] == 200 for a in requests_of(connector, TENANT)) >= 15,
                within=60,
            )
            connector.throttle(pause, tenant=TENANT)  # Teams: Retry-After 2
            await all_sent(db, 120)
        if db.is_postgres:
            async with db.session() as s:
                budgets = {b.organisation_id: b for b in (await s.exec(select(SendBudget))).all()}
            # where the other replica saw it: the throttled tenant's pause, and only its
            assert budgets[throttled].paused_until is not None
            assert budgets[other].paused_until is None

    first_429 = min(a["at"] for a in requests_of(connector, TENANT) if a["status"] == 429)
    assert isinstance(first_429, float)
    during = [a for a in requests_of(connector, TENANT) if first_429 <= a["at"] < first_429 + pause]
    # while Teams said to wait, the tenant sent only what was booked before the 429 was known
    # (on each replica), all of it refused; nothing new knocked until the pause had passed
    assert len(during) <= len(senders) * BOOKED_AHEAD
    assert {a["status"] for a in during} == {429}
    # the other tenant went on meanwhile, and was never refused
    went_on = [
        a for a in requests_of(connector, OTHER_TENANT) if first_429 <= a["at"] < first_429 + pause
    ]
    assert len(went_on) >= RATE * pause / 3
    assert {a["status"] for a in requests_of(connector, OTHER_TENANT)} == {200}
    # the throttled tenant's messages all arrived afterwards, once each, within the limit
    per_chef = collections.Counter(a["_conversation"] for a in connector.activities)
    assert len(per_chef) == 120 and set(per_chef.values()) == {1}
    for tenant in (TENANT, OTHER_TENANT):
        assert connector.max_requests_in_window(tenant, 1.0) <= LIMIT


async def test_a_chefs_two_messages_go_a_second_apart_whichever_replica_sends_them(
    db: Database, database_url: str
) -> None:
    async with running_connector() as connector:
        org, chefs = await world(db, connector, 6)
        await enqueue(db, org, chefs, sequence=1)
        await enqueue(db, org, chefs, sequence=2)
        async with replicas(db, database_url):
            await all_sent(db, 12)

    for conversation in {a["_conversation"] for a in connector.activities}:
        times = sorted(a["_at"] for a in connector.delivered_to(str(conversation)))
        assert len(times) == 2
        # from the second claim: the first was sent (and saved) a second before
        assert times[1] - times[0] >= 0.95
