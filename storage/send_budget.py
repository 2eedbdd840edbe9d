"""Every tenant's send budget: how fast the outbox may send to one Teams tenant, across replicas.

Teams takes about 50 requests a second per app and tenant. Each organisation (one tenant) has a
budget: when its next message may go (`next_at`) and until when Teams said to wait
(`paused_until`). A claim gives each message a slot, 1/rate after the slot before it: at most
rate + 1 start in any second. A claim books at most `HORIZON` ahead; a tenant whose next slot is
later is left for now, so one tenant's queue never holds every sender while another's waits. A
429 pauses its tenant alone, for every replica.

One replica sends for a tenant at a time (its `sender`, held for `LEASE` seconds after its last
booking): the sends to a tenant are then spaced on one process's clock, where the slots of two
replicas would meet in Teams' count with their clocks' and event loops' differences between
them. Replicas share the tenants out: a replica takes a free tenant while it sends for fewer
than its share (the tenants with work over the replicas alive) and lets go of those above it;
the next sender books on from `next_at`, after the last slot booked before it. More replicas
send to more tenants at once, never faster to one.

On PostgreSQL the budget is a `send_budget` row per organisation, locked and moved on in the
claim's transaction, on the database's clock (a replica's own clock never counts); on SQLite
(one process) it lives in memory, on the process's monotonic clock. The rules are `Budget`'s,
the same for both."""

from __future__ import annotations

import collections
import math
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, literal_column, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.database import Database
from storage.models import Organisation, SendBudget

# how far ahead (seconds) a claim may book a tenant's slots: long enough that a replica keeps a
# few messages ready, short enough that a pause reaches the sends booked before it at once
HORIZON = 0.25
# how long (seconds) a replica keeps a tenant after booking it a slot while it lives: well
# beyond the horizon and what may wait to start (`SendBudgets.waits`), so that its sends have
# all gone before another replica books on. A replica that dies lets go at once: a hold counts
# only while its holder's outbox owner lock is held.
LEASE = 3.0

# the first key of the advisory locks dispatchers hold while alive ("LP" + "ob"); the second is
# the dispatcher's owner id (`storage.outbox_store`)
OWNER_LOCK_SPACE = 0x4C506F62
# the owner locks held in this database: the dispatchers alive
_LIVE_LOCKS = (
    f"locktype = 'advisory' AND classid = {OWNER_LOCK_SPACE} AND objsubid = 2 AND granted"
    " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
)
LIVE_OWNERS: Any = (
    select(literal_column("objid::bigint")).select_from(text("pg_locks")).where(text(_LIVE_LOCKS))
)
LIVE_COUNT: Any = select(func.count()).select_from(text("pg_locks")).where(text(_LIVE_LOCKS))


@dataclass
class Budget:
    """The rules of one tenant's budget, on a clock of seconds."""

    rate: float
    next_at: float = -math.inf
    paused_until: float = -math.inf
    # the replica (outbox owner id) that sends for the tenant, until when
    sender: int | None = None
    sender_until: float = -math.inf

    def open(self, now: float) -> bool:
        """Whether a slot may be booked now: not paused, and the next slot within the horizon."""
        return self.paused_until <= now and self.next_at <= now + HORIZON

    def sent_by(self, now: float) -> int | None:
        """The replica that sends for the tenant now (None: free to take)."""
        return self.sender if self.sender_until > now else None

    def hold(self, sender: int, now: float) -> None:
        """`sender` sends for the tenant, for `LEASE` seconds more."""
        self.sender, self.sender_until = sender, now + LEASE

    def let_go(self) -> None:
        self.sender, self.sender_until = None, -math.inf

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

    def __init__(self, default_rate: float, *, owner: int | None = None) -> None:
        if default_rate <= 0:
            raise ValueError("the send rate must be above zero")
        self.default_rate = default_rate
        # this replica's outbox owner id: the tenants it sends for are held in its name (None:
        # it holds none — the only sender on SQLite, or a dispatcher that is not running)
        self.owner = owner
        # who sends for which tenant, and how many replicas are alive, as the last `closed` saw
        self._senders: dict[int, int] = {}
        self._alive = 1
        # the tenants Teams paused, as the last `closed` saw them: they keep their place in
        # the share-out (a pause of a few seconds moves no tenant to another replica)
        self._paused_seen: set[int] = set()
        # the pauses this process set, on its monotonic clock: the sends it booked before a
        # 429 look here before they go (other replicas learn it at their next claim)
        self._paused: dict[int, float] = {}
        # each tenant's rate, as this process's last booking read it (`admit`)
        self._rates: dict[int, float] = {}
        # when this process's last sends to each tenant started (`admit`), on the same clock
        self._started: dict[int, collections.deque[float]] = {}
        # this process's sends to each tenant that wait to start (`waits`, `admit`)
        self._waiting: collections.Counter[int] = collections.Counter()

    def rate_of(self, own: float | None) -> float:
        return own if own is not None and own > 0 else self.default_rate

    async def closed(self, session: AsyncSession) -> set[int]:
        """The organisations this replica may not book a slot for now: paused, booked up to the
        horizon, or sent for by another replica."""
        now, budgets, self._alive = await self._load_busy(session)
        self._paused_seen = {o for o, budget in budgets.items() if budget.paused_until > now}
        self._senders = {
            organisation: sender
            for organisation, budget in budgets.items()
            if (sender := budget.sent_by(now)) is not None
        }
        return {
            organisation
            for organisation, budget in budgets.items()
            if not budget.open(now) or self._senders.get(organisation, self.owner) != self.owner
        } | {organisation for organisation in self._waiting if self._behind(organisation)}

    def waits(self, organisation_id: int, count: int = 1) -> None:
        """`count` sends to the tenant begin (negative: end) waiting to start in this process."""
        self._waiting[organisation_id] += count
        if self._waiting[organisation_id] <= 0:
            del self._waiting[organisation_id]

    def _behind(self, organisation_id: int) -> bool:
        """Whether this process's sends to the tenant are a horizon behind their slots (a
        stalled event loop, a slow Teams): more waiting than two horizons' worth. No more is
        claimed for it until they went, so that what one replica has yet to send never
        outlasts its hold on the tenant (`LEASE`), and sends do not take up every place
        (`OUTBOX_CONCURRENCY`) waiting."""
        rate = self._rates.get(organisation_id, self.default_rate)
        return self._waiting[organisation_id] >= max(2 * HORIZON * rate, 1)

    async def book(
        self,
        session: AsyncSession,
        organisations: Sequence[int],
        *,
        limit: int,
    ) -> list[float | None]:
        """Book a slot for each message (given by its organisation, in the claim's order), at
        most `limit` in all: the seconds until each slot, or None for a message that must wait
        for a later claim (or another replica). In the claim's transaction, after `closed`
        (which saw the replicas alive, who share the tenants out): the slots, and the tenants
        taken or let go, hold only if it commits."""
        now, budgets = await self._load(session, sorted(set(organisations)))
        sends = self._share_out(now, budgets, organisations)
        delays: list[float | None] = []
        booked = 0
        for organisation in organisations:
            budget = budgets.get(organisation)
            if budget is None or not sends[organisation] or booked >= limit or not budget.open(now):
                delays.append(None)
                continue
            delays.append(budget.take(now))
            booked += 1
            if self.owner is not None:
                budget.hold(self.owner, now)
            self._rates[organisation] = budget.rate
        await self._save(session, budgets)
        return delays

    def _share_out(
        self,
        now: float,
        budgets: dict[int, Budget],
        organisations: Sequence[int],
    ) -> dict[int, bool]:
        """Whether this replica sends for each tenant of the claim: one it holds within its
        share, or a free one while it holds fewer than its share (the tenants with work —
        held by anyone, paused, or in this claim — over the replicas alive). One it holds
        above its share is let go (the highest ids first), for a replica with fewer to take."""
        if self.owner is None:
            return dict.fromkeys(organisations, True)
        busy = set(self._senders) | self._paused_seen | set(organisations)
        share = math.ceil(len(busy) / max(self._alive, 1))
        held = sorted(o for o, sender in self._senders.items() if sender == self.owner)
        keep = set(held[:share])
        sends = dict.fromkeys(organisations, False)
        for organisation in sorted(budgets):
            budget = budgets[organisation]
            sender = budget.sent_by(now)
            if sender == self.owner:
                sends[organisation] = organisation in keep
                if not sends[organisation]:
                    budget.let_go()
            elif sender is None and len(keep) < share:
                keep.add(organisation)
                sends[organisation] = True
        return sends

    async def pause(self, organisation_id: int, seconds: float) -> None:
        """Teams answered 429 for the organisation: nobody sends to it for `seconds`."""
        until = time.monotonic() + seconds
        self._paused[organisation_id] = max(self._paused.get(organisation_id, until), until)
        await self._pause(organisation_id, seconds)

    def admit(self, organisation_id: int, now: float) -> float:
        """The last check before a send starts: 0 when it may start now (and it is counted),
        else how many seconds it must wait. No 1-second window holds more of this process's
        starts to the tenant than the rate's whole number, and no two start closer than half
        of 1/rate. Slots plan the starts; this counts them as they happen: sends that wake
        together after a stall of the event loop catch up what the stall held back, at twice
        the rate at most, never as one burst — a burst reaches Teams later than its starts,
        squeezed against the sends after it. This process sends for the tenant alone (one
        sender at a time), so its starts are all the tenant's."""
        rate = self._rates.get(organisation_id, self.default_rate)
        limit = max(math.floor(rate), 1)
        started = self._started.get(organisation_id)
        if started is None or started.maxlen != limit:  # new, or its rate changed
            started = self._started[organisation_id] = collections.deque(started or (), limit)
        if started:
            wait = started[-1] + 0.5 / rate - now
            if len(started) == limit:
                wait = max(wait, started[0] + 1.0 - now)
            if wait > 0:
                return wait
        started.append(now)
        return 0.0

    def paused_for(self, organisation_id: int) -> float:
        """How many seconds more the organisation is paused, as far as this process knows."""
        return max(self._paused.get(organisation_id, 0.0) - time.monotonic(), 0.0)

    @abstractmethod
    async def _pause(self, organisation_id: int, seconds: float) -> None:
        """Keep the pause where every sender sees it."""

    @abstractmethod
    async def _load_busy(self, session: AsyncSession) -> tuple[float, dict[int, Budget], int]:
        """The clock's now; at least every budget with a pause, a slot still ahead or a hold
        (a dead replica's is none); and how many replicas are alive."""

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


def _sender_alive() -> Any:
    """Whether a budget's sender is alive (holds its outbox owner lock): a dead one's hold is
    none, whatever time it says."""
    return col(SendBudget.sender).in_(LIVE_OWNERS)


def _budget(row: SendBudget, rate: float, held: bool | None) -> Budget:
    return Budget(
        rate=rate,
        next_at=_seconds(row.next_at),
        paused_until=_seconds(row.paused_until),
        sender=row.sender if held else None,
        sender_until=_seconds(row.sender_until) if held else -math.inf,
    )


class DatabaseBudgets(SendBudgets):
    """The budgets as `send_budget` rows in PostgreSQL, shared by every replica."""

    def __init__(self, db: Database, default_rate: float, *, owner: int | None = None) -> None:
        # a running replica holds tenants in its own name (its outbox owner id, while it holds
        # its owner lock); without one it takes none, and leaves those others hold alone
        super().__init__(default_rate, owner=owner)
        self._db = db
        self._made: set[int] = set()  # the organisations whose row exists

    async def _load_busy(self, session: AsyncSession) -> tuple[float, dict[int, Budget], int]:
        now = func.clock_timestamp()
        rows = (
            await session.exec(
                select(SendBudget, now, _sender_alive(), LIVE_COUNT.scalar_subquery()).where(
                    or_(
                        col(SendBudget.paused_until) > now,
                        col(SendBudget.next_at) > now,
                        col(SendBudget.sender_until) > now,
                    )
                )
            )
        ).all()
        if not rows:
            alive = (await session.exec(LIVE_COUNT)).one()
            return 0.0, {}, max(int(alive), 1)
        # the rate plays no part in whether a budget is open
        budgets = {
            row.organisation_id: _budget(row, self.default_rate, held) for row, _, held, _ in rows
        }
        return rows[0][1].timestamp(), budgets, max(int(rows[0][3]), 1)

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
        # a tenant's row is made the first time it is needed (no lock is taken on one there);
        # rows never go, so a row this process has seen is not made again
        if new := [o for o in wanted if o not in self._made]:
            await session.exec(
                pg_insert(SendBudget)
                .values([{"organisation_id": o} for o in new])
                .on_conflict_do_nothing(index_elements=["organisation_id"])
            )
        rows = (
            await session.exec(
                select(SendBudget, Organisation.send_rate, func.clock_timestamp(), _sender_alive())
                .join(Organisation, col(Organisation.id) == col(SendBudget.organisation_id))
                .where(col(SendBudget.organisation_id).in_(wanted))
                .order_by(col(SendBudget.organisation_id))
                .with_for_update(of=SendBudget, skip_locked=skip_locked)
            )
        ).all()
        if not rows:
            return 0.0, {}
        self._made.update(row.organisation_id for row, _, _, _ in rows)
        return rows[0][2].timestamp(), {
            row.organisation_id: _budget(row, self.rate_of(rate), held)
            for row, rate, _, held in rows
        }

    async def _save(self, session: AsyncSession, budgets: dict[int, Budget]) -> None:
        for organisation, budget in budgets.items():
            # the row `_locked` loaded, from the session's identity map (no query)
            row = await session.get(SendBudget, organisation)
            assert row is not None
            row.next_at = _moment(budget.next_at)
            row.paused_until = _moment(budget.paused_until)
            row.sender = budget.sender
            row.sender_until = _moment(budget.sender_until)
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

    async def _load_busy(self, session: AsyncSession) -> tuple[float, dict[int, Budget], int]:
        return self._monotonic(), dict(self._budgets), 1

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
    db: Database,
    default_rate: float,
    *,
    owner: int | None = None,
    monotonic: Callable[[], float] = time.monotonic,
) -> SendBudgets:
    """The budgets for this database: shared rows on PostgreSQL (tenants held in the name of
    `owner`, the replica's outbox owner id), memory on SQLite."""
    if db.is_postgres:
        return DatabaseBudgets(db, default_rate, owner=owner)
    return MemoryBudgets(default_rate, monotonic=monotonic)
