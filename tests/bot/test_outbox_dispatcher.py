"""The outbox dispatcher against a fake Bot Connector with Teams' limits and refusals."""

from __future__ import annotations

import asyncio
import collections
import itertools
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlmodel import select

from storage.database import Database
from storage.models import Chef, OutboxMessage
from storage.outbox_store import OutboxStore
from storage.types import utcnow
from tests.bot.outbox_world import conversation_of, dispatcher, drain, enqueue, world
from tests.fakes.bot_connector import FakeBotConnector, running_connector


@pytest.fixture
async def connector() -> AsyncIterator[FakeBotConnector]:
    async with running_connector() as fake:
        yield fake


def per_conversation(connector: FakeBotConnector) -> collections.Counter[str]:
    return collections.Counter(a["_conversation"] for a in connector.activities)


async def test_every_message_is_delivered_once_within_the_rate(
    db: Database, connector: FakeBotConnector
) -> None:
    connector.tenant_rate = 20
    org, chefs = await world(db, connector, 40)
    assert await enqueue(db, org, chefs) == 40
    assert await enqueue(db, org, chefs) == 0  # the same messages are never queued twice

    await drain(dispatcher(db, rate=18), db)

    assert per_conversation(connector) == {conversation_of(i): 1 for i in range(40)}
    assert connector.statuses()[429] == 0
    assert connector.max_in_window(1.0) <= 20
    async with db.session() as s:
        rows = (await s.exec(select(OutboxMessage))).all()
    assert {r.state for r in rows} == {"sent"}
    assert all(r.sent_activity_id for r in rows)  # kept, to update cards later


async def test_429_with_retry_after_pauses_every_sender_then_all_arrive_once(
    db: Database, connector: FakeBotConnector
) -> None:
    connector.conversation_limits = []
    org, chefs = await world(db, connector, 20)
    await enqueue(db, org, chefs)
    connector.throttle(2.0)  # the tenant is throttled: the first call gets Retry-After: 2

    await drain(dispatcher(db, rate=40), db)

    first_429 = min(a["at"] for a in connector.attempts if a["status"] == 429)
    quiet = [a for a in connector.attempts if first_429 + 0.3 < a["at"] < first_429 + 1.9]
    assert quiet == []  # nobody knocked while Teams said to wait
    assert connector.statuses()[429] <= 8  # only what was already in flight
    assert min(a["_at"] for a in connector.activities) >= first_429 + 1.9
    assert per_conversation(connector) == {conversation_of(i): 1 for i in range(20)}


async def test_a_blocked_chef_is_unreachable_after_one_attempt_and_others_get_theirs(
    db: Database, connector: FakeBotConnector
) -> None:
    org, chefs = await world(db, connector, 6)
    connector.blocked[conversation_of(2)] = "ConversationBlockedByUser"
    connector.blocked[conversation_of(4)] = "ConversationNotFound"
    await enqueue(db, org, chefs)

    await drain(dispatcher(db), db)

    tries = collections.Counter(a["conversation"] for a in connector.attempts)
    assert tries[conversation_of(2)] == 1 and tries[conversation_of(4)] == 1
    assert set(per_conversation(connector)) == {conversation_of(i) for i in (0, 1, 3, 5)}
    async with db.session() as s:
        blocked = await s.get(Chef, chefs[2])
        gone = await s.get(Chef, chefs[4])
        fine = await s.get(Chef, chefs[0])
        states = collections.Counter(m.state for m in (await s.exec(select(OutboxMessage))).all())
    assert blocked is not None and blocked.unreachable_code == "ConversationBlockedByUser"
    assert gone is not None and gone.unreachable_code == "ConversationNotFound"
    assert fine is not None and fine.unreachable_code is None
    assert states == {"sent": 4, "unreachable": 2}
    assert (await OutboxStore(db).counts())["unreachable"] == 2  # what HR is told


async def test_transient_errors_are_retried_with_backoff(
    db: Database, connector: FakeBotConnector
) -> None:
    org, chefs = await world(db, connector, 1)
    connector.fail_next = [503, 502, 412]
    await enqueue(db, org, chefs)

    await drain(dispatcher(db), db)

    assert [a["status"] for a in connector.attempts if a["method"] == "POST"] == [
        503,
        502,
        412,
        200,
    ]
    async with db.session() as s:
        [message] = (await s.exec(select(OutboxMessage))).all()
    assert (message.state, message.attempts) == ("sent", 4)


async def test_a_refusal_not_worth_another_try_fails_at_once_with_the_reason_kept(
    db: Database, connector: FakeBotConnector
) -> None:
    # transient refusals are tried for hours instead: tests/bot/test_outbox_retry.py
    org, chefs = await world(db, connector, 1)
    connector.fail_next = [400]
    await enqueue(db, org, chefs)
    await drain(dispatcher(db), db)

    async with db.session() as s:
        [message] = (await s.exec(select(OutboxMessage))).all()
    assert (message.state, message.error_code, message.attempts) == ("failed", "BadArgument", 1)
    assert message.error_detail == "HTTP 400 BadArgument"
    assert connector.activities == []


async def test_messages_left_sending_by_a_dead_process_are_sent_after_recovery(
    db: Database, connector: FakeBotConnector
) -> None:
    org, chefs = await world(db, connector, 5)
    await enqueue(db, org, chefs)
    store = OutboxStore(db)
    claimed = await store.claim_due(now=utcnow() - timedelta(minutes=10), limit=3)
    assert len(claimed) == 0  # nothing is due before it was queued
    claimed = await store.claim_due(now=utcnow(), limit=3)
    assert len(claimed) == 3  # ...and then the process died

    d = dispatcher(db, lease=timedelta(seconds=0))
    assert await d.recover() == 3
    await drain(d, db)
    assert per_conversation(connector) == {conversation_of(i): 1 for i in range(5)}


async def test_one_message_a_second_per_conversation(
    db: Database, connector: FakeBotConnector
) -> None:
    org, chefs = await world(db, connector, 1)
    for sequence in (1, 2, 3):
        await enqueue(db, org, chefs, sequence=sequence)

    await drain(dispatcher(db), db)

    times = sorted(a["_at"] for a in connector.activities)
    assert len(times) == 3
    assert all(b - a >= 0.95 for a, b in itertools.pairwise(times))


async def test_a_chef_without_a_conversation_gets_a_new_one_or_is_unreachable(
    db: Database, connector: FakeBotConnector
) -> None:
    from storage.conversation_store import ConversationStore
    from storage.models import ConversationRef

    org, _ = await world(db, connector, 1)  # one chef gives the tenant its serviceUrl
    async with db.session() as s, s.begin():
        known = Chef(
            organisation_id=org,
            upn="ny@kommun.example",
            email="ny@kommun.example",
            name="Ny Chef",
            aad_object_id="aad-new",
        )
        unknown = Chef(
            organisation_id=org,
            upn="okand@kommun.example",
            email="okand@kommun.example",
            name="Okänd Chef",
        )
        s.add_all([known, unknown])
    assert known.id is not None and unknown.id is not None
    await enqueue(db, org, [known.id, unknown.id])

    await drain(dispatcher(db), db)

    assert len(connector.created) == 1
    assert len(connector.activities) == 1
    ref = await ConversationStore(db).for_chef(known.id)
    assert ref is not None and ref.conversation_id == connector.activities[0]["_conversation"]
    async with db.session() as s:
        messages = {m.chef_id: m for m in (await s.exec(select(OutboxMessage))).all()}
        assert (await s.exec(select(ConversationRef))).all()
    assert messages[known.id].state == "sent"
    assert (messages[unknown.id].state, messages[unknown.id].error_code) == (
        "unreachable",
        "NoConversationReference",
    )


async def test_a_shutdown_during_a_fan_out_hands_back_what_waits_and_loses_nothing(
    db: Database, connector: FakeBotConnector
) -> None:
    connector.conversation_limits = []
    org, chefs = await world(db, connector, 30)
    await enqueue(db, org, chefs)
    first = dispatcher(db, rate=20, concurrency=8)
    running = asyncio.create_task(first.run(poll=0.05))
    await connector.wait_for(5)
    # Teams says to wait three seconds: the sends under way now wait for their slot or go
    # back to the queue, none waits in a query
    connector.throttle(3)
    await connector.wait_until(lambda: connector.statuses()[429] > 0)

    await first.shut_down(running, grace=0.2)  # SIGTERM: far less than the pause

    async with db.session() as s:
        rows = (await s.exec(select(OutboxMessage))).all()
    states = collections.Counter(r.state for r in rows)
    assert states["sending"] == 0  # nothing left for the lease
    assert states["sent"] == len(connector.activities)
    assert states["sent"] + states["queued"] == 30
    # handed back, not failed: no attempt counted for a send that never left
    assert all(r.attempts == 0 for r in rows if r.state == "queued" and r.error_code is None)

    # the next start sends the rest once each, after Teams' pause (kept by the tenant's
    # budget on PostgreSQL, where the next start may be another replica)
    connector.throttled_until = None
    later = dispatcher(db, rate=40, clock=lambda: utcnow() + timedelta(minutes=2))
    await drain(later, db)
    assert per_conversation(connector) == {conversation_of(i): 1 for i in range(30)}
