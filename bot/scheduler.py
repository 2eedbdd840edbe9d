"""The scheduler: one APScheduler 3 `AsyncIOScheduler` owned by the app, in the policy's zone.

Its one job is a tick that runs idempotent passes over the database — plan the calendar's
rounds, warn HR a week ahead, open what is due, remind, close at the deadline and queue the
results, and apply retention (answers, departed chefs' identities, the audit log) — so state
lives in our tables, not in a job store. The first tick runs at start and catches up whatever
was missed while the service was down. On PostgreSQL only the replica that holds the leader's
lock runs the passes; the others wait and take over if it goes."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from followup.digest.publication import publish_closed
from followup.policy import Policy
from followup.privacy.retention import apply_retention
from followup.rounds.calendar import (
    TitleOf,
    close_due_rounds,
    open_due_rounds,
    plan_rounds,
    send_heads_up,
)
from followup.rounds.reminders import send_due_reminders
from storage.database import Database
from storage.leadership import Leadership
from storage.types import utcnow

logger = logging.getLogger(__name__)

TICK_SECONDS = 60

Pass = Callable[[Database, datetime], Awaitable[Any]]


def passes(*, policy: Policy, title_of: TitleOf) -> tuple[tuple[str, Pass], ...]:
    """In this order: a round planned, warned about, opened, reminded and closed in one tick
    if due."""

    async def plan(db: Database, now: datetime) -> Any:
        return await plan_rounds(db, now=now, policy=policy, title_of=title_of)

    async def heads_up(db: Database, now: datetime) -> Any:
        return await send_heads_up(db, now=now, policy=policy)

    async def open_due(db: Database, now: datetime) -> Any:
        return await open_due_rounds(db, now=now, policy=policy)

    async def remind(db: Database, now: datetime) -> Any:
        return await send_due_reminders(db, now=now, policy=policy)

    async def close_due(db: Database, now: datetime) -> Any:
        closed = await close_due_rounds(db, now=now, policy=policy)
        # their figures decided now, before any erasure or retention could change the counts
        await publish_closed(db, now=now, policy=policy)
        return closed

    async def retention(db: Database, now: datetime) -> Any:
        return await apply_retention(db, now=now)

    return (
        ("plan rounds", plan),
        ("heads-up", heads_up),
        ("open rounds", open_due),
        ("reminders", remind),
        ("close rounds", close_due),
        ("retention", retention),
    )


class Scheduler:
    """Runs the passes every minute while this replica leads."""

    def __init__(
        self,
        db: Database,
        *,
        policy: Policy,
        title_of: TitleOf,
        clock: Callable[[], datetime] = utcnow,
        interval: float = TICK_SECONDS,
    ) -> None:
        self._db = db
        self._policy = policy
        self._passes = passes(policy=policy, title_of=title_of)
        self._clock = clock
        self._interval = interval
        self.leadership = Leadership(db)
        self._aps = AsyncIOScheduler(timezone=policy.zone)
        self._running = asyncio.Lock()
        self._stopped = False

    async def tick(self) -> bool:
        """One run of every pass, if this replica leads; each pass fails on its own."""
        async with self._running:
            if self._stopped or not await self.leadership.lead():
                return False
            now = self._clock()
            for name, run in self._passes:
                if self._stopped:
                    # shutting down: the passes are idempotent, the next start does the rest
                    logger.info("scheduler: stopping before the %s pass", name)
                    break
                try:
                    await run(self._db, now)
                except Exception:
                    logger.exception(
                        "scheduler: the %s pass failed; the next tick tries again", name
                    )
            return True

    def start(self) -> None:
        self._aps.add_job(
            self.tick,
            "interval",
            seconds=self._interval,
            id="tick",
            next_run_time=datetime.now(self._policy.zone),  # at once: catch up what was missed
            coalesce=True,
            max_instances=1,
            misfire_grace_time=None,
        )
        self._aps.start()

    async def stop(self) -> None:
        """No new ticks; let the pass under way finish (the database goes next; the passes
        left wait for the next start), then let go."""
        self._stopped = True
        # the tick under way finishes first: APScheduler's shutdown cancels a running job, and
        # a query cancelled half-way leaves its aiosqlite thread to answer a closed loop
        async with self._running:
            if self._aps.running:
                self._aps.shutdown(wait=False)
            await self.leadership.release()
