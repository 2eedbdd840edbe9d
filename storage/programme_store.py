"""Programmes (the multi-year plans rounds follow): the active ones, their calendar under a lock,
and the version readers cache a plan by."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col, select

from storage.database import Database, Session
from storage.models import Programme


class ProgrammeStore:
    """Reads programmes; a calendar change updates the locked row in the caller's session."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, programme_id: int, *, session: Session | None = None) -> Programme | None:
        async with self._db.joined(session) as s:
            return await s.get(Programme, programme_id)

    async def active(
        self,
        *,
        organisation_id: int | None = None,
        programme_id: int | None = None,
        session: Session | None = None,
    ) -> list[Programme]:
        """The active programmes: all of them, the organisation's, or the one named."""
        query = select(Programme).where(col(Programme.active))
        if organisation_id is not None:
            query = query.where(Programme.organisation_id == organisation_id)
        if programme_id is not None:
            query = query.where(Programme.id == programme_id)
        async with self._db.joined(session) as s:
            return list((await s.exec(query.order_by(col(Programme.id)))).all())

    async def by_code(
        self, *, organisation_id: int, code: str, session: Session
    ) -> Programme | None:
        """The organisation's programme with this code (case and surrounding space aside; in
        Python, as SQLite folds only ASCII), locked for update until the caller's transaction
        ends."""
        wanted = code.strip().casefold()
        programmes = (
            await session.exec(
                select(Programme)
                .where(Programme.organisation_id == organisation_id)
                .order_by(col(Programme.id))
                .with_for_update()
            )
        ).all()
        return next((p for p in programmes if p.code.strip().casefold() == wanted), None)

    async def calendar(
        self, *, programme_id: int, organisation_id: int, session: Session
    ) -> Programme | None:
        """The organisation's programme, locked for update until the caller's transaction
        ends, so two calendar changes never interleave (None: no such programme there)."""
        return (
            await session.exec(
                select(Programme)
                .where(Programme.id == programme_id, Programme.organisation_id == organisation_id)
                .with_for_update()
            )
        ).first()

    async def version(self, programme_id: int, *, session: Session | None = None) -> datetime:
        """When the programme's plan last changed (an import bumps it); raises when there is
        no such programme."""
        async with self._db.joined(session) as s:
            return (
                await s.exec(select(Programme.updated_at).where(Programme.id == programme_id))
            ).one()
