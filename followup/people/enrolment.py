"""Who is this Teams user? Matching a member to the roster of their organisation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from storage.chef_store import ChefStore
from storage.database import Database
from storage.models import Chef, Organisation
from storage.organisation_store import OrganisationStore
from storage.role_store import RoleStore


@dataclass(frozen=True)
class Member:
    """A Teams user as the edge saw them; nothing here knows the Bot Framework."""

    tenant_id: str
    user_id: str
    aad_object_id: str | None
    upn: str | None
    email: str | None
    name: str


class Outcome(StrEnum):
    MATCHED = "matched"  # found in the roster
    STAFF = "staff"  # not a chef, but HR or a department lead of the organisation
    ENROLLED = "enrolled"  # not in the roster; the organisation lets chefs enrol themselves
    NOT_IN_ROSTER = "not_in_roster"  # HR must add them
    INACTIVE = "inactive"  # in the roster, but no longer active
    UNKNOWN_ORGANISATION = "unknown_organisation"  # the tenant has no organisation here


@dataclass(frozen=True)
class Enrolment:
    outcome: Outcome
    organisation: Organisation | None = None
    chef: Chef | None = None


async def identify(db: Database, member: Member, *, now: datetime) -> Enrolment:
    """Match by Entra object id, then UPN/e-mail; enrol when the organisation allows it."""
    organisation = await OrganisationStore(db).for_tenant(member.tenant_id)
    if organisation is None or organisation.id is None:
        return Enrolment(Outcome.UNKNOWN_ORGANISATION)
    chefs = ChefStore(db)
    chef = await chefs.match(
        organisation_id=organisation.id,
        aad_object_id=member.aad_object_id,
        upn=member.upn,
        email=member.email,
    )
    if chef is not None and chef.id is not None:
        if not chef.active:
            return Enrolment(Outcome.INACTIVE, organisation, chef)
        if member.aad_object_id and not chef.aad_object_id:
            await chefs.link_identity(chef_id=chef.id, aad_object_id=member.aad_object_id, now=now)
        if chef.unreachable_code:
            await chefs.set_reachable(chef_id=chef.id, now=now)
            chef.unreachable_code = None
        return Enrolment(Outcome.MATCHED, organisation, chef)
    roles = await RoleStore(db).roles_of(
        organisation_id=organisation.id,
        aad_object_id=member.aad_object_id,
        upn=member.upn or member.email,
    )
    if roles:
        return Enrolment(Outcome.STAFF, organisation)
    upn = member.upn or member.email
    if organisation.self_enrol and upn:
        chef = await chefs.enrol(
            organisation_id=organisation.id,
            upn=upn,
            name=member.name,
            aad_object_id=member.aad_object_id,
            email=member.email,
            now=now,
        )
        return Enrolment(Outcome.ENROLLED, organisation, chef)
    return Enrolment(Outcome.NOT_IN_ROSTER, organisation)


async def mark_uninstalled(db: Database, *, chef_id: int, now: datetime) -> None:
    """The chef removed the app: they cannot be reached until they install it again."""
    await ChefStore(db).set_reachable(chef_id=chef_id, code="AppUninstalled", now=now)
