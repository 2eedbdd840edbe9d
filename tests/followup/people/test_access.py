"""Who may do what: roles by object id, by UPN (also the roster's), per organisation."""

from __future__ import annotations

from followup.people.access import access_of
from followup.people.enrolment import Member
from followup.policy import Policy
from storage.chef_store import ChefStore
from storage.database import Database
from storage.models import Role
from storage.organisation_store import OrganisationStore
from storage.role_store import RoleStore
from storage.types import utcnow
from tests.followup.check_in.test_steps import KARIN, demo

KARIN_AAD = "1a2b3c4d-0001-4000-8000-000000000004"


def member(tenant: str, *, aad: str | None = None, upn: str | None = None) -> Member:
    return Member(
        tenant_id=tenant, user_id="29:x", aad_object_id=aad, upn=upn, email=None, name="X"
    )


async def test_roles_are_found_by_object_id_upn_or_the_rosters_upn(db: Database) -> None:
    org, _, karin = await demo(db)
    roles, now = RoleStore(db), utcnow()
    assert not (await access_of(db, member("t", aad=KARIN_AAD))).is_staff
    await roles.grant(
        organisation_id=org, principal=KARIN.upper(), role=Role.HR_ADMIN, created_by="t", now=now
    )
    # by UPN, given or found through the roster entry the object id is linked to
    assert (await access_of(db, member("t", upn=KARIN))).admin
    assert not (await access_of(db, member("t", aad=KARIN_AAD))).admin  # not linked yet
    await ChefStore(db).link_identity(chef_id=karin, aad_object_id=KARIN_AAD, now=now)
    access = await access_of(db, member("T", aad=KARIN_AAD))
    assert access.admin and access.actor == KARIN and access.departments() is None


async def test_a_lead_sees_their_departments_and_other_tenants_get_nothing(db: Database) -> None:
    org, _, _ = await demo(db)
    departments = {d.code: d.id for d in await OrganisationStore(db).departments(org)}
    await RoleStore(db).grant(
        organisation_id=org,
        principal="6b0e7c1a-2f3d-4e5a-9b6c-7d8e9f0a1b2c",
        role=Role.DEPARTMENT_LEAD,
        department_id=departments["IFO"],
        created_by="t",
        now=utcnow(),
    )
    lead = await access_of(db, member("t", aad="6B0E7C1A-2F3D-4E5A-9B6C-7D8E9F0A1B2C".lower()))
    assert lead.is_staff and not lead.admin
    assert lead.departments() == frozenset({departments["IFO"]})
    other = await OrganisationStore(db).create(
        tenant_id="other", name="Grannkommunen", default_k=Policy().k
    )
    assert other.id is not None
    stranger = await access_of(db, member("other", aad="6b0e7c1a-2f3d-4e5a-9b6c-7d8e9f0a1b2c"))
    assert stranger.organisation_id == other.id and not stranger.is_staff
    nowhere = await access_of(db, member("unknown-tenant", upn=KARIN))
    assert nowhere.organisation_id is None and not nowhere.is_staff
