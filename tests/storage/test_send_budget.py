"""The send budget's rules, and the budgets two replicas share (one process's on SQLite)."""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlmodel import select

from followup.policy import Policy
from storage.database import Database
from storage.models import Organisation, SendBudget
from storage.organisation_store import OrganisationStore
from storage.outbox_store import OutboxStore
from storage.send_budget import HORIZON, Budget, DatabaseBudgets, MemoryBudgets, SendBudgets
from storage.types import utcnow
from tests.conftest import PATIENT

RATE = 18.0


def test_slots_are_spaced_by_the_rate_and_booked_only_up_to_the_horizon() -> None:
    budget = Budget(RATE)
    delays = []
    while budget.open(100.0):
        delays.append(budget.take(100.0))
    assert delays[0] == 0.0
    assert all(math.isclose(b - a, 1 / RATE) for a, b in itertools.pairwise(delays))
    assert len(delays) == math.floor(HORIZON * RATE) + 1
    # in any second at most rate + 1 slots, however often it is asked
    assert not budget.open(100.0)
    assert budget.open(100.0 + 1 / RATE)


def test_a_quiet_spell_gives_no_burst_and_a_pause_is_never_shortened() -> None:
    budget = Budget(RATE)
    budget.take(0.0)
    assert budget.take(50.0) == 0.0  # now, not the 50 seconds not used
    assert math.isclose(budget.take(50.0), 1 / RATE)
    budget.pause(60.0, 30.0)
    budget.pause(61.0, 2.0)
    assert budget.paused_until == 90.0
    assert not budget.open(89.9)
    assert budget.open(90.0) and budget.take(90.0) == 0.0


@asynccontextmanager
async def two_replicas(db: Database, url: str) -> AsyncIterator[tuple[SendBudgets, SendBudgets]]:
    """The budgets as two replicas see them (PostgreSQL), or the one process's (SQLite)."""
    if not db.is_postgres:
        shared = MemoryBudgets(RATE)
        yield shared, shared
        return
    other = Database(url, timeouts=PATIENT)
    try:
        yield DatabaseBudgets(db, RATE, owner=1), DatabaseBudgets(other, RATE, owner=2)
    finally:
        await other.dispose()


async def organisations(db: Database, count: int) -> list[int]:
    store = OrganisationStore(db)
    ids = []
    for i in range(count):
        org = await store.create(tenant_id=f"tenant-{i}", name=f"Kommun {i}", default_k=Policy().k)
        assert org.id is not None
        ids.append(org.id)
    return ids


async def book(db: Database, budgets: SendBudgets, orgs: list[int]) -> list[float | None]:
    async with db.session() as session, session.begin():
        return await budgets.book(session, orgs, limit=len(orgs))


async def test_two_replicas_book_one_tenants_slots_from_one_budget(
    db: Database, database_url: str
) -> None:
    org, other = await organisations(db, 2)
    async with two_replicas(db, database_url) as (a, b):
        started = time.monotonic()
        first = await book(db, a, [org] * 20)
        second = await book(db, b, [org] * 20)
        elapsed = time.monotonic() - started
        assert await book(db, b, [other]) == [0.0]  # another tenant's budget is its own
    ahead = math.floor(HORIZON * RATE) + 1
    assert len([d for d in first if d is not None]) == ahead
    booked = [d for d in first + second if d is not None]
    # the second replica books from the same budget: only the slots that time has freed since,
    # never a full share of its own
    assert len(booked) <= ahead + math.ceil(elapsed * RATE)
    assert all(d <= HORIZON for d in booked)


async def test_a_pause_on_one_replica_stops_the_tenant_on_the_other_and_only_it(
    db: Database, database_url: str
) -> None:
    org, other = await organisations(db, 2)
    async with two_replicas(db, database_url) as (a, b):
        await a.pause(org, 30.0)
        assert a.paused_for(org) > 29.0  # the replica that heard it knows at once
        async with db.session() as session:
            assert await b.closed(session) >= {org}
        assert await book(db, b, [org, org, other]) == [None, None, 0.0]


async def test_an_organisations_own_rate_counts(db: Database, database_url: str) -> None:
    (org,) = await organisations(db, 1)
    async with db.session() as session, session.begin():
        await session.exec(update(Organisation).values(send_rate=4.0))  # type: ignore[call-overload]
    async with two_replicas(db, database_url) as (a, _):
        delays = [d for d in await book(db, a, [org] * 10) if d is not None]
    assert len(delays) == math.floor(HORIZON * 4.0) + 1 == 2
    assert math.isclose(delays[1] - delays[0], 0.25)


async def claim(db: Database, budgets: SendBudgets, orgs: list[int]) -> list[float | None]:
    """What a claim does: see who is closed, then book (one transaction)."""
    async with db.session() as session, session.begin():
        await budgets.closed(session)
        return await budgets.book(session, orgs, limit=len(orgs))


async def senders_of(db: Database) -> dict[int, int | None]:
    async with db.session() as session:
        return {b.organisation_id: b.sender for b in (await session.exec(select(SendBudget)))}


@asynccontextmanager
async def alive(db: Database, *owners: int) -> AsyncIterator[list[OutboxStore]]:
    """Replicas alive: each holds its outbox owner lock (as a running dispatcher does)."""
    stores = [OutboxStore(db, owner=owner) for owner in owners]
    try:
        for store in stores:
            await store.hold_owner_lock()
        yield stores
    finally:
        for store in stores:
            await store.release_owner_lock()


async def test_one_replica_sends_for_a_tenant_while_it_lives_and_holds_it(
    db: Database, database_url: str
) -> None:
    if not db.is_postgres:
        pytest.skip("on SQLite one process sends for every tenant")
    (org,) = await organisations(db, 1)
    async with two_replicas(db, database_url) as (a, b):
        async with alive(db, 1, 2):
            assert all(d is not None for d in await claim(db, a, [org]))
            # a's tenant: b leaves it alone, and does not even look at its messages
            assert await claim(db, b, [org]) == [None]
            async with db.session() as session:
                assert org in await b.closed(session)
            # a stopped booking it (it ran out of messages) and its hold lapsed
            async with db.session() as session, session.begin():
                await session.exec(
                    update(SendBudget).values(sender_until=utcnow() - timedelta(seconds=1))  # type: ignore[call-overload]
                )
            assert all(d is not None for d in await claim(db, b, [org]))
            assert (await senders_of(db))[org] == b.owner
            assert await claim(db, a, [org]) == [None]
        # b dies (its owner lock goes with its connection): its hold is none at once, though
        # its time has not run out
        async with alive(db, 1):
            assert all(d is not None for d in await claim(db, a, [org]))
            assert (await senders_of(db))[org] == a.owner


async def test_replicas_share_the_tenants_out_and_let_go_of_those_above_their_share(
    db: Database, database_url: str
) -> None:
    if not db.is_postgres:
        pytest.skip("on SQLite one process sends for every tenant")
    orgs = await organisations(db, 4)
    async with two_replicas(db, database_url) as (a, b), alive(db, 1):
        # alone, a sends for all four
        assert all(d is not None for d in await claim(db, a, orgs))
        assert set((await senders_of(db)).values()) == {a.owner}
        async with alive(db, 2):
            # b comes: nothing is free for it yet
            assert await claim(db, b, orgs) == [None] * 4
            # a's next claim keeps its share (the lowest ids) and lets go of the rest
            kept = await claim(db, a, orgs)
            assert [d is not None for d in kept] == [True, True, False, False]
            # which b takes
            taken = await claim(db, b, orgs)
            assert [d is not None for d in taken] == [False, False, True, True]
            assert await senders_of(db) == dict(
                zip(orgs, [a.owner] * 2 + [b.owner] * 2, strict=True)
            )


def test_no_more_starts_in_a_second_than_the_rate_however_late_the_sends_woke() -> None:
    budgets = MemoryBudgets(RATE)
    gap = 0.5 / RATE  # after a stall they catch up, at twice the rate at most
    # sends that woke late together start one by one, half a slot apart
    assert budgets.admit(1, 10.0) == 0.0
    assert math.isclose(budgets.admit(1, 10.0), gap)
    assert budgets.admit(2, 10.0) == 0.0  # another tenant counts its own
    now = 10.0
    for _ in range(17):
        now += gap + 1e-9
        assert budgets.admit(1, now) == 0.0
    # eighteen started within half a second: the nineteenth waits until the first is a second old
    assert math.isclose(budgets.admit(1, 10.5), 0.5)
    assert budgets.admit(1, 11.0) == 0.0


async def test_no_more_is_claimed_for_a_tenant_whose_sends_here_are_behind(
    db: Database, database_url: str
) -> None:
    org, other = await organisations(db, 2)
    behind = math.ceil(2 * HORIZON * RATE)
    async with two_replicas(db, database_url) as (a, _):
        a.waits(org, behind - 1)
        async with db.session() as session:
            assert org not in await a.closed(session)
        a.waits(org)  # sends that woke late, or Teams slow to answer: they pile up here
        async with db.session() as session:
            assert await a.closed(session) >= {org}
            assert other not in await a.closed(session)
        a.waits(org, -1)  # one went
        async with db.session() as session:
            assert org not in await a.closed(session)
