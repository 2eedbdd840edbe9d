"""The roster as the bot sees it: finding a chef by identity, enrolling, reachability."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime

from sqlalchemy import func, or_
from sqlmodel import col, select

from storage.database import Database, Session
from storage.models import Chef, EnrolmentSource


class ChefStore:
    """Reads and updates chefs of the roster."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def active(self, organisation_id: int) -> list[Chef]:
        """The organisation's active chefs, by name."""
        async with self._db.session() as session:
            return list(
                (
                    await session.exec(
                        select(Chef)
                        .where(Chef.organisation_id == organisation_id, col(Chef.active))
                        .order_by(col(Chef.name))
                    )
                ).all()
            )

    async def roster(self, organisation_id: int, *, session: Session | None = None) -> list[Chef]:
        """Every chef of the organisation, active or not."""
        async with self._db.joined(session) as s:
            return list(
                (await s.exec(select(Chef).where(Chef.organisation_id == organisation_id))).all()
            )

    async def audience(
        self,
        *,
        organisation_id: int,
        department_ids: Collection[int] | None = None,
        session: Session | None = None,
    ) -> list[Chef]:
        """The organisation's active chefs (in these departments, unless None), by id."""
        query = select(Chef).where(Chef.organisation_id == organisation_id, col(Chef.active))
        if department_ids is not None:
            query = query.where(col(Chef.department_id).in_(list(department_ids)))
        async with self._db.joined(session) as s:
            return list((await s.exec(query.order_by(col(Chef.id)))).all())

    async def get(
        self, chef_id: int, *, lock: bool = False, session: Session | None = None
    ) -> Chef | None:
        """One chef; `lock` (with the caller's session): for update, until its transaction ends."""
        async with self._db.joined(session) as s:
            return await s.get(Chef, chef_id, with_for_update=lock)

    async def by_ids(
        self, chef_ids: Collection[int], *, session: Session | None = None
    ) -> dict[int, Chef]:
        """These chefs by id (one query for a whole batch)."""
        if not chef_ids:
            return {}
        async with self._db.joined(session) as s:
            rows = (await s.exec(select(Chef).where(col(Chef.id).in_(list(chef_ids))))).all()
        return {c.id: c for c in rows if c.id is not None}

    async def find(
        self, *, organisation_id: int, query: str, limit: int, session: Session | None = None
    ) -> list[Chef]:
        """Chefs of the organisation (active first, then by name) whose name, UPN or e-mail
        holds `query`, ignoring case; those whose identity retention removed are left out."""
        like = f"%{query.strip().casefold()}%"
        found = (
            select(Chef)
            .where(
                Chef.organisation_id == organisation_id,
                col(Chef.removed_at).is_(None),
                or_(
                    func.lower(col(Chef.name)).like(like),
                    col(Chef.upn).like(like),
                    func.lower(col(Chef.email)).like(like),
                ),
            )
            .order_by(col(Chef.active).desc(), col(Chef.name), col(Chef.id))
            .limit(limit)
        )
        async with self._db.joined(session) as s:
            return list((await s.exec(found)).all())

    async def match(
        self,
        *,
        organisation_id: int,
        aad_object_id: str | None,
        upn: str | None,
        email: str | None,
    ) -> Chef | None:
        """By Entra object id first, then by UPN, then by e-mail (active or not)."""
        async with self._db.session() as session:
            if aad_object_id:
                chef = (
                    await session.exec(
                        select(Chef).where(
                            Chef.organisation_id == organisation_id,
                            Chef.aad_object_id == aad_object_id.lower(),
                        )
                    )
                ).first()
                if chef is not None:
                    return chef
            names = [n.strip().lower() for n in (upn, email) if n and n.strip()]
            for name in names:
                chef = (
                    await session.exec(
                        select(Chef).where(
                            Chef.organisation_id == organisation_id,
                            or_(col(Chef.upn) == name, func.lower(col(Chef.email)) == name),
                        )
                    )
                ).first()
                if chef is not None:
                    return chef
        return None

    async def link_identity(
        self, *, chef_id: int, aad_object_id: str, now: datetime, session: Session | None = None
    ) -> None:
        """Remember the Entra object id the first time a chef from the roster is seen (never
        one another chef of the organisation already has)."""
        identity = aad_object_id.lower()
        async with self._db.joined(session, write=True) as s:
            chef = await s.get(Chef, chef_id)
            if chef is None or chef.aad_object_id:
                return
            held = select(Chef.id).where(
                Chef.organisation_id == chef.organisation_id, Chef.aad_object_id == identity
            )
            if (await s.exec(held)).first() is None:
                chef.aad_object_id = identity
                chef.updated_at = now

    async def enrol(
        self,
        *,
        organisation_id: int,
        upn: str,
        name: str,
        now: datetime,
        aad_object_id: str | None = None,
        email: str | None = None,
    ) -> Chef:
        """Add a chef who enrolled themselves (the organisation allows it)."""
        chef = Chef(
            organisation_id=organisation_id,
            upn=upn.strip().lower(),
            email=(email or upn).strip().lower(),
            name=name.strip() or upn,
            aad_object_id=aad_object_id.lower() if aad_object_id else None,
            source=EnrolmentSource.SELF,
            created_at=now,
            updated_at=now,
        )
        async with self._db.session() as session, session.begin():
            session.add(chef)
        return chef

    async def set_reachable(self, *, chef_id: int, now: datetime, code: str | None = None) -> None:
        """`code` None: reachable again; else why the chef cannot be reached."""
        async with self._db.session() as session, session.begin():
            chef = await session.get(Chef, chef_id)
            if chef is None:
                return
            chef.unreachable_code = code
            chef.unreachable_at = now if code else None
            chef.updated_at = now

    async def departed(
        self, *, organisation_id: int, left_by: datetime, session: Session | None = None
    ) -> list[Chef]:
        """Chefs who left the roster at `left_by` or before and still have their identity."""
        query = select(Chef).where(
            Chef.organisation_id == organisation_id,
            col(Chef.active).is_(False),
            col(Chef.left_at).is_not(None),
            col(Chef.left_at) <= left_by,
            col(Chef.removed_at).is_(None),
        )
        async with self._db.joined(session) as s:
            return list((await s.exec(query.order_by(col(Chef.id)))).all())

    @staticmethod
    def remove_identity(chef: Chef, *, now: datetime) -> None:
        """Make a (locked) chef's row a tombstone: who it was goes, its id, organisation and
        department stay, so invitations and a round's figures per department stay whole. The
        placeholder UPN is no address, so no roster row or Teams user ever matches it."""
        chef.name = ""
        chef.upn = f"removed:{chef.id}"
        chef.email = ""
        chef.unit = ""
        chef.aad_object_id = None
        chef.on_leave_until = None
        chef.unreachable_code = None
        chef.unreachable_at = None
        chef.removed_at = now
        chef.updated_at = now

    async def set_on_leave(
        self,
        *,
        organisation_id: int,
        until: date | None,
        now: datetime,
        upn: str | None = None,
        chef_id: int | None = None,
    ) -> Chef | None:
        """Mark an active chef (by id, else by UPN) on leave until a date (None: back); None
        when there is no such chef."""
        query = select(Chef).where(Chef.organisation_id == organisation_id, col(Chef.active))
        if chef_id is not None:
            query = query.where(Chef.id == chef_id)
        else:
            query = query.where(Chef.upn == (upn or "").strip().lower())
        async with self._db.session() as session, session.begin():
            chef = (await session.exec(query)).first()
            if chef is None:
                return None
            chef.on_leave_until = until
            chef.updated_at = now
        return chef
