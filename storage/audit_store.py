"""The audit log: who did what, when, to which round. Never answer text."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, or_
from sqlmodel import col, select

from storage.database import Database, Session
from storage.models import AuditEvent


class AuditStore:
    """Appends audit events and reads them back."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def prune(
        self, *, organisation_id: int | None, before: datetime, session: Session | None = None
    ) -> int:
        """Delete the organisation's rows (None: the rows of no organisation) older than
        `before`; how many went."""
        query = delete(AuditEvent).where(
            col(AuditEvent.organisation_id) == organisation_id
            if organisation_id is not None
            else col(AuditEvent.organisation_id).is_(None),
            col(AuditEvent.at) < before,
        )
        async with self._db.joined(session, write=True) as s:
            return int((await s.exec(query)).rowcount)

    async def naming(
        self,
        *,
        organisation_id: int,
        principals: Collection[str],
        chef_id: int | None = None,
        session: Session | None = None,
    ) -> int:
        """How many of the organisation's rows name a person: as the one who acted, as the one
        a role was given to or taken from, or as the chef an action was about."""
        names = [p.lower() for p in principals if p]
        about: list[Any] = []
        if names:
            about += [
                col(AuditEvent.actor).in_(names),
                col(AuditEvent.detail)["principal"].as_string().in_(names),
            ]
        if chef_id is not None:
            about.append(col(AuditEvent.detail)["chef"].as_integer() == chef_id)
        if not about:
            return 0
        query = select(func.count()).where(
            AuditEvent.organisation_id == organisation_id, or_(*about)
        )
        async with self._db.joined(session) as s:
            return int((await s.exec(query)).one())

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
