"""Rounds (omgångar) as the follow-up reads them: by id, per organisation, due for retention.

Creating, opening and closing rounds still live in `followup.rounds`; their queries move here
in a later pass."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlmodel import col, select

from storage.database import Database, Session
from storage.models import Round


class RoundStore:
    """Reads rounds."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(
        self, round_id: int, *, lock: bool = False, session: Session | None = None
    ) -> Round | None:
        """One round; `lock` (with the caller's session): for update, until its transaction ends."""
        async with self._db.joined(session) as s:
            return await s.get(Round, round_id, with_for_update=lock)

    async def of_organisation(
        self, organisation_id: int, *, session: Session | None = None
    ) -> list[Round]:
        """Every round of the organisation, newest deadline first."""
        async with self._db.joined(session) as s:
            return list(
                (
                    await s.exec(
                        select(Round)
                        .where(Round.organisation_id == organisation_id)
                        .order_by(col(Round.deadline).desc(), col(Round.id).desc())
                    )
                ).all()
            )

    async def closed_unretained(
        self,
        *,
        organisation_id: int,
        closed_by: datetime,
        states: Collection[str],
        session: Session | None = None,
    ) -> list[int]:
        """Ids of the organisation's rounds in `states` that closed by `closed_by` and that
        retention has not handled yet, oldest close first."""
        async with self._db.joined(session) as s:
            rows = (
                await s.exec(
                    select(Round.id)
                    .where(
                        Round.organisation_id == organisation_id,
                        col(Round.state).in_(list(states)),
                        col(Round.closed_at).is_not(None),
                        col(Round.closed_at) <= closed_by,
                        col(Round.retained_at).is_(None),
                    )
                    .order_by(col(Round.closed_at), col(Round.id))
                )
            ).all()
        return [round_id for round_id in rows if round_id is not None]
