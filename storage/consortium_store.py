"""Consortia: a programme one organisation shares with member organisations, who is a member
(and was), the members' rounds of it, and what the consortium published per half-year."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from storage.database import Database, Session
from storage.models import (
    Consortium,
    ConsortiumMember,
    ConsortiumPublication,
    Organisation,
    Programme,
    Round,
)


class ConsortiumStore:
    """Reads and writes consortia, their members and their kept figures."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, consortium_id: int, *, session: Session | None = None) -> Consortium | None:
        async with self._db.joined(session) as s:
            return await s.get(Consortium, consortium_id)

    async def of_programme(
        self, programme_id: int, *, session: Session | None = None
    ) -> Consortium | None:
        async with self._db.joined(session) as s:
            query = select(Consortium).where(Consortium.programme_id == programme_id)
            return (await s.exec(query)).first()

    async def owned_by(
        self, organisation_id: int, *, session: Session | None = None
    ) -> list[tuple[Consortium, Programme]]:
        """The consortia an organisation owns, with their programmes, oldest first."""
        query = (
            select(Consortium, Programme)
            .where(Consortium.organisation_id == organisation_id)
            .where(Programme.id == Consortium.programme_id)
            .order_by(col(Consortium.id))
        )
        async with self._db.joined(session) as s:
            return [(c, p) for c, p in (await s.exec(query)).all()]

    async def add(
        self, *, organisation_id: int, programme_id: int, now: datetime, session: Session
    ) -> Consortium:
        consortium = Consortium(
            organisation_id=organisation_id, programme_id=programme_id, created_at=now
        )
        session.add(consortium)
        await session.flush()
        return consortium

    async def add_member(
        self,
        *,
        consortium_id: int,
        organisation_id: int,
        programme_id: int,
        now: datetime,
        session: Session,
    ) -> ConsortiumMember:
        """A new member from `now`, running the shared plan as its programme `programme_id`."""
        member = ConsortiumMember(
            consortium_id=consortium_id,
            organisation_id=organisation_id,
            programme_id=programme_id,
            joined_at=now,
        )
        session.add(member)
        await session.flush()
        return member

    async def membership(
        self, *, consortium_id: int, organisation_id: int, session: Session | None = None
    ) -> ConsortiumMember | None:
        query = select(ConsortiumMember).where(
            ConsortiumMember.consortium_id == consortium_id,
            ConsortiumMember.organisation_id == organisation_id,
        )
        async with self._db.joined(session) as s:
            return (await s.exec(query)).first()

    async def members(
        self, consortium_id: int, *, session: Session | None = None
    ) -> list[tuple[ConsortiumMember, Organisation]]:
        """Every organisation that is or was a member, with its organisation, by name."""
        query = (
            select(ConsortiumMember, Organisation)
            .where(ConsortiumMember.consortium_id == consortium_id)
            .where(Organisation.id == ConsortiumMember.organisation_id)
            .order_by(col(Organisation.name), col(Organisation.id))
        )
        async with self._db.joined(session) as s:
            return [(m, o) for m, o in (await s.exec(query)).all()]

    async def joined_by(
        self, organisation_id: int, *, session: Session | None = None
    ) -> list[tuple[ConsortiumMember, Consortium, Organisation]]:
        """The consortia an organisation is or was a member of, with each owner."""
        query = (
            select(ConsortiumMember, Consortium, Organisation)
            .where(ConsortiumMember.organisation_id == organisation_id)
            .where(Consortium.id == ConsortiumMember.consortium_id)
            .where(Organisation.id == Consortium.organisation_id)
            .order_by(col(Consortium.id))
        )
        async with self._db.joined(session) as s:
            return [(m, c, o) for m, c, o in (await s.exec(query)).all()]

    async def rounds(
        self, programme_ids: Collection[int], *, session: Session | None = None
    ) -> list[Round]:
        """The rounds of these programmes that have opened (they have a day they opened)."""
        query = (
            select(Round)
            .where(col(Round.programme_id).in_(sorted(programme_ids)))
            .where(col(Round.opens_at).is_not(None))
            .order_by(col(Round.id))
        )
        async with self._db.joined(session) as s:
            return list((await s.exec(query)).all())

    async def publication(
        self, consortium_id: int, period: str, *, session: Session | None = None
    ) -> ConsortiumPublication | None:
        async with self._db.joined(session) as s:
            return await s.get(ConsortiumPublication, (consortium_id, period))

    async def publish_once(
        self, consortium_id: int, period: str, figures: dict[str, Any], *, at: datetime
    ) -> ConsortiumPublication:
        """Keep these figures for the half-year unless it has some already (another replica
        was first): the kept ones are returned either way."""
        async with self._db.session() as s:
            try:
                async with s.begin():
                    s.add(
                        ConsortiumPublication(
                            consortium_id=consortium_id,
                            period=period,
                            published_at=at,
                            figures=figures,
                        )
                    )
            except IntegrityError:
                pass
        found = await self.publication(consortium_id, period)
        assert found is not None
        return found
