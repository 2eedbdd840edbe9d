"""Roles beyond being a chef: HR admins and department leads of an organisation."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import delete
from sqlmodel import col, select
from sqlmodel.sql.expression import SelectOfScalar

from storage.database import Database, Session
from storage.models import HrRole, Role


class LastHrAdmin(Exception):
    """Revoking this role would leave the organisation without an HR admin to run rounds."""


def _rows_of(
    *, organisation_id: int, principal: str, role: str, department_id: int | None
) -> SelectOfScalar[HrRole]:
    """The rows that hold one role (a lead's of one department) for one person."""
    return select(HrRole).where(
        HrRole.organisation_id == organisation_id,
        HrRole.principal == principal,
        HrRole.role == role,
        HrRole.department_id == department_id,
    )


class RoleStore:
    """Grants and looks up the roles a person holds, by Entra object id or UPN."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def grant(
        self,
        *,
        organisation_id: int,
        principal: str,
        role: str,
        created_by: str,
        now: datetime,
        department_id: int | None = None,
    ) -> bool:
        """Grant a role; False when the person already had it."""
        principal = principal.strip().lower()
        async with self._db.session() as session, session.begin():
            existing = (
                await session.exec(
                    _rows_of(
                        organisation_id=organisation_id,
                        principal=principal,
                        role=role,
                        department_id=department_id,
                    )
                )
            ).first()
            if existing is not None:
                return False
            session.add(
                HrRole(
                    organisation_id=organisation_id,
                    principal=principal,
                    role=role,
                    department_id=department_id,
                    created_by=created_by,
                    created_at=now,
                )
            )
        return True

    async def roles_of(
        self, *, organisation_id: int, aad_object_id: str | None, upn: str | None
    ) -> list[HrRole]:
        principals = [p.strip().lower() for p in (aad_object_id, upn) if p and p.strip()]
        if not principals:
            return []
        async with self._db.session() as session:
            return list(
                (
                    await session.exec(
                        select(HrRole).where(
                            HrRole.organisation_id == organisation_id,
                            col(HrRole.principal).in_(principals),
                        )
                    )
                ).all()
            )

    async def revoke(
        self,
        *,
        organisation_id: int,
        principal: str,
        role: str,
        department_id: int | None = None,
    ) -> bool:
        """Take a role back; False when the person did not have it. Raises `LastHrAdmin`
        rather than leave nobody who can run the organisation's rounds."""
        principal = principal.strip().lower()
        async with self._db.session() as session, session.begin():
            # the organisation's admin rows locked together: two HR admins removing each
            # other at the same moment cannot both succeed
            admins = (
                await session.exec(
                    select(HrRole)
                    .where(HrRole.organisation_id == organisation_id, HrRole.role == Role.HR_ADMIN)
                    .with_for_update()
                )
            ).all()
            held = (
                await session.exec(
                    _rows_of(
                        organisation_id=organisation_id,
                        principal=principal,
                        role=role,
                        department_id=department_id,
                    )
                )
            ).all()
            if not held:
                return False
            if role == Role.HR_ADMIN and not {a.principal for a in admins} - {principal}:
                raise LastHrAdmin(principal)
            for row in held:
                await session.delete(row)
        return True

    async def of_principals(
        self,
        *,
        organisation_id: int,
        principals: Collection[str],
        session: Session | None = None,
    ) -> list[HrRole]:
        """The roles held in the organisation under any of these names (object id, UPN)."""
        if not principals:
            return []
        async with self._db.joined(session) as s:
            return list(
                (
                    await s.exec(
                        select(HrRole)
                        .where(
                            HrRole.organisation_id == organisation_id,
                            col(HrRole.principal).in_([p.lower() for p in principals]),
                        )
                        .order_by(col(HrRole.created_at), col(HrRole.id))
                    )
                ).all()
            )

    async def delete(self, role_ids: Collection[int], *, session: Session | None = None) -> int:
        """Delete these role rows, even the last HR admin's (for someone who has left; an
        organisation gets one again with `ledarpuls hr add`); how many went."""
        if not role_ids:
            return 0
        async with self._db.joined(session, write=True) as s:
            result = await s.exec(delete(HrRole).where(col(HrRole.id).in_(list(role_ids))))
            return int(result.rowcount)

    async def holders(self, organisation_id: int) -> list[HrRole]:
        """Everyone with a role in the organisation: HR admins first, then department leads."""
        async with self._db.session() as session:
            rows = (
                await session.exec(select(HrRole).where(HrRole.organisation_id == organisation_id))
            ).all()
        return sorted(
            rows, key=lambda r: (r.role != Role.HR_ADMIN, r.department_id or 0, r.principal)
        )
