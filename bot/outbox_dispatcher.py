"""Sends the outbox to Teams at a rate Teams accepts, without losing or doubling messages.

Rates: every tenant (organisation) has its own send budget, shared by every replica
(`storage.send_budget`; default `Policy.send_rate`, just under Teams' 50 per second per app and
tenant): a claim books each message a slot and the send waits for it. At most one message a
second goes to a conversation. A 429 pauses that tenant alone, for its Retry-After, on every
replica; the sends already booked for it are queued again rather than sent into the pause.
412, 502, 503 and 504 are retried with capped exponential back-off and jitter (or Retry-After)
for the policy's retry window, never past the round's deadline (`followup.rounds.delivery`); a
chef who blocked or removed the app is marked unreachable at once. What was given up during an
outage is queued once more when Teams next takes a message for the organisation. Crash safety:
queued → sending → sent; rows a dead process left in "sending" are queued again, so a duplicate
is possible only for messages in flight.

Faults: a settle the database refused is tried again on every pass until it holds (a sent
message is then marked sent, not sent again), and meanwhile takes its slot, so sent-but-unsettled
messages never outnumber the slots. Before claiming and settling the dispatcher checks that it
still holds its owner lock, and takes it again after a lost connection; other replicas treat its
claims as orphans only once the lock has been free for `owner_grace`.
Shutdown: `stop` claims nothing more and lets the sends under way settle; `hand_back` then
interrupts the ones still waiting (for their slot or for Teams) and queues them again, so a
stop is bounded and no query is cut off half-way."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import logging
import random
import time
import weakref
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.teams_notifier import Delivery, Outcome, TeamsNotifier
from dialogs.cards import activity_for_viewer
from dialogs.texts import person_language
from followup.policy import Policy
from followup.rounds.delivery import (
    NO_ANSWER,
    next_try,
    organisations_after_outage,
    record_delivered,
    record_failed,
    record_unreachable,
    requeue_after_outage,
)
from storage.chef_store import ChefStore
from storage.conversation_store import ConversationStore
from storage.database import Database
from storage.models import OutboxMessage
from storage.organisation_store import OrganisationStore
from storage.outbox_store import OutboxStore, new_owner_id
from storage.send_budget import SendBudgets, send_budgets
from storage.types import utcnow

logger = logging.getLogger(__name__)

# builds the activity for a message in the recipient's language (`person_language`: theirs, else
# their organisation's — never a locale); None: no longer worth sending
Render = Callable[[OutboxMessage, str], Awaitable[dict[str, Any] | None]]
# writes a message's outcome to the outbox (tried again until the database takes it)
Settle = Callable[[], Awaitable[Any]]
# a claimed message: its conversation reference (None: start one), the recipient's language,
# and when (this process's monotonic clock) the slot its tenant's budget booked for it comes
Claimed = tuple[OutboxMessage, dict[str, Any] | None, str, float]

# a settle that fails this often while the database answers is handed back to the queue
SETTLE_TRIES = 3

# while sends are under way, a replica claims at most this often (seconds): a claim is a
# transaction of several statements, and one every 50 ms books each tenant's slots well within
# `storage.send_budget.HORIZON` ahead, where a claim after every finished send cost more CPU
# than the send itself
CLAIM_EVERY = 0.05


@dataclass
class Settlement:
    """What to save about a message once its try is over (kept while the database refuses)."""

    settle: Settle
    sent: bool  # the message reached Teams: never handed back (it would be sent twice)
    tries: int = 0  # failures while the database answered other queries


def log_failure(task: asyncio.Task[Any]) -> None:
    """A done-callback: no background task may end with an exception nobody sees."""
    if not task.cancelled() and (error := task.exception()) is not None:
        logger.error("outbox: task %s failed", task.get_name(), exc_info=error)


class HandedBack(Exception):
    """A send under way was interrupted by the shutdown; its row is queued again."""


class OutboxDispatcher:
    """Claims due outbox messages and delivers them through the notifier."""

    def __init__(
        self,
        *,
        db: Database,
        notifier: TeamsNotifier,
        rate: float | None = None,
        budgets: SendBudgets | None = None,
        concurrency: int = 8,
        conversation_interval: float = 1.0,
        policy: Policy | None = None,
        backoff_base: float | None = None,
        backoff_cap: float | None = None,
        lease: timedelta = timedelta(minutes=2),
        owner_grace: timedelta = timedelta(seconds=15),
        clock: Callable[[], datetime] = utcnow,
        monotonic: Callable[[], float] = time.monotonic,
        render: Render | None = None,
        claim_every: float = CLAIM_EVERY,
    ) -> None:
        policy = policy or Policy()
        self._db = db
        self._notifier = notifier
        self._render = render
        self._store = OutboxStore(
            db, owner=new_owner_id(), grace=owner_grace.total_seconds(), monotonic=monotonic
        )
        self._owner_grace = owner_grace.total_seconds()
        self._conversations = ConversationStore(db)
        self._chefs = ChefStore(db)
        # every tenant's budget; `rate` is the default of an organisation without its own
        self.budgets = budgets or send_budgets(db, rate if rate is not None else policy.send_rate)
        self._concurrency = concurrency
        self._claim_every = claim_every
        self._conversation_interval = conversation_interval
        self._policy = policy
        self._backoff_base = (
            backoff_base if backoff_base is not None else policy.send_retry_base.total_seconds()
        )
        self._backoff_cap = (
            backoff_cap if backoff_cap is not None else policy.send_retry_cap.total_seconds()
        )
        # organisations with messages given up during an outage: the next message Teams takes
        # for one of them queues those again
        self._after_outage: set[int] = set()
        self._lease = lease
        self._clock = clock
        self._last_sent: dict[str, float] = {}
        self._wake = asyncio.Event()
        self._stopping = False
        # outcomes the database did not take yet, by message id
        self._unsettled: dict[int, Settlement] = {}
        self._sending: set[int] = set()  # the ids of the messages being sent now
        self._not_started: set[int] = set()  # those of them that wait to start
        # a claim failed: it may have been saved with its answer lost on the way back
        self._lost_claims = False
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
        # given up during an outage, by this process before a restart or by another replica
        self._after_outage |= await organisations_after_outage(self._db)
        return count

    @property
    def unsettled(self) -> int:
        """Messages whose outcome is known but not yet saved (the database refused it)."""
        return len(self._unsettled)

    async def run(self, *, poll: float = 1.0, recover_every: float = 30.0) -> None:
        """Dispatch until stopped (or cancelled); a fault is logged and the loop goes on."""
        while not self._stopping:
            try:
                await self._store.hold_owner_lock()
                break
            except Exception:
                logger.exception("outbox: no owner lock (database unreachable?); trying again")
                await self._pause(poll)
        if self._db.is_postgres:
            # running, it holds the tenants it sends for, one replica for each (send_budget)
            self.budgets.owner = self._store.owner
        try:
            await self._run(poll=poll, recover_every=recover_every)
        finally:
            self.budgets.owner = None
            await self._settle_unsettled()
            if self._unsettled:
                # left in "sending" under our id: orphans for the next dispatcher to queue
                logger.warning("outbox: stopping with %d message(s) unsettled", self.unsettled)
            await self._store.release_owner_lock()

    async def _pause(self, seconds: float) -> None:
        """Sleep, or less when woken or stopped."""
        if not self._stopping:
            self._wake.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), seconds)

    async def _run(self, *, poll: float, recover_every: float) -> None:
        """A pipeline: whenever a send finishes, claim the next due message for its slot."""
        last_recovery = last_claim = -float("inf")
        in_flight: set[asyncio.Task[None]] = set()
        try:
            while not self._stopping:
                # another replica may have died since; sooner while one looks gone
                every = min(recover_every, self._owner_grace) if self._store.suspects else None
                if time.monotonic() - last_recovery > (every or recover_every):
                    try:
                        await self.recover()
                    except Exception:
                        logger.exception("outbox: recovery failed; trying again later")
                    last_recovery = time.monotonic()
                await self._settle_unsettled()
                await self._requeue_lost_claims()
                claimed = 0
                # an unsettled message keeps its slot: what was sent and not yet marked so
                # (a duplicate if the database forgets us) never outnumbers the slots
                free = self._concurrency - len(in_flight) - len(self._unsettled)
                # while sends are under way, claims come at most every `claim_every` seconds
                # (each books several tenants' slots ahead), not after every send
                too_soon = last_claim + self._claim_every - time.monotonic() if in_flight else 0
                if free > 0 and too_soon <= 0 and await self._owns():
                    last_claim = time.monotonic()
                    try:
                        batch = await self._claim(free)
                    except Exception:
                        logger.exception("outbox: claiming failed; trying again shortly")
                        self._lost_claims = True
                        batch = []
                    claimed = len(batch)
                    self._sending.update(item[0].id for item in batch if item[0].id is not None)
                    for item in batch:
                        task = asyncio.create_task(self._deliver(*item))
                        task.add_done_callback(log_failure)
                        in_flight.add(task)
                if in_flight and (claimed or len(in_flight) >= self._concurrency):
                    _, in_flight = await asyncio.wait(
                        in_flight, timeout=poll, return_when=asyncio.FIRST_COMPLETED
                    )
                elif not claimed:
                    if not self._stopping:  # a stop asked during the claim ends the wait at once
                        self._wake.clear()
                    # too soon to claim again: the sends finishing meanwhile need no pass
                    waiters: list[asyncio.Future[Any]] = [asyncio.ensure_future(self._wake.wait())]
                    if too_soon <= 0:
                        waiters += in_flight
                    await asyncio.wait(
                        waiters,
                        timeout=poll if too_soon <= 0 else min(poll, too_soon),
                        return_when=asyncio.FIRST_COMPLETED,
                    )
                    waiters[0].cancel()
                    in_flight = {task for task in in_flight if not task.done()}
            await asyncio.gather(*in_flight, return_exceptions=True)
        finally:
            for task in in_flight:
                task.cancel()
            await asyncio.gather(*in_flight, return_exceptions=True)

    async def dispatch_once(self) -> int:
        """Claim one batch of due messages and settle every one of them (tests, catch-up)."""
        await self._settle_unsettled()
        free = self._concurrency - len(self._unsettled)
        if free <= 0 or not await self._owns():
            return 0
        batch = await self._claim(free)
        await asyncio.gather(*(self._deliver(*item) for item in batch))
        return len(batch)

    async def _requeue_lost_claims(self) -> None:
        """After a failed claim: queue again our claims that nobody is sending."""
        if not self._lost_claims:
            return
        try:
            count = await self._store.requeue_own(keep=self._sending | set(self._unsettled))
        except Exception:
            logger.debug("outbox: lost claims not checked yet", exc_info=True)
            return
        self._lost_claims = False
        if count:
            logger.warning("outbox: %d claim(s) whose answer was lost were queued again", count)

    async def _owns(self, *, max_age: float = 0.0) -> bool:
        """Whether we hold our owner lock (taken again if it was lost); False when unsure."""
        try:
            return await self._store.verify_owner_lock(max_age=max_age)
        except Exception:
            logger.warning("outbox: could not check the owner lock", exc_info=True)
            return False

    async def _claim(self, limit: int) -> list[Claimed]:
        """Claim due messages, each with its slot booked, and with their conversation
        references (one query for all)."""
        booked = await self._store.claim_paced(
            now=self._clock(),
            limit=limit,
            budgets=self.budgets,
            conversation_interval=self._conversation_interval,
        )
        if not booked:
            return []
        received = time.monotonic()
        messages = [message for message, _ in booked]
        try:
            references = await self._with_references(messages)
            return [
                (*item, received + delay)
                for item, (_, delay) in zip(references, booked, strict=True)
            ]
        except Exception:
            # claimed, not sent: they go back to the queue as soon as the database answers
            for message in messages:
                assert message.id is not None
                self._unsettled[message.id] = Settlement(
                    functools.partial(self._store.hand_back, message_id=message.id), sent=False
                )
            raise

    async def _with_references(
        self, messages: list[OutboxMessage]
    ) -> list[tuple[OutboxMessage, dict[str, Any] | None, str]]:
        refs = await self._conversations.for_chefs(
            [m.chef_id for m in messages if m.chef_id is not None]
        )
        defaults = await self._conversations.default_languages(
            {m.organisation_id for m in messages}
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
            chosen = ref.chosen_language if ref is not None else None
            language = person_language(chosen, defaults.get(message.organisation_id))
            result.append((message, reference, language))
        return result

    async def _deliver(
        self, message: OutboxMessage, reference: dict[str, Any] | None, language: str, slot: float
    ) -> None:
        assert message.id is not None
        self._sending.add(message.id)
        self._not_started.add(message.id)
        self.budgets.waits(message.organisation_id)
        try:
            await self._deliver_and_settle(message, reference, language, slot)
        finally:
            self._sending.discard(message.id)
            self._no_longer_waiting(message)

    def _no_longer_waiting(self, message: OutboxMessage) -> None:
        """The message no longer waits to start (it did, or it will not)."""
        if message.id in self._not_started:
            self._not_started.discard(message.id)
            self.budgets.waits(message.organisation_id, -1)

    async def _deliver_and_settle(
        self, message: OutboxMessage, reference: dict[str, Any] | None, language: str, slot: float
    ) -> None:
        assert message.id is not None
        try:
            outcome = await self._attempt(message, reference, language, slot)
        except asyncio.CancelledError:
            raise
        except HandedBack:
            # the shutdown stopped it waiting (for its slot or Teams): queued again at once,
            # no attempt counted, for the next start or another replica
            logger.info("outbox: message %s handed back at shutdown", message.id)
            back = functools.partial(
                self._store.retry_later,
                message_id=message.id,
                not_before=self._clock(),
                attempts=message.attempts,
            )
            outcome = Settlement(back, sent=False)
        except Exception:
            logger.exception("outbox: message %s could not be sent", message.id)
            settle = functools.partial(
                self._store.retry_later,
                message_id=message.id,
                not_before=self._clock() + timedelta(seconds=self._backoff_base),
                attempts=message.attempts,
                code="InternalError",
            )
            outcome = Settlement(settle, sent=False)
        # re-takes a lost lock at once, so no other replica takes our claims for orphans
        await self._owns(max_age=1.0)
        await self._try_settle(message.id, outcome)

    async def _try_settle(self, message_id: int, outcome: Settlement) -> bool:
        """Save an outcome; when the database refuses, keep it to try again on the next pass."""
        try:
            await outcome.settle()
        except Exception:
            # in full once; the tries after it, while the database is away, say little more
            log = logger.debug if message_id in self._unsettled else logger.warning
            log("outbox: message %s could not be settled; trying again", message_id, exc_info=True)
            self._unsettled[message_id] = outcome
            return False
        self._unsettled.pop(message_id, None)
        return True

    async def _settle_unsettled(self) -> None:
        """Try the outcomes the database refused before; hand back what keeps failing."""
        if not self._unsettled:
            return
        # a failure counts against the outcome only while the database answers (an outage
        # says nothing about the outcome)
        answering = await self._db.ping()
        for message_id, outcome in list(self._unsettled.items()):
            outcome.tries += answering
            if await self._try_settle(message_id, outcome) or outcome.tries != SETTLE_TRIES:
                continue
            if outcome.sent:
                # it holds its slot rather than reach the chef twice; the log says why
                logger.error("outbox: message %s was sent but cannot be marked so", message_id)
                continue
            try:
                handed_back = await self._store.hand_back(message_id=message_id)
            except Exception:
                logger.exception("outbox: message %s could not be handed back", message_id)
                outcome.tries -= 1  # try the hand-back again next pass
                continue
            if handed_back:
                logger.error("outbox: message %s could not be settled; handed back", message_id)
            del self._unsettled[message_id]

    async def _attempt(
        self, message: OutboxMessage, reference: dict[str, Any] | None, language: str, slot: float
    ) -> Settlement:
        """Send the message (unless it must wait); what to save about it."""
        assert message.id is not None
        activity = await self._render(message, language) if self._render else message.payload
        if activity is None:
            obsolete = functools.partial(
                self._store.mark_failed,
                message_id=message.id,
                code="Obsolete",
                detail="no longer relevant",
                attempts=message.attempts,
            )
            return Settlement(obsolete, sent=False)
        if reference is None:
            started = await self._start_conversation(message, activity, slot)
            if isinstance(started, Settlement):
                return started
            delivery = started
        else:
            # its cards refresh for the one person it goes to
            activity = activity_for_viewer(activity, (reference.get("user") or {}).get("id"))
            conversation = str((reference.get("conversation") or {}).get("id", ""))
            wait = self._last_sent.get(conversation, -1e9) + self._conversation_interval
            if wait > time.monotonic():
                # another message just went to this chef: wait a little, without an attempt
                later = functools.partial(
                    self._store.retry_later,
                    message_id=message.id,
                    not_before=self._clock() + timedelta(seconds=wait - time.monotonic()),
                    attempts=message.attempts,
                )
                return Settlement(later, sent=False)
            with self._interruptible():
                if (paused := await self._wait_for_slot(message, slot)) is not None:
                    return paused
                self._last_sent[conversation] = time.monotonic()
                delivery = await self._notifier.send(reference=reference, activity=activity)
            # Teams counts from when it received the message, which a slow request delays
            self._last_sent[conversation] = time.monotonic()
        if delivery.outcome == Outcome.THROTTLED:
            # at once, before the settle: this tenant's next sends here must not go
            if delivery.retry_after is None:
                delivery = dataclasses.replace(delivery, retry_after=self._backoff(2))
            assert delivery.retry_after is not None
            await self._pause_tenant(message.organisation_id, delivery.retry_after)
        settle = functools.partial(self._settle, message, delivery)
        return Settlement(settle, sent=delivery.outcome == Outcome.SENT)

    async def _wait_for_slot(self, message: OutboxMessage, slot: float) -> Settlement | None:
        """Wait for the slot booked for the message; None when it may go (at once: it is
        counted as started), else what to save instead: Teams paused its tenant meanwhile, so
        it waits in the queue (no attempt)."""
        organisation = message.organisation_id
        await asyncio.sleep(slot - time.monotonic())
        while (paused := self.budgets.paused_for(organisation)) <= 0:
            # the sends that did start, counted as they start: never more than the rate in a second
            if (wait := self.budgets.admit(organisation, time.monotonic())) <= 0:
                self._no_longer_waiting(message)
                return None
            await asyncio.sleep(wait)
        assert message.id is not None
        later = functools.partial(
            self._store.retry_later,
            message_id=message.id,
            not_before=self._clock() + timedelta(seconds=paused),
            attempts=message.attempts,
        )
        return Settlement(later, sent=False)

    async def _start_conversation(
        self, message: OutboxMessage, activity: dict[str, Any], slot: float
    ) -> Delivery | Settlement:
        chef = await self._chefs.get(message.chef_id) if message.chef_id is not None else None
        if chef is None or not chef.aad_object_id:
            return Delivery(Outcome.UNREACHABLE, code="NoConversationReference")
        organisation = await OrganisationStore(self._db).get(chef.organisation_id)
        tenant = organisation.tenant_id if organisation else None
        service_url = await self._conversations.service_url_for_tenant(tenant) if tenant else None
        if tenant is None or service_url is None:
            return Delivery(Outcome.UNREACHABLE, code="NoConversationReference")
        with self._interruptible():
            if (paused := await self._wait_for_slot(message, slot)) is not None:
                return paused
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
            if message.failing_since is not None:
                await self._hurry_retries(message.organisation_id, now)
            if message.organisation_id in self._after_outage:
                await self._requeue_after_outage(message.organisation_id, now)
        elif delivery.outcome in (Outcome.THROTTLED, Outcome.TRANSIENT):
            await self._retry(message, delivery, now=now, attempts=attempts)
        elif delivery.outcome == Outcome.UNREACHABLE:
            code = delivery.code or "Unreachable"
            logger.info("outbox: chef %s unreachable (%s)", message.chef_id, code)
            await self._store.mark_unreachable(
                message_id=message.id, code=code, detail=delivery.detail, attempts=attempts
            )
            await record_unreachable(self._db, message, code=code, now=now)
        else:
            logger.warning("outbox: message %s failed for good (%s)", message.id, delivery.code)
            code = delivery.code or "Failed"
            await self._store.mark_failed(
                message_id=message.id, code=code, detail=delivery.detail, attempts=attempts
            )
            await record_failed(self._db, message, code=code)

    async def _retry(
        self, message: OutboxMessage, delivery: Delivery, *, now: datetime, attempts: int
    ) -> None:
        """Teams did not take it (5xx, 412, 429): again later, within the retry window and
        before the round's deadline, or given up with why."""
        assert message.id is not None
        throttled = delivery.outcome == Outcome.THROTTLED
        if throttled:
            # the whole tenant is throttled and paused (`_attempt`); this try does not count
            attempts = message.attempts
        if delivery.retry_after is not None:
            wait = delivery.retry_after
        else:
            wait = self._backoff(attempts if not throttled else 2)
        failing_since = message.failing_since or now
        retry = await next_try(
            self._db,
            message,
            failing_since=failing_since,
            now=now,
            wait=timedelta(seconds=wait),
            policy=self._policy,
        )
        if retry.at is None:
            code = retry.given_up or NO_ANSWER
            logger.warning(
                "outbox: message %s given up (%s) after %d attempt(s) since %s, last %s",
                message.id,
                code,
                attempts,
                failing_since.isoformat(),
                delivery.code,
            )
            await self._store.mark_failed(
                message_id=message.id,
                code=code,
                detail=f"{delivery.detail or delivery.code} since {failing_since.isoformat()}",
                attempts=attempts,
            )
            await record_failed(self._db, message, code=code)
            self._after_outage.add(message.organisation_id)
            return
        if not throttled:
            logger.info(
                "outbox: message %s failed (%s), retry in %.1f s", message.id, delivery.code, wait
            )
        await self._store.retry_later(
            message_id=message.id,
            not_before=retry.at,
            attempts=attempts,
            code=delivery.code,
            detail=delivery.detail,
            failing_since=failing_since,
        )

    async def _pause_tenant(self, organisation_id: int, seconds: float) -> None:
        """Teams throttles the tenant: every replica leaves it alone for `seconds`; others go on."""
        logger.warning(
            "outbox: throttled by Teams for organisation %s, pausing it %.1f s",
            organisation_id,
            seconds,
        )
        try:
            await self.budgets.pause(organisation_id, seconds)
        except Exception:
            # this process keeps to it; the other replicas learn it from their own 429s
            logger.exception("outbox: the pause could not be shared with the other replicas")

    async def _hurry_retries(self, organisation_id: int, now: datetime) -> None:
        """A message Teams had refused went through: Teams is back for the organisation, so
        what waits out a back-off (minutes, after a long outage) goes now, at the usual pace."""
        try:
            count = await self._store.hurry_retries(organisation_id=organisation_id, now=now)
        except Exception:
            logger.exception("outbox: could not bring forward the messages waiting to retry")
            return
        if count:
            logger.info("outbox: Teams answers again: %d message(s) retried now", count)
            self.wake()

    async def _requeue_after_outage(self, organisation_id: int, now: datetime) -> None:
        """Teams takes messages for the organisation again: what was given up while it did not
        goes out once more."""
        self._after_outage.discard(organisation_id)
        try:
            count = await requeue_after_outage(self._db, organisation_id=organisation_id, now=now)
        except Exception:
            self._after_outage.add(organisation_id)  # the next success tries again
            logger.exception("outbox: could not queue again what an outage left behind")
            return
        if count:
            logger.warning(
                "outbox: Teams answers again for organisation %s: %d message(s) given up during"
                " the outage queued again",
                organisation_id,
                count,
            )
            self.wake()
