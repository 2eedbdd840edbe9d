"""Answers of one invitation: activity statuses, free texts and ratings, saved per card."""

from __future__ import annotations

import functools
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import (
    BindParameter,
    ColumnClause,
    CompoundSelect,
    Integer,
    String,
    Text,
    and_,
    bindparam,
    cast,
    literal,
    literal_column,
    or_,
    union_all,
)
from sqlalchemy import select as core_select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col, delete, select, update

from storage.database import Database, Session
from storage.models import (
    Activity,
    ActivityStatusAnswer,
    Invitation,
    InvitationState,
    RatingAnswer,
    ReflectionAnswer,
)

Key = tuple[str, str]  # (section, key)


@dataclass
class Answers:
    """Everything one chef has answered in one round so far."""

    statuses: dict[int, tuple[str, str]] = field(default_factory=dict)  # activity → status, comment
    texts: dict[Key, str] = field(default_factory=dict)
    ratings: dict[Key, int] = field(default_factory=dict)


class Stamp(NamedTuple):
    """An answer row's id, its invitation and when it last changed."""

    id: int
    invitation_id: int
    updated_at: datetime


@dataclass(frozen=True)
class Stamps:
    """Every answer row of some invitations, by kind."""

    statuses: list[Stamp]
    texts: list[Stamp]
    ratings: list[Stamp]


_STATUS, _TEXT, _RATING = 0, 1, 2


@functools.cache
def _answers_of() -> CompoundSelect:
    """Every answer of the invitations `:ids`, one row each, whatever its kind: (invitation,
    kind, activity, section, key, status or text, comment, value). Built once."""
    ids: BindParameter[int] = bindparam("ids", expanding=True)
    nothing: ColumnClause[Any] = literal_column("NULL")
    statuses = core_select(
        col(ActivityStatusAnswer.invitation_id),
        literal(_STATUS).label("kind"),
        col(ActivityStatusAnswer.activity_id),
        cast(nothing, String).label("section"),
        cast(nothing, String).label("key"),
        cast(col(ActivityStatusAnswer.status), Text).label("text"),
        col(ActivityStatusAnswer.comment),
        cast(nothing, Integer).label("value"),
    ).where(col(ActivityStatusAnswer.invitation_id).in_(ids))
    texts = core_select(
        col(ReflectionAnswer.invitation_id),
        literal(_TEXT),
        cast(nothing, Integer),
        col(ReflectionAnswer.section),
        col(ReflectionAnswer.key),
        col(ReflectionAnswer.text),
        cast(nothing, Text),
        cast(nothing, Integer),
    ).where(col(ReflectionAnswer.invitation_id).in_(ids))
    ratings = core_select(
        col(RatingAnswer.invitation_id),
        literal(_RATING),
        cast(nothing, Integer),
        col(RatingAnswer.section),
        col(RatingAnswer.key),
        cast(nothing, Text),
        cast(nothing, Text),
        col(RatingAnswer.value),
    ).where(col(RatingAnswer.invitation_id).in_(ids))
    return union_all(statuses, texts, ratings)


class AlreadySubmitted(Exception):
    """The answers were sent in; changes to them wait as drafts until sent in again."""


class AnswerStore:
    """Reads and writes the answers of invitations."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def load(self, invitation_id: int, *, session: Session | None = None) -> Answers:
        return (await self.load_many((invitation_id,), session=session))[invitation_id]

    async def load_many(
        self, invitation_ids: Collection[int], *, session: Session | None = None
    ) -> dict[int, Answers]:
        """The answers of each of a few invitations (a chef's now and last round's): the three
        kinds of answer in one statement."""
        loaded = {i: Answers() for i in invitation_ids}
        if not loaded:
            return loaded
        async with self._db.joined(session) as session:
            for invitation_id, kind, activity_id, section, key, text, comment, value in (
                await (await session.connection()).execute(_answers_of(), {"ids": list(loaded)})
            ).all():
                answers = loaded[invitation_id]
                if kind == _STATUS:
                    answers.statuses[activity_id] = (text, comment)
                elif kind == _TEXT:
                    answers.texts[(section, key)] = text
                else:
                    answers.ratings[(section, key)] = value
        return loaded

    async def save(
        self,
        *,
        invitation_id: int,
        now: datetime,
        statuses: Mapping[int, tuple[str, str]] | None = None,
        texts: Mapping[Key, str] | None = None,
        ratings: Mapping[Key, int] | None = None,
    ) -> None:
        """Upsert the answers of one card and mark the invitation started, in one transaction.

        An empty text removes the earlier one. Answers sent in are changed only by sending
        changes in (`submit` with `changes`): raises AlreadySubmitted."""
        async with self._db.session() as session, session.begin():
            invitation = await session.get(Invitation, invitation_id, with_for_update=True)
            if invitation is None:
                raise LookupError(invitation_id)
            if invitation.state == InvitationState.SUBMITTED:
                raise AlreadySubmitted(invitation_id)
            await self._write(
                session,
                invitation_id=invitation_id,
                now=now,
                answers=Answers(
                    statuses=dict(statuses or {}),
                    texts=dict(texts or {}),
                    ratings=dict(ratings or {}),
                ),
            )
            if invitation.state in (
                InvitationState.PENDING,
                InvitationState.DELIVERED,
                InvitationState.UNREACHABLE,
            ):
                invitation.state = InvitationState.STARTED
            invitation.started_at = invitation.started_at or now

    async def submit(
        self,
        *,
        invitation_id: int,
        now: datetime,
        changes: Sequence[Answers] = (),
        session: Session | None = None,
    ) -> bool:
        """Mark the answers sent in; False when they already were and nothing changed (a
        second click). `changes`: steps changed since answers were sent in, written (by the
        same writer as a step) and sent in with them.

        With `session`, inside the caller's transaction (the receipt is queued in the same)."""
        async with self._db.joined(session, write=True) as s:
            invitation = await s.get(Invitation, invitation_id, with_for_update=True)
            if invitation is None:
                raise LookupError(invitation_id)
            if invitation.state == InvitationState.SUBMITTED and not changes:
                return False
            for change in changes:
                await self._write(s, invitation_id=invitation_id, now=now, answers=change)
            invitation.state = InvitationState.SUBMITTED
            invitation.submitted_at = now
            invitation.started_at = invitation.started_at or now
            return True

    async def _write(
        self, session: Session, *, invitation_id: int, now: datetime, answers: Answers
    ) -> None:
        """The one writer of the answer tables: upsert one step's answers (an empty text
        removes the earlier one), in the caller's transaction."""
        insert = pg_insert if self._db.is_postgres else sqlite_insert
        statuses, texts, ratings = answers.statuses, answers.texts, answers.ratings
        status_rows = [
            {
                "invitation_id": invitation_id,
                "activity_id": activity_id,
                "status": status,
                "comment": comment,
                "updated_at": now,
            }
            for activity_id, (status, comment) in statuses.items()
        ]
        text_rows = [
            {
                "invitation_id": invitation_id,
                "section": section,
                "key": key,
                "text": text,
                "updated_at": now,
            }
            for (section, key), text in texts.items()
            if text
        ]
        rating_rows = [
            {
                "invitation_id": invitation_id,
                "section": section,
                "key": key,
                "value": value,
                "updated_at": now,
            }
            for (section, key), value in ratings.items()
        ]
        # one statement a table, however many answers the card held
        for model, keys, rows in (
            (ActivityStatusAnswer, ["invitation_id", "activity_id"], status_rows),
            (ReflectionAnswer, ["invitation_id", "section", "key"], text_rows),
            (RatingAnswer, ["invitation_id", "section", "key"], rating_rows),
        ):
            if rows:
                # the statement built once per table (`_upsert`), the rows as its parameters:
                # no new statement to build and compile on every press
                connection = await session.connection()
                upsert = _upsert(insert, model, tuple(keys), tuple(rows[0]))
                await connection.execute(upsert, rows)
        cleared = [key for key, text in texts.items() if not text]
        if cleared:
            await session.exec(
                delete(ReflectionAnswer).where(
                    col(ReflectionAnswer.invitation_id) == invitation_id,
                    or_(
                        *(
                            and_(
                                col(ReflectionAnswer.section) == section,
                                col(ReflectionAnswer.key) == key,
                            )
                            for section, key in cleared
                        )
                    ),
                )
            )

    async def remind_later(self, *, invitation_id: int, at: datetime) -> None:
        async with self._db.session() as session, session.begin():
            invitation = await session.get(Invitation, invitation_id)
            if invitation is not None:
                invitation.remind_later_at = at

    async def of_invitations(
        self, invitation_ids: Collection[int], *, session: Session | None = None
    ) -> tuple[
        list[tuple[ActivityStatusAnswer, Activity]], list[ReflectionAnswer], list[RatingAnswer]
    ]:
        """The answers of these invitations: statuses with their activities (in plan order),
        texts and ratings (by section and key)."""
        ids = list(invitation_ids)
        async with self._db.joined(session) as s:
            statuses = (
                await s.exec(
                    select(ActivityStatusAnswer, Activity)
                    .join(Activity, col(Activity.id) == col(ActivityStatusAnswer.activity_id))
                    .where(col(ActivityStatusAnswer.invitation_id).in_(ids))
                    .order_by(col(Activity.position), col(Activity.id))
                )
            ).all()
            texts = (
                await s.exec(
                    select(ReflectionAnswer)
                    .where(col(ReflectionAnswer.invitation_id).in_(ids))
                    .order_by(col(ReflectionAnswer.section), col(ReflectionAnswer.key))
                )
            ).all()
            ratings = (
                await s.exec(
                    select(RatingAnswer)
                    .where(col(RatingAnswer.invitation_id).in_(ids))
                    .order_by(col(RatingAnswer.section), col(RatingAnswer.key))
                )
            ).all()
        return [(a, b) for a, b in statuses], list(texts), list(ratings)

    async def stamps(
        self, invitation_ids: Collection[int], *, session: Session | None = None
    ) -> Stamps:
        """Which answer rows these invitations have, and when each last changed."""
        ids = list(invitation_ids)
        found: list[list[Stamp]] = []
        async with self._db.joined(session) as s:
            for model in (ActivityStatusAnswer, ReflectionAnswer, RatingAnswer):
                rows = (
                    await s.exec(
                        select(model.id, model.invitation_id, model.updated_at).where(
                            col(model.invitation_id).in_(ids)
                        )
                    )
                ).all()
                found.append([Stamp(*row) for row in rows])
        return Stamps(*found)

    async def delete(
        self,
        *,
        statuses: Collection[int] = (),
        texts: Collection[int] = (),
        ratings: Collection[int] = (),
        session: Session | None = None,
    ) -> None:
        """Delete answer rows by id."""
        async with self._db.joined(session, write=True) as s:
            for model, ids in (
                (ActivityStatusAnswer, statuses),
                (ReflectionAnswer, texts),
                (RatingAnswer, ratings),
            ):
                if ids:
                    await s.exec(delete(model).where(col(model.id).in_(list(ids))))

    async def purge(
        self, invitation_ids: Collection[int], *, session: Session | None = None
    ) -> int:
        """Delete every answer of these invitations; how many rows went."""
        ids = list(invitation_ids)
        deleted = 0
        async with self._db.joined(session, write=True) as s:
            for model in (ActivityStatusAnswer, ReflectionAnswer, RatingAnswer):
                result = await s.exec(delete(model).where(col(model.invitation_id).in_(ids)))
                deleted += result.rowcount
        return deleted

    async def anonymise(
        self, invitation_ids: Collection[int], *, at: datetime, session: Session | None = None
    ) -> int:
        """Remove the free texts of these invitations (reflections, and the comments beside
        statuses) and set every remaining answer's last change to `at`; how many texts went."""
        ids = list(invitation_ids)
        async with self._db.joined(session, write=True) as s:
            removed = await s.exec(
                delete(ReflectionAnswer).where(col(ReflectionAnswer.invitation_id).in_(ids))
            )
            cleared = await s.exec(
                update(ActivityStatusAnswer)
                .where(
                    col(ActivityStatusAnswer.invitation_id).in_(ids),
                    col(ActivityStatusAnswer.comment) != "",
                )
                .values(comment="")
            )
            # when each answer was last changed could tell one chef from another
            for model in (ActivityStatusAnswer, RatingAnswer):
                await s.exec(
                    update(model).where(col(model.invitation_id).in_(ids)).values(updated_at=at)
                )
        return int(removed.rowcount + cleared.rowcount)


@functools.cache
def _upsert(insert: Any, model: Any, keys: tuple[str, ...], columns: tuple[str, ...]) -> Any:
    statement = insert(model)
    return statement.on_conflict_do_update(
        index_elements=list(keys),
        set_={name: statement.excluded[name] for name in columns if name not in keys},
    )
