"""Drafts of answers already sent in: one row per invitation and step, kept until the chef sends
them in again, discards them, or the round closes."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col, delete, select

from storage.database import Database, Session
from storage.models import AnswerDraft, Invitation, InvitationState, Round, RoundState


class StaleDraft(Exception):
    """The answers are not (or no longer) the sending-in the change was made to: nothing kept."""


class DraftStore:
    """Reads and writes the drafts of invitations."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def of_invitation(
        self, invitation_id: int, *, session: Session | None = None
    ) -> dict[str, dict[str, Any]]:
        """The invitation's drafts: step → the step's form values."""
        async with self._db.joined(session) as s:
            rows = (
                await s.exec(
                    select(AnswerDraft)
                    .where(AnswerDraft.invitation_id == invitation_id)
                    .order_by(col(AnswerDraft.id))
                )
            ).all()
        return {row.step: dict(row.values) for row in rows}

    async def of_invitations(
        self, invitation_ids: Collection[int], *, session: Session | None = None
    ) -> list[AnswerDraft]:
        """Every draft of these invitations, oldest first."""
        async with self._db.joined(session) as s:
            rows = (
                await s.exec(
                    select(AnswerDraft)
                    .where(col(AnswerDraft.invitation_id).in_(list(invitation_ids)))
                    .order_by(col(AnswerDraft.invitation_id), col(AnswerDraft.id))
                )
            ).all()
        return list(rows)

    async def put(
        self,
        *,
        invitation_id: int,
        step: str,
        values: Mapping[str, Any] | None,
        sent: datetime | None,
        now: datetime,
    ) -> None:
        """Keep a step's changed values (None: the step is back as sent in, its draft goes),
        only while the answers are still the sending-in at `sent`; else raises StaleDraft."""
        insert = pg_insert if self._db.is_postgres else sqlite_insert
        async with self._db.session() as session, session.begin():
            # the invitation locked: a sending-in at the same moment waits, or came first
            invitation = await session.get(Invitation, invitation_id, with_for_update=True)
            if (
                invitation is None
                or invitation.state != InvitationState.SUBMITTED
                or sent is None
                or invitation.submitted_at != sent
            ):
                raise StaleDraft(invitation_id)
            if values is None:
                await session.exec(
                    delete(AnswerDraft).where(
                        col(AnswerDraft.invitation_id) == invitation_id,
                        col(AnswerDraft.step) == step,
                    )
                )
                return
            row = {"invitation_id": invitation_id, "step": step, "values": dict(values)}
            statement = insert(AnswerDraft).values({**row, "updated_at": now})
            await session.exec(
                statement.on_conflict_do_update(
                    index_elements=["invitation_id", "step"],
                    set_={"values": statement.excluded["values"], "updated_at": now},
                )
            )

    async def take(
        self, invitation_id: int, *, session: Session
    ) -> tuple[Invitation | None, dict[str, dict[str, Any]]]:
        """In the caller's transaction: the invitation, locked (a second sending-in at the same
        moment waits and then finds no drafts), and its drafts."""
        invitation = await session.get(Invitation, invitation_id, with_for_update=True)
        return invitation, await self.of_invitation(invitation_id, session=session)

    async def clear(
        self, invitation_ids: Collection[int], *, session: Session | None = None
    ) -> int:
        """Delete every draft of these invitations; how many went."""
        async with self._db.joined(session, write=True) as s:
            result = await s.exec(
                delete(AnswerDraft).where(col(AnswerDraft.invitation_id).in_(list(invitation_ids)))
            )
        return int(result.rowcount)

    async def clear_round(self, round_id: int, *, session: Session | None = None) -> int:
        """Delete the drafts of one round's invitations; how many went."""
        invitations = select(Invitation.id).where(Invitation.round_id == round_id)
        async with self._db.joined(session, write=True) as s:
            result = await s.exec(
                delete(AnswerDraft).where(col(AnswerDraft.invitation_id).in_(invitations))
            )
        return int(result.rowcount)

    async def clear_not_open(self, *, session: Session | None = None) -> int:
        """Delete the drafts of every round that is not open (a change nobody can send in any
        more); how many went."""
        invitations = (
            select(Invitation.id)
            .join(Round, col(Round.id) == col(Invitation.round_id))
            .where(Round.state != RoundState.OPEN)
        )
        async with self._db.joined(session, write=True) as s:
            result = await s.exec(
                delete(AnswerDraft).where(col(AnswerDraft.invitation_id).in_(invitations))
            )
        return int(result.rowcount)
