"""Every tenant's send budget: how fast the outbox may send to one Teams tenant, across replicas.

Teams takes about 50 requests a second per app and tenant. Each organisation (one tenant) has a
budget: when its next message may go (`next_at`) and until when Teams said to wait
(`paused_until`). A claim gives each message a slot, 1/rate after the slot before it, whichever
replica claims: the sends of all replicas together are spaced 1/rate apart, so at most rate + 1
start in any second. A claim books at most `HORIZON` ahead; a tenant whose next slot is later is
left for now, so one tenant's queue never holds every sender while another's waits. A 429
pauses its tenant alone, for every replica.

On PostgreSQL the budget is a `send_budget` row per organisation, locked and moved on in the
claim's transaction, on the database's clock (a replica's own clock never counts); on SQLite
(one process) it lives in memory, on the process's monotonic clock. The rules are `Budget`'s,
the same for both."""

from __future__ import annotations

import math
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.database import Database
from storage.models import Organisation, SendBudget

# how far ahead (seconds) a claim may book a tenant's slots: long enough that a replica keeps a
# few messages ready, short enough that a pause reaches the sends booked before it at once
HORIZON = 0.25


@dataclass
class Budget:
    """The rules of one tenant's budget, on a clock of seconds."""

    rate: float
    next_at: float = -math.inf
    paused_until: float = -math.inf

    def open(self, now: float) -> bool:
        """Whether a slot may be booked now: not paused, and the next slot within the horizon."""
        return self.paused_until <= now and self.next_at <= now + HORIZON

    def take(self, now: float) -> float:
        """Book the next slot; how many seconds from `now` it is. After a quiet spell the slot
        is now: time not used is not made up with a burst."""
        slot = max(now, self.next_at, self.paused_until)
        self.next_at = slot + 1.0 / self.rate
        return slot - now

    def pause(self, now: float, seconds: float) -> None:
        """Teams said to wait `seconds` (never shortens a pause already longer)."""
        self.paused_until = max(self.paused_until, now + seconds)


class SendBudgets(ABC):
    """The budgets of every tenant; `default_rate` for an organisation without its own."""

    def __init__(self, default_rate: float) -> None:
        if default_rate <= 0:
            raise ValueError("the send rate must be above zero")
        self.default_rate = default_rate
        # the pauses this process set, on its monotonic clock: the sends it booked before a
        # 429 look here before they go (other replicas learn it at their next claim)
        self._paused: dict[int, float] = {}
        # this process's own spacing of each tenant's sends, on its monotonic clock (`pace`)
        self._local: dict[int, Budget] = {}

    def rate_of(self, own: float | None) -> float:
        return own if own is not None and own > 0 else self.default_rate

    async def closed(self, session: AsyncSession) -> set[int]:
        """The organisations that may not book a slot now (paused, or booked up to the horizon)."""
        now, budgets = await self._load_busy(session)
        return {organisation for organisation, budget in budgets.items() if not budget.open(now)}

    async def book(
        self, session: AsyncSession, organisations: Sequence[int], *, limit: int
    ) -> list[float | None]:
        """Book a slot for each message (given by its organisation, in the claim's order), at
        most `limit` in all: the seconds until each slot, or None for a message that must wait
        for a later claim. In the claim's transaction: the slots hold only if it commits."""
        now, budgets = await self._load(session, sorted(set(organisations)))
        delays: list[float | None] = []
        booked = 0
        for organisation in organisations:
            budget = budgets.get(organisation)
            if budget is None or booked >= limit or not budget.open(now):
                delays.append(None)
                continue
            delays.append(budget.take(now))
            booked += 1
            local = self._local.setdefault(organisation, Budget(budget.rate))
            local.rate = budget.rate
        await self._save(session, budgets)
        return delays

    async def pause(self, organisation_id: int, seconds: float) -> None:
        """Teams answered 429 for the organisation: nobody sends to it for `seconds`."""
        until = time.monotonic() + seconds
        self._paused[organisation_id] = max(self._paused.get(organisation_id, until), until)
        await self._pause(organisation_id, seconds)

    def pace(self, organisation_id: int, slot: float) -> float:
        """When (this process's monotonic clock) a send booked for `slot` goes: at its slot,
        and never less than 1/rate after this process's previous send to the tenant, so sends
        that wake late together (a busy event loop) do not reach Teams together."""
        local = self._local.setdefault(organisation_id, Budget(self.default_rate))
        start = max(slot, time.monotonic())
        return start + local.take(start)

    def paused_for(self, organisation_id: int) -> float:
        """How many seconds more the organisation is paused, as far as this process knows."""
        return max(self._paused.get(organisation_id, 0.0) - time.monotonic(), 0.0)

    @abstractmethod
    async def _pause(self, organisation_id: int, seconds: float) -> None:
        """Keep the pause where every sender sees it."""

    @abstractmethod
    async def _load_busy(self, session: AsyncSession) -> tuple[float, dict[int, Budget]]:
        """The clock's now, and at least every budget with a pause or a slot still ahead."""

    @abstractmethod
    async def _load(
        self, session: AsyncSession, organisations: list[int]
    ) -> tuple[float, dict[int, Budget]]:
        """The clock's now, and the budgets of these organisations that this claim may book
        (locked until it commits; one another replica is booking right now is left out)."""

    @abstractmethod
    async def _save(self, session: AsyncSession, budgets: dict[int, Budget]) -> None:
        """Keep what `_load` gave, as booked."""


def _seconds(moment: datetime | None) -> float:
    return -math.inf if moment is None else moment.timestamp()


def _moment(seconds: float) -> datetime | None:
    return None if math.isinf(seconds) else datetime.fromtimestamp(seconds, UTC)


class DatabaseBudgets(SendBudgets):
    """The budgets as `send_budget` rows in PostgreSQL, shared by every replica."""

    def __init__(self, db: Database, default_rate: float) -> None:
        super().__init__(default_rate)
        self._db = db

    async def _load_busy(self, session: AsyncSession) -> tuple[float, dict[int, Budget]]:
        now = func.clock_timestamp()
        rows = (
            await session.exec(
                select(SendBudget, now).where(
                    or_(col(SendBudget.paused_until) > now, col(SendBudget.next_at) > now)
                )
            )
        ).all()
        if not rows:
            return 0.0, {}
        # the rate plays no part in whether a budget is open
        return rows[0][1].timestamp(), {
            row.organisation_id: Budget(
                rate=self.default_rate,
                next_at=_seconds(row.next_at),
                paused_until=_seconds(row.paused_until),
            )
            for row, _ in rows
        }

    async def _load(
        self, session: AsyncSession, organisations: list[int]
    ) -> tuple[float, dict[int, Budget]]:
        return await self._locked(session, organisations, skip_locked=True)

    async def _locked(
        self, session: AsyncSession, organisations: Iterable[int], *, skip_locked: bool
    ) -> tuple[float, dict[int, Budget]]:
        wanted = list(organisations)
        if not wanted:
            return 0.0, {}
        # a tenant's row is made the first time it is needed (no lock is taken on one there)
        await session.exec(
            pg_insert(SendBudget)
            .values([{"organisation_id": o} for o in wanted])
            .on_conflict_do_nothing(index_elements=["organisation_id"])
        )
        rows = (
            await session.exec(
                select(SendBudget, Organisation.send_rate, func.clock_timestamp())
                .join(Organisation, col(Organisation.id) == col(SendBudget.organisation_id))
                .where(col(SendBudget.organisation_id).in_(wanted))
                .order_by(col(SendBudget.organisation_id))
                .with_for_update(of=SendBudget, skip_locked=skip_locked)
            )
        ).all()
        if not rows:
            return 0.0, {}
        return rows[0][2].timestamp(), {
            row.organisation_id: Budget(
                rate=self.rate_of(rate),
                next_at=_seconds(row.next_at),
                paused_until=_seconds(row.paused_until),
            )
            for row, rate, _ in rows
        }

    async def _save(self, session: AsyncSession, budgets: dict[int, Budget]) -> None:
        for organisation, budget in budgets.items():
            # the row `_locked` loaded, from the session's identity map (no query)
            row = await session.get(SendBudget, organisation)
            assert row is not None
            row.next_at = _moment(budget.next_at)
            row.paused_until = _moment(budget.paused_until)
            session.add(row)

    async def _pause(self, organisation_id: int, seconds: float) -> None:
        async with self._db.session() as session, session.begin():
            # waits for a claim booking the tenant right now: the pause must not be lost
            now, budgets = await self._locked(session, [organisation_id], skip_locked=False)
            budgets[organisation_id].pause(now, seconds)
            await self._save(session, budgets)


class MemoryBudgets(SendBudgets):
    """The budgets in this process's memory (SQLite: one process sends)."""

    def __init__(
        self,
        default_rate: float,
        *,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(default_rate)
        self._monotonic = monotonic
        self._budgets: dict[int, Budget] = {}

    def _budget(self, organisation_id: int) -> Budget:
        return self._budgets.setdefault(organisation_id, Budget(self.default_rate))

    async def _load_busy(self, session: AsyncSession) -> tuple[float, dict[int, Budget]]:
        return self._monotonic(), dict(self._budgets)

    async def _load(
        self, session: AsyncSession, organisations: list[int]
    ) -> tuple[float, dict[int, Budget]]:
        # the rate is read each time: a change (`ledarpuls org rate`) counts at once
        rates = dict(
            (
                await session.exec(
                    select(Organisation.id, Organisation.send_rate).where(
                        col(Organisation.id).in_(organisations)
                    )
                )
            ).all()
        )
        budgets = {}
        for organisation in organisations:
            budget = budgets[organisation] = self._budget(organisation)
            budget.rate = self.rate_of(rates.get(organisation))
        return self._monotonic(), budgets

    async def _save(self, session: AsyncSession, budgets: dict[int, Budget]) -> None:
        """The budgets in memory are the ones booked (a claim that fails after booking only
        leaves slots unused: never too many sent)."""

    async def _pause(self, organisation_id: int, seconds: float) -> None:
        self._budget(organisation_id).pause(self._monotonic(), seconds)


def send_budgets(
    db: Database, default_rate: float, *, monotonic: Callable[[], float] = time.monotonic
) -> SendBudgets:
    """The budgets for this database: shared rows on PostgreSQL, memory on SQLite."""
    if db.is_postgres:
        return DatabaseBudgets(db, default_rate)
    return MemoryBudgets(default_rate, monotonic=monotonic)
