"""Roles beyond being a chef: HR admins and department leads of an organisation."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col, select

from storage.database import Database
from storage.models import HrRole


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
                    select(HrRole).where(
                        HrRole.organisation_id == organisation_id,
                        HrRole.principal == principal,
                        HrRole.role == role,
                        HrRole.department_id == department_id,
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
