"""Plan and roster files HR sent from Teams (or an upload page's slot), waiting for Verkställ."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, update
from sqlmodel import col, select

from storage.database import Database, Session
from storage.models import PendingImport


class PendingImportStore:
    """Keeps a file by its random token until its HR admin applies or cancels it, or it expires."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(
        self,
        *,
        organisation_id: int,
        token: str,
        uploaded_by: str,
        now: datetime,
        expires_at: datetime,
        file_name: str = "",
        content: bytes | None = None,
        kind: str = "",
    ) -> PendingImport:
        """A file waiting for its admin's answer, or (without content) an upload page's slot."""
        row = PendingImport(
            organisation_id=organisation_id,
            token=token,
            kind=kind,
            file_name=file_name[:255],
            content=content,
            uploaded_by=uploaded_by,
            created_at=now,
            expires_at=expires_at,
        )
        async with self._db.session() as session, session.begin():
            session.add(row)
        return row

    async def get(self, token: str) -> PendingImport | None:
        async with self._db.session() as session:
            return (
                await session.exec(select(PendingImport).where(PendingImport.token == token))
            ).first()

    async def fill(
        self, *, token: str, file_name: str, content: bytes, now: datetime, expires_at: datetime
    ) -> bool:
        """Put the file in an empty slot that has not expired; False when it was used already
        (or expired): a slot takes one file, once."""
        query = (
            update(PendingImport)
            .where(
                col(PendingImport.token) == token,
                col(PendingImport.content).is_(None),
                col(PendingImport.expires_at) > now,
            )
            .values(file_name=file_name[:255], content=content, expires_at=expires_at)
        )
        async with self._db.session() as session, session.begin():
            return int((await session.exec(query)).rowcount) == 1

    async def checked(self, *, token: str, kind: str) -> None:
        """The file was checked as a plan or a roster: that is what Verkställ applies."""
        query = update(PendingImport).where(col(PendingImport.token) == token).values(kind=kind)
        async with self._db.session() as session, session.begin():
            await session.exec(query)

    async def claim(self, *, token: str, now: datetime) -> bool:
        """Mark the file applied, unless it already was or has expired: of two presses on
        Verkställ at once only one gets True."""
        query = (
            update(PendingImport)
            .where(
                col(PendingImport.token) == token,
                col(PendingImport.applied_at).is_(None),
                col(PendingImport.content).is_not(None),
                col(PendingImport.expires_at) > now,
            )
            .values(applied_at=now)
        )
        async with self._db.session() as session, session.begin():
            return int((await session.exec(query)).rowcount) == 1

    async def release(self, *, token: str) -> None:
        """A claimed file that could not be applied after all: it may be tried again."""
        query = (
            update(PendingImport).where(col(PendingImport.token) == token).values(applied_at=None)
        )
        async with self._db.session() as session, session.begin():
            await session.exec(query)

    async def delete(self, *, token: str, session: Session | None = None) -> bool:
        """Remove the file (applied or cancelled); False when it was gone already."""
        query = delete(PendingImport).where(col(PendingImport.token) == token)
        async with self._db.joined(session, write=True) as s:
            return int((await s.exec(query)).rowcount) == 1

    async def latest_upload(
        self, *, organisation_id: int, uploaded_by: str, now: datetime
    ) -> PendingImport | None:
        """The newest file this admin put on an upload page that has not expired or been used."""
        query = (
            select(PendingImport)
            .where(
                PendingImport.organisation_id == organisation_id,
                PendingImport.uploaded_by == uploaded_by,
                col(PendingImport.content).is_not(None),
                col(PendingImport.applied_at).is_(None),
                col(PendingImport.expires_at) > now,
            )
            .order_by(col(PendingImport.created_at).desc(), col(PendingImport.id).desc())
        )
        async with self._db.session() as session:
            return (await session.exec(query)).first()

    async def purge_expired(self, *, now: datetime) -> int:
        """Delete every file and slot past its time (a roster file names people); how many."""
        query = delete(PendingImport).where(col(PendingImport.expires_at) <= now)
        async with self._db.session() as session, session.begin():
            return int((await session.exec(query)).rowcount)
