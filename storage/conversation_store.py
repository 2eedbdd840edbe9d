"""Stored Teams conversation references: what the bot needs to message a user first."""

from __future__ import annotations

import functools
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, delete, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.database import Database, Session
from storage.models import Chef, ConversationRef, Organisation


async def _by_user(session: AsyncSession, tenant_id: str, user_id: str) -> ConversationRef | None:
    query = select(ConversationRef).where(
        ConversationRef.tenant_id == tenant_id, ConversationRef.user_id == user_id
    )
    return (await session.exec(query)).first()


@dataclass(frozen=True)
class Refreshed:
    """A conversation reference kept current, and its organisation's default language."""

    ref: ConversationRef
    default_language: str | None


@functools.cache
def _sender_and_language() -> Any:
    """The conversation of `:user_id` in `:tenant_id` and its organisation's default language:
    read on every turn, so built once."""
    return (
        select(ConversationRef, Organisation.default_language)
        .join(
            Organisation,
            col(Organisation.tenant_id) == col(ConversationRef.tenant_id),
            isouter=True,
        )
        .where(
            col(ConversationRef.tenant_id) == bindparam("tenant_id"),
            col(ConversationRef.user_id) == bindparam("user_id"),
        )
    )


class ConversationStore:
    """Remembers the personal conversation of each user, refreshed on every inbound activity."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def remember(
        self,
        *,
        tenant_id: str,
        user_id: str,
        conversation_id: str,
        service_url: str,
        reference: dict[str, Any],
        now: datetime,
        aad_object_id: str | None = None,
        upn: str | None = None,
        locale: str | None = None,
        timezone: str | None = None,
        organisation_id: int | None = None,
        chef_id: int | None = None,
    ) -> tuple[ConversationRef, bool]:
        """Insert or update; True when the conversation is new or was uninstalled before."""
        # Teams announces an install twice at once (installationUpdate and conversationUpdate):
        # when the other turn inserts the row between this one's read and insert, this one
        # fails on the unique key and, tried again, updates the row instead
        for attempt in range(2):
            try:
                async with self._db.session() as session, session.begin():
                    ref = await _by_user(session, tenant_id, user_id)
                    fresh = ref is None or not ref.installed
                    if ref is None:
                        ref = ConversationRef(
                            tenant_id=tenant_id, user_id=user_id, conversation_id="", service_url=""
                        )
                        session.add(ref)
                    ref.conversation_id = conversation_id
                    ref.service_url = service_url
                    ref.reference = reference
                    ref.installed = True
                    ref.updated_at = now
                    ref.aad_object_id = aad_object_id or ref.aad_object_id
                    ref.upn = upn.strip().lower() if upn else ref.upn
                    ref.locale = locale or ref.locale
                    ref.timezone = timezone or ref.timezone
                    ref.organisation_id = organisation_id or ref.organisation_id
                    ref.chef_id = chef_id or ref.chef_id
                return ref, fresh
            except IntegrityError:
                if attempt:
                    raise
        raise AssertionError("unreachable")

    async def refresh(
        self,
        *,
        tenant_id: str,
        user_id: str,
        service_url: str,
        now: datetime,
        locale: str | None = None,
        timezone: str | None = None,
    ) -> Refreshed | None:
        """Keep serviceUrl, locale and time zone current; None when there is no such reference.
        With it, the default language of the tenant's organisation (what the person is answered
        in unless they chose one): one read on an ordinary turn, and a write only when
        something changed."""
        async with self._db.reading() as session:
            row = (
                await session.exec(
                    _sender_and_language(), params={"tenant_id": tenant_id, "user_id": user_id}
                )
            ).first()
            if row is None or not row[0].installed:
                return None
            ref, default_language = row
            changes: dict[str, Any] = {}
            if ref.service_url != service_url:
                changes["service_url"] = service_url
                changes["reference"] = {**ref.reference, "serviceUrl": service_url}
            if locale and ref.locale != locale:
                changes["locale"] = locale
            if timezone and ref.timezone != timezone:
                changes["timezone"] = timezone
            if changes:
                for name, value in {**changes, "updated_at": now}.items():
                    setattr(ref, name, value)
                await session.commit()
        return Refreshed(ref, default_language)

    async def choose_language(
        self, *, tenant_id: str, user_id: str, language: str, now: datetime
    ) -> bool:
        """Keep the language a person chose; False when there is no conversation of theirs."""
        async with self._db.session() as session, session.begin():
            ref = await _by_user(session, tenant_id, user_id)
            if ref is None:
                return False
            ref.chosen_language = language
            ref.updated_at = now
        return True

    async def default_language(self, tenant_id: str) -> str | None:
        """The default language of the organisation on `tenant_id`; None when there is none."""
        async with self._db.session() as session:
            query = select(Organisation.default_language).where(Organisation.tenant_id == tenant_id)
            return (await session.exec(query)).first()

    async def default_languages(self, organisation_ids: Collection[int]) -> dict[int, str]:
        """Each organisation's default language, by its id."""
        if not organisation_ids:
            return {}
        async with self._db.session() as session:
            query = select(Organisation.id, Organisation.default_language).where(
                col(Organisation.id).in_(set(organisation_ids))
            )
            return {id_: language for id_, language in await session.exec(query) if id_}

    async def uninstall(
        self, *, tenant_id: str, user_id: str, now: datetime
    ) -> ConversationRef | None:
        async with self._db.session() as session, session.begin():
            ref = await _by_user(session, tenant_id, user_id)
            if ref is not None:
                ref.installed = False
                ref.updated_at = now
        return ref

    async def all_of_chef(
        self, chef_id: int, *, session: AsyncSession | None = None
    ) -> list[ConversationRef]:
        """Every conversation kept for the chef, installed or not, oldest change first."""
        async with self._db.joined(session) as s:
            return list(
                (
                    await s.exec(
                        select(ConversationRef)
                        .where(ConversationRef.chef_id == chef_id)
                        .order_by(col(ConversationRef.updated_at))
                    )
                ).all()
            )

    async def of_person(
        self,
        *,
        organisation_id: int,
        chef_id: int,
        principals: Collection[str],
        session: Session | None = None,
    ) -> list[ConversationRef]:
        """Every conversation kept for one person: matched to the chef, or carrying their
        object id or UPN in the organisation (never one matched to another chef)."""
        found = [col(ConversationRef.chef_id) == chef_id]
        if principals:
            names = list(principals)
            found.append(
                and_(
                    col(ConversationRef.organisation_id) == organisation_id,
                    or_(
                        col(ConversationRef.chef_id).is_(None),
                        col(ConversationRef.chef_id) == chef_id,
                    ),
                    or_(
                        col(ConversationRef.aad_object_id).in_(names),
                        col(ConversationRef.upn).in_(names),
                    ),
                )
            )
        query = select(ConversationRef).where(or_(*found)).order_by(col(ConversationRef.id))
        async with self._db.joined(session) as s:
            return list((await s.exec(query)).all())

    async def unmatched(
        self, organisation_id: int, *, session: Session | None = None
    ) -> list[ConversationRef]:
        """The organisation's installed conversations matched to no chef (someone who had the
        app before HR added them to the roster, an HR admin), oldest change first."""
        async with self._db.joined(session) as s:
            return list(
                (
                    await s.exec(
                        select(ConversationRef)
                        .where(
                            ConversationRef.organisation_id == organisation_id,
                            col(ConversationRef.chef_id).is_(None),
                            col(ConversationRef.installed),
                        )
                        .order_by(col(ConversationRef.updated_at))
                    )
                ).all()
            )

    async def detach(self, ref_ids: Collection[int], *, session: Session | None = None) -> int:
        """Unlink these conversations from the chef they were matched to; how many."""
        if not ref_ids:
            return 0
        async with self._db.joined(session, write=True) as s:
            result = await s.exec(
                update(ConversationRef)
                .where(col(ConversationRef.id).in_(list(ref_ids)))
                .values(chef_id=None)
            )
            return int(result.rowcount)

    async def delete(self, ref_ids: Collection[int], *, session: Session | None = None) -> int:
        """Delete these conversations (their messages must be gone first); how many went."""
        if not ref_ids:
            return 0
        async with self._db.joined(session, write=True) as s:
            result = await s.exec(
                delete(ConversationRef).where(col(ConversationRef.id).in_(list(ref_ids)))
            )
            return int(result.rowcount)

    async def for_chef(self, chef_id: int) -> ConversationRef | None:
        return (await self.for_chefs([chef_id])).get(chef_id)

    async def for_chefs(
        self, chef_ids: list[int], *, session: Session | None = None
    ) -> dict[int, ConversationRef]:
        """The newest installed conversation of each chef (one query for a whole batch)."""
        if not chef_ids:
            return {}
        async with self._db.joined(session) as s:
            rows = (
                await s.exec(
                    select(ConversationRef)
                    .where(
                        col(ConversationRef.chef_id).in_(chef_ids), col(ConversationRef.installed)
                    )
                    .order_by(col(ConversationRef.updated_at))
                )
            ).all()
        return {row.chef_id: row for row in rows if row.chef_id is not None}

    async def installed_with_upn(
        self, organisation_id: int, *, session: Session | None = None
    ) -> list[tuple[ConversationRef, str | None]]:
        """Every installed conversation of the organisation, with the UPN of the chef it was
        matched to (None for someone not in the roster, e.g. an HR admin)."""
        async with self._db.joined(session) as s:
            rows = (
                await s.exec(
                    select(ConversationRef, Chef.upn)
                    .join(Chef, col(Chef.id) == col(ConversationRef.chef_id), isouter=True)
                    .where(
                        ConversationRef.organisation_id == organisation_id,
                        col(ConversationRef.installed),
                    )
                )
            ).all()
        return [(ref, upn) for ref, upn in rows]

    async def find(self, *, tenant_id: str, user_id: str) -> ConversationRef | None:
        async with self._db.session() as session:
            return await _by_user(session, tenant_id, user_id)

    async def chef_of(self, *, tenant_id: str, user_id: str) -> int | None:
        """The chef a Teams user was matched to when they installed the app."""
        async with self._db.session() as session:
            ref = await _by_user(session, tenant_id, user_id)
        return ref.chef_id if ref is not None else None

    async def get(self, ref_id: int) -> ConversationRef | None:
        async with self._db.session() as session:
            return await session.get(ConversationRef, ref_id)

    async def service_url_for_tenant(self, tenant_id: str) -> str | None:
        """The most recent serviceUrl seen in a tenant (to start a conversation there)."""
        async with self._db.session() as session:
            ref = (
                await session.exec(
                    select(ConversationRef)
                    .where(ConversationRef.tenant_id == tenant_id)
                    .order_by(col(ConversationRef.updated_at).desc())
                )
            ).first()
        return ref.service_url if ref else None
