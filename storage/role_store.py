"""Roles beyond being a chef: HR admins and department leads of an organisation."""

from __future__ import annotations

from sqlmodel import col, select

from storage.database import Database
from storage.models import HrRole


class RoleStore:
    """Looks up the roles a person holds, by Entra object id or UPN."""

    def __init__(self, db: Database) -> None:
        self._db = db

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
