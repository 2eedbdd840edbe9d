"""The outbox: proactive messages queued by the domain and sent by the dispatcher.

A message moves queued → sending → sent, or ends unreachable or failed. Its dedupe key
(round × chef × kind × sequence) is unique, so the same message is never enqueued twice."""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections import Counter
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, exists, func, or_, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import aliased
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.database import Database, Session
from storage.models import OutboxMessage, OutboxState, Round, RoundState
from storage.send_budget import OWNER_LOCK_SPACE, SendBudgets

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class NewMessage:
    """A message to enqueue."""

    organisation_id: int
    dedupe_key: str
    kind: str
    payload: dict[str, Any]
    round_id: int | None = None
    chef_id: int | None = None
    conversation_ref_id: int | None = None
    not_before: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)


# a paced claim looks at this many due messages per free slot: some belong to a tenant the
# claim books up, or to a chef already in it
CLAIM_SCAN = 2


# marks many messages sent in one statement (executemany): each row's id, Teams' activity id,
# attempts and when; the error of an earlier try is cleared
_OUTBOX = OutboxMessage.__table__  # type: ignore[attr-defined]
_MARK_SENT = (
    update(_OUTBOX)
    .where(_OUTBOX.c.id == bindparam("b_id"))
    .values(
        state=OutboxState.SENT.value,
        sent_activity_id=bindparam("b_activity"),
        sent_at=bindparam("b_at"),
        attempts=bindparam("b_attempts"),
        error_code=None,
        error_detail=None,
        failing_since=None,
    )
)


def new_owner_id() -> int:
    """A random id for one dispatcher (a positive 31-bit int, a PostgreSQL lock key)."""
    return secrets.randbelow(2**31 - 1) + 1


class OutboxStore:
    """Enqueue, claim and settle outbox messages. Claims skip rows other replicas hold.

    `grace`: how long (seconds) another dispatcher's owner lock must be seen free before its
    claims count as orphans. A replica whose connection blipped takes its lock again well
    within it, so a blip never hands its live claims to another replica."""

    def __init__(
        self,
        db: Database,
        *,
        owner: int | None = None,
        grace: float = 0.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._db = db
        self.owner = owner
        self._grace = grace
        self._monotonic = monotonic
        self._owner_connection: AsyncConnection | None = None
        # one query at a time on the lock's connection; when the lock was last seen held
        self._owner_guard = asyncio.Lock()
        self._owner_verified_at: float | None = None
        self._holding = False  # between hold_owner_lock and release_owner_lock
        self._lock_lost_logged = False
        # other owners whose lock was seen free, and since when (see `grace`)
        self._free_since: dict[int, float] = {}
        # `mark_sent`'s group commit: the rows waiting for the next save, and the saving task
        self._sent_waiting: list[tuple[dict[str, Any], asyncio.Future[None]]] = []
        self._sent_saver: asyncio.Task[None] | None = None

    @property
    def suspects(self) -> int:
        """Other dispatchers whose lock is free but not yet for the grace period."""
        return len(self._free_since)

    async def hold_owner_lock(self) -> None:
        """On PostgreSQL: hold an advisory lock on our owner id for as long as we live.

        A replica that dies loses its connection and with it the lock; that is how the
        others know its claims are orphans."""
        if not self._db.is_postgres or self.owner is None:
            return
        async with self._owner_guard:
            if self._owner_connection is None:
                await self._take_owner_lock(wait=True)
            self._holding = True

    async def verify_owner_lock(self, *, max_age: float = 0.0) -> bool:
        """True when this dispatcher holds its owner lock (checked on PostgreSQL, unless it was
        checked less than `max_age` seconds ago); a lost lock is taken again if it can be.

        The check asks PostgreSQL whether the lock's own session holds it, not merely whether
        a connection answers: a connection that was lost and silently replaced holds nothing."""
        if not self._db.is_postgres or self.owner is None or not self._holding:
            return True
        async with self._owner_guard:
            verified = self._owner_verified_at
            if verified is not None and self._monotonic() - verified < max_age:
                return True
            connection = self._owner_connection
            if connection is not None:
                try:
                    held = (
                        await connection.execute(
                            text(
                                "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory'"
                                " AND classid = :space AND objid = :owner AND objsubid = 2"
                                " AND pid = pg_backend_pid() AND granted)"
                            ),
                            {"space": OWNER_LOCK_SPACE, "owner": self.owner},
                        )
                    ).scalar_one()
                    await connection.commit()
                except Exception as error:
                    held = False
                    logger.warning("outbox: the owner lock's connection was lost (%r)", error)
                if held:
                    self._owner_verified_at = self._monotonic()
                    return True
                logger.warning("outbox: dispatcher %s lost its owner lock", self.owner)
                await self._drop_owner_connection()
            try:
                taken = await self._take_owner_lock(wait=False)
            except Exception as error:
                # once per outage in the log, not once per pass
                log = logger.debug if self._lock_lost_logged else logger.warning
                log("outbox: could not take the owner lock again (%r)", error)
                self._lock_lost_logged = True
                return False
            if taken:
                self._lock_lost_logged = False
                logger.warning("outbox: dispatcher %s holds its owner lock again", self.owner)
            return taken

    async def _take_owner_lock(self, *, wait: bool) -> bool:
        """Lock our owner id on a connection of its own (kept while we hold it)."""
        connection = await self._db.engine.connect()
        try:
            function = "pg_advisory_lock" if wait else "pg_try_advisory_lock"
            result = await connection.execute(
                text(f"SELECT {function}(:space, :owner)"),
                {"space": OWNER_LOCK_SPACE, "owner": self.owner},
            )
            taken = wait or bool(result.scalar_one())
            await connection.commit()
        except BaseException:
            await _close_quietly(connection)
            raise
        if not taken:  # another replica is checking on us this very moment: next time
            await _close_quietly(connection)
            return False
        self._owner_connection = connection
        self._owner_verified_at = self._monotonic()
        return True

    async def _drop_owner_connection(self) -> None:
        connection, self._owner_connection = self._owner_connection, None
        self._owner_verified_at = None
        if connection is not None:
            await _close_quietly(connection, invalidate=True)

    async def release_owner_lock(self) -> None:
        async with self._owner_guard:
            self._holding = False
            if self._owner_connection is None:
                return
            try:
                # the connection goes back to the pool, so unlock explicitly (a crash ends the
                # session, and the lock with it)
                await self._owner_connection.execute(
                    text("SELECT pg_advisory_unlock(:space, :owner)"),
                    {"space": OWNER_LOCK_SPACE, "owner": self.owner},
                )
                await self._owner_connection.commit()
                await self._owner_connection.close()
                self._owner_connection = None
                self._owner_verified_at = None
            except Exception:
                # a lost connection took the lock with it; never return it to the pool
                logger.warning("outbox: could not release the owner lock", exc_info=True)
                await self._drop_owner_connection()

    async def enqueue(
        self,
        messages: Iterable[NewMessage],
        *,
        now: datetime,
        session: AsyncSession | None = None,
    ) -> int:
        """Queue the messages; those whose dedupe key is already there are left out.

        With `session`, inside the caller's transaction: what made the messages due and the
        messages themselves are then saved together or not at all."""
        rows = [
            {
                "organisation_id": m.organisation_id,
                "dedupe_key": m.dedupe_key,
                "kind": m.kind,
                "payload": m.payload,
                "round_id": m.round_id,
                "chef_id": m.chef_id,
                "conversation_ref_id": m.conversation_ref_id,
                "state": OutboxState.QUEUED.value,
                "attempts": 0,
                "not_before": m.not_before or now,
                "created_at": now,
            }
            for m in messages
        ]
        if not rows:
            return 0
        if session is not None:
            return await self._insert(session, rows)
        async with self._db.session() as own, own.begin():
            return await self._insert(own, rows)

    async def _insert(self, session: AsyncSession, rows: list[dict[str, Any]]) -> int:
        insert = pg_insert if self._db.is_postgres else sqlite_insert
        inserted = 0
        for start in range(0, len(rows), 500):
            statement = (
                insert(OutboxMessage)
                .values(rows[start : start + 500])
                .on_conflict_do_nothing(index_elements=["dedupe_key"])
            )
            result = await session.exec(statement)
            inserted += max(result.rowcount, 0)
        return inserted

    async def claim_due(self, *, now: datetime, limit: int) -> list[OutboxMessage]:
        """Move up to `limit` due messages to "sending" and return them, oldest first."""
        async with self._db.session() as session, session.begin():
            due = (
                select(OutboxMessage)
                .where(
                    OutboxMessage.state == OutboxState.QUEUED.value,
                    col(OutboxMessage.not_before) <= now,
                )
                .order_by(col(OutboxMessage.not_before), col(OutboxMessage.id))
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
            messages = list((await session.exec(due)).all())
            for message in messages:
                message.state = OutboxState.SENDING.value
                message.claimed_at = now
                message.claimed_by = self.owner
        return messages

    async def claim_paced(
        self,
        *,
        now: datetime,
        limit: int,
        budgets: SendBudgets,
        conversation_interval: float = 1.0,
    ) -> list[tuple[OutboxMessage, float]]:
        """Move up to `limit` due messages to "sending", oldest first, each with the seconds
        until the slot its tenant's budget booked for it (`storage.send_budget`).

        Left for a later claim: the messages of a tenant that is paused or booked up, and a
        chef's message while another one to them is being sent (by any replica) or went less
        than `conversation_interval` seconds ago."""
        async with self._db.session() as session, session.begin():
            closed = await budgets.closed(session)
            other = aliased(OutboxMessage)
            conditions: list[Any] = [
                col(OutboxMessage.state) == OutboxState.QUEUED.value,
                col(OutboxMessage.not_before) <= now,
                ~exists().where(
                    col(other.chef_id) == col(OutboxMessage.chef_id),
                    or_(
                        col(other.state) == OutboxState.SENDING.value,
                        col(other.sent_at) > now - timedelta(seconds=conversation_interval),
                    ),
                ),
            ]
            if closed:
                conditions.append(col(OutboxMessage.organisation_id).not_in(sorted(closed)))
            candidates = (
                await session.exec(
                    select(OutboxMessage)
                    .where(*conditions)
                    .order_by(col(OutboxMessage.not_before), col(OutboxMessage.id))
                    .limit(limit * CLAIM_SCAN)
                    .with_for_update(of=OutboxMessage, skip_locked=True)
                )
            ).all()
            chefs: set[int] = set()
            unique: list[OutboxMessage] = []
            for message in candidates:
                if message.chef_id is not None:
                    if message.chef_id in chefs:
                        continue  # one message to a chef at a time
                    chefs.add(message.chef_id)
                unique.append(message)
            delays = await budgets.book(session, [m.organisation_id for m in unique], limit=limit)
            claimed: list[tuple[OutboxMessage, float]] = []
            for message, delay in zip(unique, delays, strict=True):
                if delay is None:
                    continue
                message.state = OutboxState.SENDING.value
                message.claimed_at = now
                message.claimed_by = self.owner
                claimed.append((message, delay))
        return claimed

    async def _settle(self, message_id: int, *, claimed: bool = True, **values: Any) -> bool:
        """Update the message; with `claimed` only while it is still our claim in "sending"
        (another replica may have taken it over meanwhile: its outcome stands). True when
        the message was updated."""
        conditions = [col(OutboxMessage.id) == message_id]
        if claimed:
            conditions.append(col(OutboxMessage.state) == OutboxState.SENDING.value)
            if self.owner is not None:
                conditions.append(col(OutboxMessage.claimed_by) == self.owner)
        async with self._db.session() as session, session.begin():
            result = await session.exec(update(OutboxMessage).where(*conditions).values(**values))
            return max(result.rowcount, 0) > 0

    async def mark_sent(
        self, *, message_id: int, activity_id: str | None, attempts: int, now: datetime
    ) -> None:
        """Mark the message sent, whoever holds the row now: it reached Teams, so nobody should
        send it again. Returns once it is saved, and raises when the database refused it.

        Group commit: the sends that finish while a save is under way are saved together in the
        next one (one transaction, one statement for them all), so a busy outbox costs one
        transaction per batch rather than one per message, and a quiet one waits for nothing."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        # a waiter cancelled meanwhile (a shutdown) leaves its outcome unread: nothing to log
        done.add_done_callback(lambda f: f.cancelled() or f.exception())
        row = {"b_id": message_id, "b_activity": activity_id, "b_attempts": attempts, "b_at": now}
        self._sent_waiting.append((row, done))
        if self._sent_saver is None or self._sent_saver.done():
            self._sent_saver = asyncio.create_task(self._save_sent(), name="outbox-mark-sent")
        # the save goes on for the others when this waiter is cancelled
        await asyncio.shield(done)

    async def _save_sent(self) -> None:
        """Save what `mark_sent` was asked, in batches, until nothing waits."""
        await asyncio.sleep(0)  # the sends finishing in this same turn of the loop come along
        while self._sent_waiting:
            batch, self._sent_waiting = self._sent_waiting, []
            try:
                async with self._db.session() as session, session.begin():
                    connection = await session.connection()
                    await connection.execute(_MARK_SENT, [row for row, _ in batch])
            except BaseException as error:
                for _, done in batch:
                    if not done.done():
                        done.set_exception(error)
                if not isinstance(error, Exception):
                    raise
                continue
            for _, done in batch:
                if not done.done():
                    done.set_result(None)

    async def retry_later(
        self,
        *,
        message_id: int,
        not_before: datetime,
        attempts: int,
        code: str | None = None,
        detail: str | None = None,
        failing_since: datetime | None = None,
    ) -> None:
        """Back to the queue until `not_before`; `failing_since` when Teams did not take it."""
        values: dict[str, Any] = {"failing_since": failing_since} if failing_since else {}
        await self._settle(
            message_id,
            state=OutboxState.QUEUED.value,
            not_before=not_before,
            attempts=attempts,
            claimed_at=None,
            error_code=code,
            error_detail=detail,
            **values,
        )

    async def hand_back(self, *, message_id: int) -> bool:
        """Return our claim to the queue as it is (due at once); False when it is not ours."""
        return await self._settle(
            message_id, state=OutboxState.QUEUED.value, claimed_at=None, claimed_by=None
        )

    async def mark_unreachable(
        self, *, message_id: int, code: str, detail: str | None, attempts: int
    ) -> None:
        await self._settle(
            message_id,
            state=OutboxState.UNREACHABLE.value,
            error_code=code,
            error_detail=detail,
            attempts=attempts,
        )

    async def mark_failed(
        self, *, message_id: int, code: str, detail: str | None, attempts: int
    ) -> None:
        await self._settle(
            message_id,
            state=OutboxState.FAILED.value,
            error_code=code,
            error_detail=detail,
            attempts=attempts,
        )

    async def hurry_retries(self, *, organisation_id: int, now: datetime) -> int:
        """Messages of the organisation waiting out a back-off are due now; how many."""
        async with self._db.session() as session, session.begin():
            result = await session.exec(
                update(OutboxMessage)
                .where(
                    col(OutboxMessage.organisation_id) == organisation_id,
                    col(OutboxMessage.state) == OutboxState.QUEUED.value,
                    col(OutboxMessage.failing_since).is_not(None),
                    col(OutboxMessage.not_before) > now,
                )
                .values(not_before=now)
            )
            return max(result.rowcount, 0)

    async def organisations_with_failures(self, *, codes: Collection[str]) -> set[int]:
        """The organisations that have messages that failed for one of these reasons and were
        never queued again."""
        async with self._db.session() as session:
            rows = await session.exec(
                select(OutboxMessage.organisation_id)
                .where(
                    OutboxMessage.state == OutboxState.FAILED.value,
                    col(OutboxMessage.error_code).in_(list(codes)),
                    OutboxMessage.requeues == 0,
                )
                .distinct()
            )
            return set(rows.all())

    async def requeue_failed(
        self,
        *,
        codes: Collection[str],
        now: datetime,
        organisation_id: int | None = None,
        message_ids: Collection[int] | None = None,
        first_time_only: bool = False,
        open_rounds_kinds: Collection[str] = (),
        session: AsyncSession,
    ) -> list[OutboxMessage]:
        """Queue again, due now, messages that failed for one of these reasons; those of
        `open_rounds_kinds` only while their round is open and before its deadline.

        In the caller's transaction; returns the messages queued again."""
        conditions: list[Any] = [
            col(OutboxMessage.state) == OutboxState.FAILED.value,
            col(OutboxMessage.error_code).in_(list(codes)),
        ]
        if organisation_id is not None:
            conditions.append(col(OutboxMessage.organisation_id) == organisation_id)
        if message_ids is not None:
            conditions.append(col(OutboxMessage.id).in_(list(message_ids)))
        if first_time_only:
            conditions.append(col(OutboxMessage.requeues) == 0)
        if open_rounds_kinds:
            open_rounds = select(Round.id).where(
                Round.state == RoundState.OPEN.value, col(Round.deadline) > now
            )
            conditions.append(
                col(OutboxMessage.kind).not_in(list(open_rounds_kinds))
                | col(OutboxMessage.round_id).in_(open_rounds)
            )
        messages = list(
            (
                await session.exec(
                    select(OutboxMessage).where(*conditions).with_for_update(skip_locked=True)
                )
            ).all()
        )
        for message in messages:
            message.state = OutboxState.QUEUED.value
            message.not_before = now
            message.claimed_at = None
            message.failing_since = None
            message.requeues += 1
        return messages

    async def failed_for(
        self,
        *,
        round_id: int,
        chef_ids: Collection[int],
        kind: str,
        codes: Collection[str],
        session: AsyncSession,
    ) -> list[OutboxMessage]:
        """The round's messages of `kind` to these chefs that failed for one of these reasons."""
        if not chef_ids:
            return []
        return list(
            (
                await session.exec(
                    select(OutboxMessage).where(
                        OutboxMessage.round_id == round_id,
                        col(OutboxMessage.chef_id).in_(list(chef_ids)),
                        OutboxMessage.kind == kind,
                        OutboxMessage.state == OutboxState.FAILED.value,
                        col(OutboxMessage.error_code).in_(list(codes)),
                    )
                )
            ).all()
        )

    async def requeue_orphans(self) -> int:
        """Queue again what dead dispatchers left in "sending".

        SQLite has one process, so every claim not our own is an orphan. On PostgreSQL a
        claim is an orphan when its owner's advisory lock has been free for the grace period
        (the owner is gone, not just reconnecting); the lock is taken for the transaction, so
        the owner cannot come back half-way through."""
        async with self._db.session() as session, session.begin():
            owners = (
                await session.exec(
                    select(OutboxMessage.claimed_by)
                    .where(OutboxMessage.state == OutboxState.SENDING.value)
                    .distinct()
                )
            ).all()
            now = self._monotonic()
            self._free_since = {o: t for o, t in self._free_since.items() if o in owners}
            dead: list[int | None] = []
            for owner in owners:
                if owner is not None and owner == self.owner:
                    continue
                if owner is None or not self._db.is_postgres:
                    dead.append(owner)
                    continue
                free = (
                    await session.exec(
                        select(func.pg_try_advisory_xact_lock(OWNER_LOCK_SPACE, owner))
                    )
                ).one()
                if not free:
                    self._free_since.pop(owner, None)
                elif now - self._free_since.setdefault(owner, now) >= self._grace:
                    dead.append(owner)
                    del self._free_since[owner]
            requeued = 0
            for owner in dead:
                condition = (
                    col(OutboxMessage.claimed_by).is_(None)
                    if owner is None
                    else col(OutboxMessage.claimed_by) == owner
                )
                result = await session.exec(
                    update(OutboxMessage)
                    .where(col(OutboxMessage.state) == OutboxState.SENDING.value, condition)
                    .values(state=OutboxState.QUEUED.value, claimed_at=None, claimed_by=None)
                )
                requeued += max(result.rowcount, 0)
            return requeued

    async def requeue_own(self, *, keep: Iterable[int]) -> int:
        """Queue again our own claims except `keep` (those we are sending): a claim whose
        answer the network lost is ours in the table, yet nobody is sending it."""
        if self.owner is None:
            return 0
        conditions = [
            col(OutboxMessage.state) == OutboxState.SENDING.value,
            col(OutboxMessage.claimed_by) == self.owner,
        ]
        if kept := list(keep):
            conditions.append(col(OutboxMessage.id).not_in(kept))
        async with self._db.session() as session, session.begin():
            result = await session.exec(
                update(OutboxMessage)
                .where(*conditions)
                .values(state=OutboxState.QUEUED.value, claimed_at=None, claimed_by=None)
            )
            return max(result.rowcount, 0)

    async def requeue_stale(self, *, claimed_before: datetime | None = None) -> int:
        """Put messages left in "sending" (by a process that died) back in the queue.

        With `claimed_before` only claims older than that (other replicas may be sending)."""
        conditions = [col(OutboxMessage.state) == OutboxState.SENDING.value]
        if claimed_before is not None:
            conditions.append(col(OutboxMessage.claimed_at) < claimed_before)
        async with self._db.session() as session, session.begin():
            result = await session.exec(
                update(OutboxMessage)
                .where(*conditions)
                .values(state=OutboxState.QUEUED.value, claimed_at=None)
            )
            return max(result.rowcount, 0)

    async def next_due(self) -> datetime | None:
        """When the earliest queued message becomes due."""
        async with self._db.session() as session:
            result = await session.exec(
                select(func.min(OutboxMessage.not_before)).where(
                    OutboxMessage.state == OutboxState.QUEUED.value
                )
            )
            return result.one()

    async def counts(self, *, round_id: int | None = None) -> Counter[str]:
        query = select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)
        if round_id is not None:
            query = query.where(OutboxMessage.round_id == round_id)
        async with self._db.session() as session:
            return Counter({state: n for state, n in (await session.exec(query)).all()})

    async def count_of(
        self, *, round_id: int, chef_id: int, kind: str, session: Session | None = None
    ) -> int:
        """How many messages of this kind were ever queued for the chef in the round."""
        async with self._db.joined(session) as s:
            return (
                await s.exec(
                    select(func.count()).where(
                        OutboxMessage.round_id == round_id,
                        OutboxMessage.chef_id == chef_id,
                        OutboxMessage.kind == kind,
                    )
                )
            ).one()

    async def get(self, message_id: int) -> OutboxMessage | None:
        async with self._db.session() as session:
            return await session.get(OutboxMessage, message_id)

    async def forget_recipient(
        self,
        *,
        chef_id: int,
        conversation_ref_ids: Iterable[int],
        session: AsyncSession | None = None,
    ) -> int:
        """Delete every message to (or about) one chef, or through their conversations; how
        many went."""
        refs = list(conversation_ref_ids)
        to_them = col(OutboxMessage.chef_id) == chef_id
        if refs:
            to_them = to_them | col(OutboxMessage.conversation_ref_id).in_(refs)
        async with self._db.joined(session, write=True) as s:
            result = await s.exec(delete(OutboxMessage).where(to_them))
            return int(result.rowcount)

    async def forget_chefs(self, *, round_id: int, session: AsyncSession | None = None) -> int:
        """Delete the round's messages to (or about) a chef; how many went."""
        async with self._db.joined(session, write=True) as s:
            result = await s.exec(
                delete(OutboxMessage).where(
                    col(OutboxMessage.round_id) == round_id,
                    col(OutboxMessage.chef_id).is_not(None),
                )
            )
            return int(result.rowcount)


async def _close_quietly(connection: AsyncConnection, *, invalidate: bool = False) -> None:
    """Close a connection that may already be broken (a broken one is never pooled again)."""
    try:
        if invalidate:
            await connection.invalidate()
        await connection.close()
    except Exception:
        logger.debug("outbox: closing the owner lock's connection failed", exc_info=True)
