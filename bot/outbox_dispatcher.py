"""Sends the outbox to Teams at a rate Teams accepts, without losing or doubling messages.

Rates: a global pace (default 40 msg/s; Teams allows about 50/s per app and tenant) and at most
one message a second per conversation. A 429 pauses every sender for its Retry-After; 412, 502,
503 and 504 are retried with exponential back-off and jitter; a chef who blocked or removed the
app is marked unreachable at once. Crash safety: queued → sending → sent; rows a dead process
left in "sending" are queued again, so a duplicate is possible only for messages in flight.
Shutdown: `stop` claims nothing more and lets the sends under way settle; `hand_back` then
interrupts the ones still waiting (for the pacer or for Teams) and queues them again, so a
stop is bounded and no query is cut off half-way."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
import weakref
from collections.abc import Awaitable, Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

from bot.teams_notifier import Delivery, Outcome, TeamsNotifier
from followup.rounds.delivery import record_delivered, record_unreachable
from storage.chef_store import ChefStore
from storage.conversation_store import ConversationStore
from storage.database import Database
from storage.models import OutboxMessage
from storage.organisation_store import OrganisationStore
from storage.outbox_store import OutboxStore, new_owner_id
from storage.types import utcnow

logger = logging.getLogger(__name__)

# builds the activity for a message in the recipient's locale; None: no longer worth sending
Render = Callable[[OutboxMessage, str | None], Awaitable[dict[str, Any] | None]]


class HandedBack(Exception):
    """A send under way was interrupted by the shutdown; its row is queued again."""


class Pacer:
    """Spaces sends evenly at `rate` per second, and holds them while Teams says to wait."""

    def __init__(self, rate: float, *, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.interval = 1.0 / rate
        self._monotonic = monotonic
        self._next = 0.0
        self.paused_until = 0.0
        self._lock = asyncio.Lock()

    def pause(self, seconds: float) -> None:
        self.paused_until = max(self.paused_until, self._monotonic() + seconds)

    async def wait(self) -> None:
        async with self._lock:
            while True:
                now = self._monotonic()
                ready = max(self._next, self.paused_until)
                if ready <= now:
                    # keep to the grid when just woken a little late (no drift); after a
                    # quiet spell start afresh, so no burst makes up for lost time
                    start = ready if now - ready < self.interval else now
                    self._next = start + self.interval
                    return
                await asyncio.sleep(ready - now)


class OutboxDispatcher:
    """Claims due outbox messages and delivers them through the notifier."""

    def __init__(
        self,
        *,
        db: Database,
        notifier: TeamsNotifier,
        rate: float = 40.0,
        concurrency: int = 8,
        conversation_interval: float = 1.0,
        max_attempts: int = 5,
        backoff_base: float = 2.0,
        backoff_cap: float = 300.0,
        lease: timedelta = timedelta(minutes=2),
        clock: Callable[[], datetime] = utcnow,
        render: Render | None = None,
    ) -> None:
        self._db = db
        self._notifier = notifier
        self._render = render
        self._store = OutboxStore(db, owner=new_owner_id())
        self._conversations = ConversationStore(db)
        self._chefs = ChefStore(db)
        self.pacer = Pacer(rate)
        self._concurrency = concurrency
        self._conversation_interval = conversation_interval
        self._max_attempts = max_attempts
        self._backoff_base = backoff_base
        self._backoff_cap = backoff_cap
        self._lease = lease
        self._clock = clock
        self._last_sent: dict[str, float] = {}
        self._wake = asyncio.Event()
        self._stopping = False
        self._handing_back = False
        # the delivery tasks waiting where a hand-back may stop them, and those it stopped
        self._waiting: set[asyncio.Task[Any]] = set()
        self._handed_back: weakref.WeakSet[asyncio.Task[Any]] = weakref.WeakSet()

    def wake(self) -> None:
        """Something was enqueued: look at the outbox now rather than at the next poll."""
        self._wake.set()

    def stop(self) -> None:
        """Claim nothing more; `run` returns once the sends under way have settled.

        Shutdown asks this rather than cancelling `run`: a query cancelled half-way leaves
        its aiosqlite thread to answer an event loop that is gone."""
        self._stopping = True
        self._wake.set()

    async def shut_down(self, running: asyncio.Task[None], *, grace: float) -> None:
        """Stop `running` (this dispatcher's `run`): the sends under way get `grace` seconds
        to settle, then the rest are handed back. Nothing is cancelled inside a query."""
        self.stop()
        _, pending = await asyncio.wait({running}, timeout=grace)
        if pending:
            logger.warning("outbox: sends still under way after %.1f s; handing them back", grace)
            self.hand_back()
        try:
            await running
        except Exception:
            logger.exception("outbox: the dispatcher failed while stopping")

    def hand_back(self) -> None:
        """Stop, and give up the sends still waiting: their rows are queued again (no attempt
        counted) for the next start or another replica. A send Teams already received may
        then go twice; that is the price of a bounded stop, and never more than in flight."""
        self.stop()
        self._handing_back = True
        for task in self._waiting:
            self._handed_back.add(task)
            task.cancel()

    @contextlib.contextmanager
    def _interruptible(self) -> Iterator[None]:
        """A wait that is not a query (the pacer, an HTTP call): `hand_back` may end it."""
        task = asyncio.current_task()
        assert task is not None
        if self._handing_back:
            raise HandedBack
        self._waiting.add(task)
        try:
            yield
        except asyncio.CancelledError:
            if task not in self._handed_back:
                raise  # cancelled by someone else
            task.uncancel()
            raise HandedBack from None
        finally:
            self._waiting.discard(task)

    async def recover(self) -> int:
        """Queue again what dead dispatchers left in "sending" (and claims past their lease)."""
        count = await self._store.requeue_orphans()
        count += await self._store.requeue_stale(claimed_before=self._clock() - self._lease)
        if count:
            logger.warning("outbox: %d message(s) left in sending were queued again", count)
        return count

    async def run(self, *, poll: float = 1.0, recover_every: float = 30.0) -> None:
        """Dispatch until stopped (or cancelled)."""
        await self._store.hold_owner_lock()
        try:
            await self._run(poll=poll, recover_every=recover_every)
        finally:
            await self._store.release_owner_lock()

    async def _run(self, *, poll: float, recover_every: float) -> None:
        """A pipeline: whenever a send finishes, claim the next due message for its slot."""
        await self.recover()
        last_recovery = time.monotonic()
        in_flight: set[asyncio.Task[None]] = set()
        try:
            while not self._stopping:
                if time.monotonic() - last_recovery > recover_every:
                    # another replica may have died since
                    try:
                        await self.recover()
                    except Exception:
                        logger.exception("outbox: recovery failed; trying again later")
                    last_recovery = time.monotonic()
                claimed = 0
                free = self._concurrency - len(in_flight)
                if free > 0:
                    try:
                        batch = await self._claim(free)
                    except Exception:
                        logger.exception("outbox: claiming failed; trying again shortly")
                        batch = []
                    claimed = len(batch)
                    in_flight.update(asyncio.create_task(self._deliver(*item)) for item in batch)
                if in_flight and (claimed or len(in_flight) >= self._concurrency):
                    _, in_flight = await asyncio.wait(
                        in_flight, timeout=poll, return_when=asyncio.FIRST_COMPLETED
                    )
                elif not claimed:
                    if not self._stopping:  # a stop asked during the claim ends the wait at once
                        self._wake.clear()
                    waiters = [asyncio.ensure_future(self._wake.wait()), *in_flight]
                    await asyncio.wait(waiters, timeout=poll, return_when=asyncio.FIRST_COMPLETED)
                    waiters[0].cancel()
                    in_flight = {task for task in in_flight if not task.done()}
            await asyncio.gather(*in_flight, return_exceptions=True)
        finally:
            for task in in_flight:
                task.cancel()
            await asyncio.gather(*in_flight, return_exceptions=True)

    async def dispatch_once(self) -> int:
        """Claim one batch of due messages and settle every one of them (tests, catch-up)."""
        batch = await self._claim(self._concurrency)
        await asyncio.gather(*(self._deliver(*item) for item in batch))
        return len(batch)

    async def _claim(
        self, limit: int
    ) -> list[tuple[OutboxMessage, dict[str, Any] | None, str | None]]:
        """Claim due messages with their conversation references (one query for all)."""
        messages = await self._store.claim_due(now=self._clock(), limit=limit)
        if not messages:
            return []
        refs = await self._conversations.for_chefs(
            [m.chef_id for m in messages if m.chef_id is not None]
        )
        result = []
        for message in messages:
            ref = refs.get(message.chef_id) if message.chef_id is not None else None
            if message.conversation_ref_id is not None and (
                ref is None or ref.id != message.conversation_ref_id
            ):
                ref = await self._conversations.get(message.conversation_ref_id) or ref
            reference = (
                {**ref.reference, "serviceUrl": ref.service_url}
                if ref is not None and ref.installed
                else None
            )
            result.append((message, reference, ref.locale if ref is not None else None))
        return result

    async def _deliver(
        self, message: OutboxMessage, reference: dict[str, Any] | None, locale: str | None
    ) -> None:
        try:
            await self._deliver_one(message, reference, locale)
        except asyncio.CancelledError:
            raise
        except HandedBack:
            assert message.id is not None
            logger.info("outbox: message %s handed back at shutdown", message.id)
            await self._store.retry_later(
                message_id=message.id, not_before=self._clock(), attempts=message.attempts
            )
        except Exception:
            logger.exception("outbox: message %s could not be settled", message.id)
            assert message.id is not None
            await self._store.retry_later(
                message_id=message.id,
                not_before=self._clock() + timedelta(seconds=self._backoff_base),
                attempts=message.attempts,
                code="InternalError",
            )

    async def _deliver_one(
        self, message: OutboxMessage, reference: dict[str, Any] | None, locale: str | None
    ) -> None:
        assert message.id is not None
        activity = await self._render(message, locale) if self._render else message.payload
        if activity is None:
            await self._store.mark_failed(
                message_id=message.id,
                code="Obsolete",
                detail="no longer relevant",
                attempts=message.attempts,
            )
            return
        if reference is None:
            delivery = await self._start_conversation(message, activity)
        else:
            conversation = str((reference.get("conversation") or {}).get("id", ""))
            wait = self._last_sent.get(conversation, -1e9) + self._conversation_interval
            if wait > time.monotonic():
                # another message just went to this chef: wait a little, without an attempt
                await self._store.retry_later(
                    message_id=message.id,
                    not_before=self._clock() + timedelta(seconds=wait - time.monotonic()),
                    attempts=message.attempts,
                )
                return
            with self._interruptible():
                await self.pacer.wait()
                self._last_sent[conversation] = time.monotonic()
                delivery = await self._notifier.send(reference=reference, activity=activity)
            # Teams counts from when it received the message, which a slow request delays
            self._last_sent[conversation] = time.monotonic()
        await self._settle(message, delivery)

    async def _start_conversation(
        self, message: OutboxMessage, activity: dict[str, Any]
    ) -> Delivery:
        chef = await self._chefs.get(message.chef_id) if message.chef_id is not None else None
        if chef is None or not chef.aad_object_id:
            return Delivery(Outcome.UNREACHABLE, code="NoConversationReference")
        organisation = await OrganisationStore(self._db).get(chef.organisation_id)
        tenant = organisation.tenant_id if organisation else None
        service_url = await self._conversations.service_url_for_tenant(tenant) if tenant else None
        if tenant is None or service_url is None:
            return Delivery(Outcome.UNREACHABLE, code="NoConversationReference")
        with self._interruptible():
            await self.pacer.wait()
            delivery, reference = await self._notifier.start_conversation(
                service_url=service_url,
                tenant_id=tenant,
                user_aad_object_id=chef.aad_object_id,
                activity=activity,
            )
        if reference is not None and delivery.outcome == Outcome.SENT:
            conversation = reference.get("conversation") or {}
            await self._conversations.remember(
                tenant_id=tenant,
                user_id=str((reference.get("user") or {}).get("id") or chef.aad_object_id),
                aad_object_id=chef.aad_object_id,
                conversation_id=str(conversation.get("id", "")),
                service_url=service_url,
                reference=reference,
                organisation_id=chef.organisation_id,
                chef_id=chef.id,
                now=self._clock(),
            )
        return delivery

    def _backoff(self, attempts: int) -> float:
        """Exponential back-off with full jitter."""
        ceiling = min(self._backoff_cap, self._backoff_base * 2 ** max(attempts - 1, 0))
        return random.uniform(self._backoff_base / 2, ceiling)

    async def _settle(self, message: OutboxMessage, delivery: Delivery) -> None:
        assert message.id is not None
        now = self._clock()
        attempts = message.attempts + 1
        if delivery.outcome == Outcome.SENT:
            await self._store.mark_sent(
                message_id=message.id, activity_id=delivery.activity_id, attempts=attempts, now=now
            )
            await record_delivered(self._db, message, activity_id=delivery.activity_id, now=now)
        elif delivery.outcome == Outcome.THROTTLED:
            # the whole tenant is throttled: every sender waits; this try does not count
            wait = delivery.retry_after if delivery.retry_after is not None else self._backoff(2)
            self.pacer.pause(wait)
            logger.warning("outbox: throttled by Teams, pausing %.1f s", wait)
            await self._store.retry_later(
                message_id=message.id,
                not_before=now + timedelta(seconds=wait),
                attempts=message.attempts,
                code=delivery.code,
                detail=delivery.detail,
            )
        elif delivery.outcome == Outcome.TRANSIENT and attempts < self._max_attempts:
            wait = self._backoff(attempts)
            logger.info(
                "outbox: message %s failed (%s), retry in %.1f s", message.id, delivery.code, wait
            )
            await self._store.retry_later(
                message_id=message.id,
                not_before=now + timedelta(seconds=wait),
                attempts=attempts,
                code=delivery.code,
                detail=delivery.detail,
            )
        elif delivery.outcome == Outcome.UNREACHABLE:
            code = delivery.code or "Unreachable"
            logger.info("outbox: chef %s unreachable (%s)", message.chef_id, code)
            await self._store.mark_unreachable(
                message_id=message.id, code=code, detail=delivery.detail, attempts=attempts
            )
            await record_unreachable(self._db, message, code=code, now=now)
        else:
            logger.warning("outbox: message %s failed for good (%s)", message.id, delivery.code)
            await self._store.mark_failed(
                message_id=message.id,
                code=delivery.code or "Failed",
                detail=delivery.detail,
                attempts=attempts,
            )
