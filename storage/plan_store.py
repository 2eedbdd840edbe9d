"""A programme's plan as imported: departments, principles, areas, activities and their links."""

from __future__ import annotations

from collections.abc import Collection

from sqlmodel import col, select

from storage.database import Database, Session
from storage.models import Activity, ActivityDepartment, Area, Department, Principle, Programme


class PlanStore:
    """Reads the plan tables; an import changes the records it read, in the caller's session."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def principle_titles(
        self, programme_ids: Collection[int], *, session: Session | None = None
    ) -> dict[tuple[int, int], str]:
        """(programme id, number) → title of every principle of these programmes, active or
        not (an old answer can name one no longer in the plan)."""
        async with self._db.joined(session) as s:
            rows = (
                await s.exec(
                    select(Principle).where(col(Principle.programme_id).in_(sorted(programme_ids)))
                )
            ).all()
        return {(p.programme_id, p.number): p.title for p in rows}

    async def programmes(
        self, organisation_id: int, *, active_only: bool = False, session: Session | None = None
    ) -> list[Programme]:
        """The organisation's programmes (the active ones only, with `active_only`)."""
        query = select(Programme).where(Programme.organisation_id == organisation_id)
        if active_only:
            query = query.where(col(Programme.active))
        async with self._db.joined(session) as s:
            return list((await s.exec(query)).all())

    async def departments(
        self, organisation_id: int, *, active_only: bool = False, session: Session | None = None
    ) -> list[Department]:
        """The organisation's departments (the active ones only, with `active_only`)."""
        query = select(Department).where(Department.organisation_id == organisation_id)
        if active_only:
            query = query.where(col(Department.active))
        async with self._db.joined(session) as s:
            return list((await s.exec(query)).all())

    async def principles(
        self, programme_id: int, *, active_only: bool = False, session: Session | None = None
    ) -> list[Principle]:
        """The programme's principles by number (the active ones only, with `active_only`)."""
        query = select(Principle).where(Principle.programme_id == programme_id)
        if active_only:
            query = query.where(col(Principle.active))
        query = query.order_by(col(Principle.number))
        async with self._db.joined(session) as s:
            return list((await s.exec(query)).all())

    async def areas(
        self, programme_id: int, *, active_only: bool = False, session: Session | None = None
    ) -> list[Area]:
        """The programme's areas in the plan's order (the active ones only, with `active_only`)."""
        query = select(Area).where(Area.programme_id == programme_id)
        if active_only:
            query = query.where(col(Area.active))
        query = query.order_by(col(Area.position))
        async with self._db.joined(session) as s:
            return list((await s.exec(query)).all())

    async def activities(
        self, programme_id: int, *, active_only: bool = False, session: Session | None = None
    ) -> list[Activity]:
        """The programme's activities in the plan's order (the active ones only, with
        `active_only`)."""
        query = select(Activity).where(Activity.programme_id == programme_id)
        if active_only:
            query = query.where(col(Activity.active))
        query = query.order_by(col(Activity.position))
        async with self._db.joined(session) as s:
            return list((await s.exec(query)).all())

    async def unlink(self, link: ActivityDepartment, *, session: Session) -> None:
        """The activity is no longer for that department (in the caller's transaction)."""
        await session.delete(link)

    async def activity_links(
        self, activity_ids: Collection[int | None], *, session: Session | None = None
    ) -> list[ActivityDepartment]:
        """Which departments these activities are for, when not all."""
        async with self._db.joined(session) as s:
            return list(
                (
                    await s.exec(
                        select(ActivityDepartment).where(
                            col(ActivityDepartment.activity_id).in_(list(activity_ids))
                        )
                    )
                ).all()
            )
