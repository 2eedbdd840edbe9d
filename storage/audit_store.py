"""The audit log: who did what, when, to which round. Never answer text."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import col, select

from storage.database import Database
from storage.models import AuditEvent


class AuditStore:
    """Appends audit events and reads them back."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def record(
        self,
        *,
        actor: str,
        action: str,
        at: datetime,
        organisation_id: int | None = None,
        round_id: int | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        async with self._db.session() as session, session.begin():
            session.add(
                AuditEvent(
                    organisation_id=organisation_id,
                    actor=actor,
                    action=action,
                    at=at,
                    round_id=round_id,
                    detail=detail or {},
                )
            )

    async def since(
        self, moment: datetime, *, organisation_id: int | None = None
    ) -> list[AuditEvent]:
        query = select(AuditEvent).where(col(AuditEvent.at) >= moment)
        if organisation_id is not None:
            query = query.where(AuditEvent.organisation_id == organisation_id)
        async with self._db.session() as session:
            return list((await session.exec(query.order_by(col(AuditEvent.at)))).all())
