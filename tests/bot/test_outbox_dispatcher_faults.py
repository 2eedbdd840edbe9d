"""The dispatcher under database faults: no row stranded for the lease, no task dying unseen,
and no replica taking over the live claims of another whose connection blipped."""

from __future__ import annotations

import asyncio
import collections
import logging
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session as OrmSession

from bot.outbox_dispatcher import OutboxDispatcher, log_failure
from storage.database import Database
from storage.models import OutboxMessage
from storage.outbox_store import OutboxStore
from storage.types import utcnow
from tests.bot.outbox_world import conversation_of, dispatcher, enqueue, world
from tests.fakes.bot_connector import FakeBotConnector, running_connector
from tests.fakes.tcp_proxy import TcpProxy

LONG_LEASE = timedelta(hours=1)  # so nothing below is rescued by the lease


def marking_sent(sql: str, parameters: str) -> bool:
    return sql.startswith("UPDATE outbox_message SET state=") and "'sent'" in parameters


def queueing_for_later(sql: str, _parameters: str) -> bool:
    return sql.startswith("UPDATE outbox_message SET state=") and "not_before=" in sql


def reading_the_outbox(sql: str, _parameters: str) -> bool:
    """The dispatcher's own reads (recovery, claims), not the test's counts."""
    return sql.startswith("SELECT") and "FROM outbox_message" in sql and "count(" not in sql


def looking_up_conversations(sql: str, _parameters: str) -> bool:
    return sql.startswith("SELECT") and "FROM conversation_ref" in sql


class DatabaseAway(Exception):
    """What a statement the database never received raises here."""


@contextmanager
def failing_statements(
    db: Database, when: Callable[[str, str], bool], *, times: int = 1
) -> Iterator[list[str]]:
    """The next `times` statements for which `when(sql, parameters)` holds fail (a database
    fault, injected where the driver would see it)."""
    failed: list[str] = []

    def fail(_conn: Any, _cursor: Any, sql: str, parameters: Any, *_: Any) -> None:
        if len(failed) < times and when(sql, str(parameters)):
            failed.append(sql)
            raise DatabaseAway(sql)

    event.listen(db.engine.sync_engine, "before_cursor_execute", fail)
    try:
        yield failed
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", fail)


@asynccontextmanager
async def running(
    d: OutboxDispatcher, *, poll: float = 0.05, **options: Any
) -> AsyncIterator[None]:
    task = asyncio.create_task(d.run(poll=poll, **options))
    try:
        yield
    finally:
        d.stop()
        await asyncio.wait_for(task, 30)


async def settled(db: Database, count: int, *, within: float = 120) -> None:
    """Wait until `count` messages are sent (a time-out, not a timing assertion)."""
    store = OutboxStore(db)
    async with asyncio.timeout(within):
        while (await store.counts()).get("sent", 0) < count:  # noqa: ASYNC110 (a database)
            await asyncio.sleep(0.02)


def duplicates(connector: FakeBotConnector) -> int:
    per_chef = collections.Counter(a["_conversation"] for a in connector.activities)
    return sum(n - 1 for n in per_chef.values())


@pytest.fixture
async def connector() -> AsyncIterator[FakeBotConnector]:
    async with running_connector() as fake:
        yield fake


async def test_a_sent_message_whose_settle_failed_is_marked_sent_not_sent_again(
    db: Database, connector: FakeBotConnector, caplog: pytest.LogCaptureFixture
) -> None:
    org, chefs = await world(db, connector, 5)
    await enqueue(db, org, chefs)
    d = dispatcher(db, lease=LONG_LEASE)
    with failing_statements(db, marking_sent) as failed:
        async with running(d):
            await settled(db, 5)
    assert failed, "the fault was injected"
    assert "could not be settled" in caplog.text
    assert sorted(a["_conversation"] for a in connector.activities) == sorted(
        conversation_of(i) for i in range(5)
    )
    assert d.unsettled == 0


async def test_a_retry_whose_settle_failed_is_claimed_again_at_once(
    db: Database, connector: FakeBotConnector
) -> None:
    org, chefs = await world(db, connector, 3)
    await enqueue(db, org, chefs)
    connector.fail_next = [503]  # the first send fails: its row is to be queued again
    with failing_statements(db, queueing_for_later) as failed:
        async with running(dispatcher(db, lease=LONG_LEASE)):
            await settled(db, 3)
    assert failed
    assert sorted(a["_conversation"] for a in connector.activities) == sorted(
        conversation_of(i) for i in range(3)
    )


async def test_a_settle_that_keeps_failing_hands_the_message_back(
    db: Database, connector: FakeBotConnector, caplog: pytest.LogCaptureFixture
) -> None:
    """The database answers, but this one outcome never saves: the message goes back to the
    queue rather than holding a slot (and its row) for ever."""
    org, chefs = await world(db, connector, 2)
    await enqueue(db, org, chefs)
    connector.fail_next = [503]
    with failing_statements(db, queueing_for_later, times=4):
        async with running(dispatcher(db, lease=LONG_LEASE)):
            await settled(db, 2)
    assert "handed back" in caplog.text


async def test_a_failing_render_is_logged_and_the_dispatcher_keeps_going(
    db: Database, connector: FakeBotConnector, caplog: pytest.LogCaptureFixture
) -> None:
    org, chefs = await world(db, connector, 4)
    await enqueue(db, org, chefs)
    broken = {chefs[0]}

    async def render(message: OutboxMessage, _locale: str | None) -> dict[str, Any]:
        if message.chef_id in broken:
            broken.clear()  # fails once
            raise RuntimeError("a card could not be built")
        return message.payload

    async with running(dispatcher(db, lease=LONG_LEASE, render=render)):
        await settled(db, 4)
    assert "could not be sent" in caplog.text
    assert "a card could not be built" in caplog.text  # with its traceback
    assert duplicates(connector) == 0 and len(connector.activities) == 4


async def test_a_task_that_fails_is_logged_not_lost(caplog: pytest.LogCaptureFixture) -> None:
    async def boom() -> None:
        raise RuntimeError("lost in the background")

    task = asyncio.create_task(boom(), name="outbox-test")
    task.add_done_callback(log_failure)
    await asyncio.wait([task])
    await asyncio.sleep(0)  # done-callbacks run on the next turn of the loop
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1 and "outbox-test" in errors[0].getMessage()
    assert "lost in the background" in caplog.text


async def test_recovery_and_claims_that_fail_are_logged_and_the_loop_goes_on(
    db: Database, connector: FakeBotConnector, caplog: pytest.LogCaptureFixture
) -> None:
    org, chefs = await world(db, connector, 3)
    await enqueue(db, org, chefs)
    with failing_statements(db, reading_the_outbox, times=3):
        async with running(dispatcher(db, lease=LONG_LEASE)):
            await settled(db, 3)
    assert "failed" in caplog.text  # recovery or claiming, logged, and the loop went on
    assert duplicates(connector) == 0


async def test_a_claim_whose_answer_was_lost_is_queued_again_at_once(
    db: Database, connector: FakeBotConnector, caplog: pytest.LogCaptureFixture
) -> None:
    """The claim was committed, but the dispatcher never heard so (the connection went down
    on the way back): its rows are its own in the table, and nobody is sending them."""
    org, chefs = await world(db, connector, 4)
    await enqueue(db, org, chefs)
    claimed: list[str] = []

    def note_claim(_conn: Any, _cursor: Any, sql: str, *_: Any) -> None:
        if sql.startswith("UPDATE outbox_message SET state=") and "claimed_by=" in sql:
            claimed.append(sql)

    def lose_the_answer(_session: Any) -> None:
        if len(claimed) == 1:
            claimed.append("answer lost")
            raise DatabaseAway("the connection went down after the commit")

    event.listen(db.engine.sync_engine, "before_cursor_execute", note_claim)
    event.listen(OrmSession, "after_commit", lose_the_answer)
    try:
        async with running(dispatcher(db, lease=LONG_LEASE)):
            await settled(db, 4)
    finally:
        event.remove(OrmSession, "after_commit", lose_the_answer)
        event.remove(db.engine.sync_engine, "before_cursor_execute", note_claim)
    assert "answer lost" in claimed
    assert "queued again" in caplog.text
    assert duplicates(connector) == 0 and len(connector.activities) == 4


async def test_claimed_messages_whose_conversations_could_not_be_read_go_back_at_once(
    db: Database, connector: FakeBotConnector
) -> None:
    org, chefs = await world(db, connector, 4)
    await enqueue(db, org, chefs)
    with failing_statements(db, looking_up_conversations) as failed:
        async with running(dispatcher(db, lease=LONG_LEASE)):
            await settled(db, 4)
    assert failed
    assert duplicates(connector) == 0 and len(connector.activities) == 4


# --- two replicas on PostgreSQL, one of them behind a proxy that can cut it off ------------


@asynccontextmanager
async def behind_proxy(database_url: str) -> AsyncIterator[tuple[TcpProxy, Database]]:
    url = make_url(database_url)
    async with TcpProxy(url.host or "127.0.0.1", url.port or 5432) as proxy:
        cut_off = Database(url.set(host="127.0.0.1", port=proxy.port).render_as_string(False))
        try:
            yield proxy, cut_off
        finally:
            await cut_off.dispose()


async def test_a_blip_never_hands_a_live_replicas_claims_to_another(
    db: Database, database_url: str
) -> None:
    if not db.is_postgres:
        pytest.skip("replicas need PostgreSQL; SQLite runs one process")
    async with (
        running_connector(latency=0.3) as connector,
        behind_proxy(database_url) as (proxy, db_a),
    ):
        org, chefs = await world(db, connector, 24)
        await enqueue(db, org, chefs)
        a = dispatcher(db_a, lease=timedelta(minutes=2), concurrency=8)
        b = dispatcher(db, lease=timedelta(minutes=2), concurrency=8)
        store = OutboxStore(db)
        async with running(a):
            async with asyncio.timeout(60):
                while connector.in_flight < 4:  # noqa: ASYNC110 (a fake's counter, polled)
                    await asyncio.sleep(0.01)
            proxy.refuse()  # A's connections, its owner lock's too, are cut mid-send
            in_flight = (await store.counts())["sending"]
            assert await b.recover() == 0  # B sees the lock free, but A is not dead
            await connector.wait_for(4)  # A's sends arrive while it cannot settle them
            await asyncio.sleep(0.3)
            assert await b.recover() == 0
            proxy.restore()
            async with running(b, recover_every=0.1):
                await settled(db, 24)
        assert a.unsettled == 0
        assert await store.counts() == {"sent": 24}
        assert in_flight >= 4
        assert duplicates(connector) == 0  # nothing was in doubt: A settled what it sent
        assert len(connector.activities) == 24


async def test_the_claims_of_a_replica_gone_for_good_are_sent_by_another(
    db: Database, database_url: str
) -> None:
    if not db.is_postgres:
        pytest.skip("replicas need PostgreSQL; SQLite runs one process")
    clock = [0.0]
    async with (
        running_connector() as connector,
        behind_proxy(database_url) as (proxy, db_a),
    ):
        org, chefs = await world(db, connector, 6)
        await enqueue(db, org, chefs)
        a = OutboxStore(db_a, owner=4242)
        await a.hold_owner_lock()
        try:
            await a.claim_due(now=utcnow(), limit=4)
            proxy.refuse()  # ... and A never comes back
            b = dispatcher(db, monotonic=lambda: clock[0])
            assert await b.recover() == 0  # free, but maybe only for a moment
            clock[0] += 14.0
            assert await b.recover() == 0
            clock[0] += 1.0  # free for the whole grace (15 s): A is gone
            assert await b.recover() == 4
        finally:
            await a.release_owner_lock()
        await b.dispatch_once()
        assert len(connector.activities) == 6


@pytest.mark.chaos
async def test_a_three_second_cut_of_one_of_two_replicas_doubles_at_most_what_was_in_flight(
    db: Database, database_url: str
) -> None:
    """The issue's scenario: two replicas sending one round, the database cut off from one of
    them for 3 seconds mid-round while the other looks for orphans twice a second."""
    if not db.is_postgres:
        pytest.skip("replicas need PostgreSQL; SQLite runs one process")
    chefs_count, concurrency = 300, 8
    async with (
        running_connector(latency=0.05) as connector,
        behind_proxy(database_url) as (proxy, db_a),
    ):
        org, chefs = await world(db, connector, chefs_count)
        await enqueue(db, org, chefs)
        store = OutboxStore(db)
        a = dispatcher(db_a, rate=20, concurrency=concurrency, lease=timedelta(minutes=2))
        b = dispatcher(db, rate=20, concurrency=concurrency, lease=timedelta(minutes=2))
        started = asyncio.get_running_loop().time()
        async with running(a, poll=0.2), running(b, poll=0.2, recover_every=0.5):
            await connector.wait_for(chefs_count // 4, within=60)
            proxy.refuse()
            in_flight = (await store.counts()).get("sending", 0)
            cut_at = asyncio.get_running_loop().time() - started
            await asyncio.sleep(3.0)
            proxy.restore()
            await settled(db, chefs_count, within=120)
            drained = asyncio.get_running_loop().time() - started
            await asyncio.sleep(1.0)  # anything sent twice would arrive now
    per_chef = collections.Counter(a["_conversation"] for a in connector.activities)
    doubled = sum(n - 1 for n in per_chef.values())
    print(
        f"3-second cut of one of two replicas: {len(per_chef)} of {chefs_count} delivered, "
        f"{in_flight} in flight at the cut (at {cut_at:.1f} s), {doubled} duplicate(s), "
        f"drained in {drained:.1f} s"
    )
    assert len(per_chef) == chefs_count
    assert doubled <= in_flight <= 2 * concurrency
    assert await store.counts() == {"sent": chefs_count}
