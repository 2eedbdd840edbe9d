"""The outbox table: never enqueued twice, claims, and orphans of dead dispatchers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text

from followup.policy import Policy
from storage.database import Database
from storage.models import Organisation
from storage.outbox_store import OWNER_LOCK_SPACE, NewMessage, OutboxStore, new_owner_id
from storage.types import utcnow


async def _organisation(db: Database) -> int:
    async with db.session() as s, s.begin():
        org = Organisation(tenant_id="t", name="Kommunen", default_k=Policy().k)
        s.add(org)
    assert org.id is not None
    return org.id


def _messages(org: int, count: int, *, prefix: str = "round:1") -> list[NewMessage]:
    return [
        NewMessage(
            organisation_id=org,
            dedupe_key=f"{prefix}:chef:{i}:invitation:1",
            kind="invitation",
            payload={"type": "message", "text": "Hej"},
        )
        for i in range(count)
    ]


async def test_the_same_message_is_never_enqueued_twice(db: Database) -> None:
    store = OutboxStore(db)
    org = await _organisation(db)
    assert await store.enqueue(_messages(org, 3), now=utcnow()) == 3
    assert await store.enqueue(_messages(org, 5), now=utcnow()) == 2
    assert await store.counts() == {"queued": 5}


async def test_claims_take_due_messages_once(db: Database) -> None:
    org = await _organisation(db)
    now = utcnow()
    first, second = OutboxStore(db, owner=1), OutboxStore(db, owner=2)
    await first.enqueue(_messages(org, 4), now=now)
    await first.enqueue(
        [
            NewMessage(
                organisation_id=org,
                dedupe_key="later",
                kind="reminder",
                payload={},
                not_before=now + timedelta(hours=1),
            )
        ],
        now=now,
    )
    a = await first.claim_due(now=now, limit=3)
    b = await second.claim_due(now=now, limit=3)
    assert len(a) == 3 and len(b) == 1
    assert {m.claimed_by for m in a} == {1} and {m.claimed_by for m in b} == {2}
    assert await second.claim_due(now=now, limit=3) == []
    assert (await first.next_due()) == now + timedelta(hours=1)


async def test_orphans_of_a_dead_dispatcher_are_queued_again(db: Database) -> None:
    org = await _organisation(db)
    dead = OutboxStore(db, owner=new_owner_id())
    await dead.enqueue(_messages(org, 3), now=utcnow())
    await dead.claim_due(now=utcnow(), limit=3)
    survivor = OutboxStore(db, owner=new_owner_id())
    assert await survivor.requeue_orphans() == 3
    assert await survivor.counts() == {"queued": 3}


async def test_claims_of_a_live_replica_are_left_alone_on_postgres(db: Database) -> None:
    if not db.is_postgres:
        pytest.skip("several replicas need PostgreSQL; SQLite runs one process")
    org = await _organisation(db)
    alive = OutboxStore(db, owner=new_owner_id())
    await alive.hold_owner_lock()
    try:
        await alive.enqueue(_messages(org, 2), now=utcnow())
        await alive.claim_due(now=utcnow(), limit=2)
        other = OutboxStore(db, owner=new_owner_id())
        assert await other.requeue_orphans() == 0  # its owner still lives
    finally:
        await alive.release_owner_lock()  # ...and now it is gone
    assert await other.requeue_orphans() == 2


async def test_a_lost_owner_lock_is_noticed_and_taken_again(db: Database) -> None:
    if not db.is_postgres:
        pytest.skip("owner locks are PostgreSQL's")
    org = await _organisation(db)
    alive = OutboxStore(db, owner=new_owner_id())
    await alive.hold_owner_lock()
    try:
        await alive.enqueue(_messages(org, 2), now=utcnow())
        await alive.claim_due(now=utcnow(), limit=2)
        async with db.engine.connect() as admin:  # the lock's session ends, as in a network cut
            await admin.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_locks"
                    " WHERE locktype = 'advisory' AND classid = :space AND objid = :owner"
                ),
                {"space": OWNER_LOCK_SPACE, "owner": alive.owner},
            )
        assert await alive.verify_owner_lock()  # it noticed, and holds the lock again
        other = OutboxStore(db, owner=new_owner_id())
        assert await other.requeue_orphans() == 0
    finally:
        await alive.release_owner_lock()


async def test_claims_are_orphans_only_once_their_owners_lock_stayed_free(db: Database) -> None:
    if not db.is_postgres:
        pytest.skip("owner locks are PostgreSQL's")
    org = await _organisation(db)
    clock = [100.0]
    gone = OutboxStore(db, owner=new_owner_id())
    await gone.enqueue(_messages(org, 3), now=utcnow())
    await gone.claim_due(now=utcnow(), limit=3)  # and it holds no lock: it is gone, or blipped
    survivor = OutboxStore(db, owner=new_owner_id(), grace=15, monotonic=lambda: clock[0])
    assert await survivor.requeue_orphans() == 0
    assert survivor.suspects == 1
    clock[0] += 14.9
    assert await survivor.requeue_orphans() == 0
    clock[0] += 0.1
    assert await survivor.requeue_orphans() == 3
    assert survivor.suspects == 0


async def test_a_settle_leaves_another_dispatchers_outcome_alone(db: Database) -> None:
    """A claim taken over (its owner looked gone) and sent by another dispatcher: the first
    owner's late "try again later" must not queue it once more."""
    org = await _organisation(db)
    slow, other = OutboxStore(db, owner=1), OutboxStore(db, owner=2)
    await slow.enqueue(_messages(org, 1), now=utcnow())
    [message] = await slow.claim_due(now=utcnow(), limit=1)
    assert message.id is not None
    assert await other.requeue_stale() == 1
    [again] = await other.claim_due(now=utcnow(), limit=1)
    await other.mark_sent(message_id=again.id or 0, activity_id="a1", attempts=1, now=utcnow())
    await slow.retry_later(message_id=message.id, not_before=utcnow(), attempts=1, code="x")
    assert await slow.hand_back(message_id=message.id) is False
    assert await slow.counts() == {"sent": 1}
    # ...while a late "it was sent" always counts: it reached the chef
    await slow.enqueue(_messages(org, 1, prefix="round:2"), now=utcnow())
    [second] = await slow.claim_due(now=utcnow(), limit=1)
    await other.requeue_stale()
    await slow.mark_sent(message_id=second.id or 0, activity_id="a2", attempts=1, now=utcnow())
    assert await other.claim_due(now=utcnow(), limit=1) == []
    assert await slow.counts() == {"sent": 2}
