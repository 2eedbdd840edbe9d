"""Organisations (one per Teams tenant) and finding the one a command is about."""

from __future__ import annotations

from sqlmodel import select

from storage.database import Database
from storage.models import Organisation


class OrganisationNotFound(LookupError):
    """No organisation matches, or several do and the caller must say which."""

    def __init__(self, ref: str | None, *, candidates: int) -> None:
        super().__init__(ref or "")
        self.ref = ref
        self.candidates = candidates


async def create_organisation(
    db: Database, *, tenant_id: str, name: str, self_enrol: bool = False
) -> Organisation:
    async with db.session() as session, session.begin():
        org = Organisation(
            tenant_id=tenant_id.strip().lower(), name=name.strip(), self_enrol=self_enrol
        )
        session.add(org)
    return org


async def list_organisations(db: Database) -> list[Organisation]:
    async with db.session() as session:
        return list((await session.exec(select(Organisation).order_by(Organisation.name))).all())


async def find_organisation(db: Database, ref: str | None) -> Organisation:
    """By tenant id or name; with no reference, the only organisation there is."""
    organisations = await list_organisations(db)
    if ref is None:
        if len(organisations) == 1:
            return organisations[0]
        raise OrganisationNotFound(None, candidates=len(organisations))
    wanted = ref.strip().casefold()
    for org in organisations:
        if wanted in (org.tenant_id.casefold(), org.name.casefold(), str(org.id)):
            return org
    raise OrganisationNotFound(ref, candidates=len(organisations))


async def organisation_for_tenant(db: Database, tenant_id: str) -> Organisation | None:
    async with db.session() as session:
        result = await session.exec(
            select(Organisation).where(Organisation.tenant_id == tenant_id.strip().lower())
        )
        return result.first()
