"""The outbox table: never enqueued twice, claims, and orphans of dead dispatchers."""

from __future__ import annotations

from datetime import timedelta

import pytest

from followup.policy import Policy
from storage.database import Database
from storage.models import Organisation
from storage.outbox_store import NewMessage, OutboxStore, new_owner_id
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
