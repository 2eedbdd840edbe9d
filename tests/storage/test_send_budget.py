"""The send budget's rules, and the budgets two replicas share (one process's on SQLite)."""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import update

from followup.policy import Policy
from storage.database import Database
from storage.models import Organisation
from storage.organisation_store import OrganisationStore
from storage.send_budget import HORIZON, Budget, DatabaseBudgets, MemoryBudgets, SendBudgets
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
        yield DatabaseBudgets(db, RATE), DatabaseBudgets(other, RATE)
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
