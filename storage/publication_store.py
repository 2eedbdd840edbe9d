"""Published figures of closed rounds: written once, read many times, never changed."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from storage.database import Database, Session
from storage.models import Publication, Round


class PublicationStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, round_id: int, *, session: Session | None = None) -> Publication | None:
        async with self._db.joined(session) as s:
            return await s.get(Publication, round_id)

    async def get_many(
        self, round_ids: Collection[int], *, session: Session | None = None
    ) -> dict[int, Publication]:
        """The kept publications of these rounds, by round id (rounds without one left out)."""
        if not round_ids:
            return {}
        query = select(Publication).where(col(Publication.round_id).in_(list(round_ids)))
        async with self._db.joined(session) as s:
            return {p.round_id: p for p in (await s.exec(query)).all()}

    async def missing(self, *, states: Collection[str]) -> list[int]:
        """Rounds in these states that have published nothing yet, oldest first."""
        query = (
            select(Round.id)
            .where(
                col(Round.state).in_(list(states)),
                ~select(Publication.round_id).where(Publication.round_id == Round.id).exists(),
            )
            .order_by(col(Round.id))
        )
        async with self._db.session() as s:
            return [i for i in (await s.exec(query)).all() if i is not None]

    async def add_once(
        self, round_id: int, figures: dict[str, Any], *, at: datetime
    ) -> Publication:
        """Keep these figures as the round's publication, unless it has one already (another
        replica was first): the publication kept is returned either way."""
        async with self._db.session() as s:
            try:
                async with s.begin():
                    s.add(Publication(round_id=round_id, published_at=at, figures=figures))
            except IntegrityError:
                pass
        found = await self.get(round_id)
        assert found is not None
        return found
