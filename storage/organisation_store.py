"""Organisations, one per Teams tenant: create, list, and find the one a command is about."""

from __future__ import annotations

import builtins

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from storage.database import Database, Session
from storage.models import Department, Organisation, Programme


class OrganisationNotFound(LookupError):
    """No organisation matches, or several do and the caller must say which."""

    def __init__(self, ref: str | None, *, candidates: int) -> None:
        super().__init__(ref or "")
        self.ref = ref
        self.candidates = candidates


class OrganisationExists(ValueError):
    """An organisation with that tenant id is already there."""


class OrganisationStore:
    """Reads and writes organisations."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(
        self, *, tenant_id: str, name: str, default_k: int, self_enrol: bool = False
    ) -> Organisation:
        org = Organisation(
            tenant_id=tenant_id.strip().lower(),
            name=name.strip(),
            default_k=default_k,
            self_enrol=self_enrol,
        )
        try:
            async with self._db.session() as session, session.begin():
                session.add(org)
        except IntegrityError as exc:
            raise OrganisationExists(org.tenant_id) from exc
        return org

    async def get(
        self, organisation_id: int, *, session: Session | None = None
    ) -> Organisation | None:
        async with self._db.joined(session) as s:
            return await s.get(Organisation, organisation_id)

    async def list(self) -> list[Organisation]:
        async with self._db.session() as session:
            return list(
                (await session.exec(select(Organisation).order_by(Organisation.name))).all()
            )

    async def find(self, ref: str | None) -> Organisation:
        """By tenant id, name or id; with no reference, the only organisation there is."""
        organisations = await self.list()
        if ref is None:
            if len(organisations) == 1:
                return organisations[0]
            raise OrganisationNotFound(None, candidates=len(organisations))
        wanted = ref.strip().casefold()
        for org in organisations:
            if wanted in (org.tenant_id.casefold(), org.name.casefold(), str(org.id)):
                return org
        raise OrganisationNotFound(ref, candidates=len(organisations))

    async def departments(
        self, organisation_id: int, *, session: Session | None = None
    ) -> builtins.list[Department]:
        """The organisation's active departments, by name."""
        async with self._db.joined(session) as s:
            return list(
                (
                    await s.exec(
                        select(Department)
                        .where(
                            Department.organisation_id == organisation_id, col(Department.active)
                        )
                        .order_by(col(Department.name))
                    )
                ).all()
            )

    async def programmes(self, organisation_id: int) -> builtins.list[Programme]:
        """The organisation's active programmes."""
        async with self._db.session() as session:
            return list(
                (
                    await session.exec(
                        select(Programme)
                        .where(Programme.organisation_id == organisation_id, col(Programme.active))
                        .order_by(col(Programme.start_year), col(Programme.id))
                    )
                ).all()
            )

    async def for_tenant(self, tenant_id: str) -> Organisation | None:
        async with self._db.session() as session:
            result = await session.exec(
                select(Organisation).where(Organisation.tenant_id == tenant_id.strip().lower())
            )
            return result.first()

    async def department(
        self, department_id: int, *, session: Session | None = None
    ) -> Department | None:
        async with self._db.joined(session) as s:
            return await s.get(Department, department_id)

    async def set_send_rate(self, organisation_id: int, rate: float | None) -> Organisation:
        """The organisation's own send rate (messages a second), or None for the deployment's
        default; every replica's next claim uses it. LookupError for no organisation."""
        async with self._db.session() as session, session.begin():
            organisation = await session.get(Organisation, organisation_id, with_for_update=True)
            if organisation is None:
                raise LookupError(organisation_id)
            organisation.send_rate = rate
        return organisation

    async def set_policy(
        self,
        organisation_id: int,
        *,
        retention_months: int | None = None,
        retention_action: str | None = None,
        keep_identified_statuses: bool | None = None,
        audit_retention_months: int | None = None,
    ) -> Organisation:
        """Change the privacy policy; what is not given stays. LookupError for no organisation."""
        async with self._db.session() as session, session.begin():
            organisation = await session.get(Organisation, organisation_id, with_for_update=True)
            if organisation is None:
                raise LookupError(organisation_id)
            if retention_months is not None:
                organisation.retention_months = retention_months
            if retention_action is not None:
                organisation.retention_action = retention_action
            if keep_identified_statuses is not None:
                organisation.keep_identified_statuses = keep_identified_statuses
            if audit_retention_months is not None:
                organisation.audit_retention_months = audit_retention_months
        return organisation
