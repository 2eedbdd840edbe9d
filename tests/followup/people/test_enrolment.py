"""Who a Teams user is to the service: a chef of the roster (by object id, UPN or e-mail), HR or
a lead, a chef who enrols themselves, or someone HR must add first."""

from __future__ import annotations

from sqlmodel import select

from followup.imports.plan import import_plan
from followup.imports.roster import import_roster
from followup.people.enrolment import Member, Outcome, identify, mark_uninstalled
from followup.policy import Policy
from storage.chef_store import ChefStore
from storage.database import Database
from storage.models import Chef, Role
from storage.organisation_store import OrganisationStore
from storage.role_store import RoleStore
from storage.types import utcnow
from tests.conftest import EXAMPLES

TENANT = "5f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f"
KARIN = "karin.sjoberg@demo.ledarpuls.se"
KARIN_AAD = "1a2b3c4d-0001-4000-8000-000000000004"
STINA = "stina.framling@demo.ledarpuls.se"  # in nobody's roster


async def organisation(db: Database, *, tenant: str = TENANT, self_enrol: bool = False) -> int:
    """Demokommunen with the demo plan and roster; chefs may enrol themselves if `self_enrol`."""
    org = await OrganisationStore(db).create(
        tenant_id=tenant, name="Demokommunen", self_enrol=self_enrol, default_k=Policy().k
    )
    assert org.id is not None
    await import_plan(db, organisation_id=org.id, path=EXAMPLES / "demo-plan.yaml")
    await import_roster(db, organisation_id=org.id, path=EXAMPLES / "demo-roster.yaml")
    return org.id


def member(
    *,
    tenant: str = TENANT,
    aad: str | None = None,
    upn: str | None = None,
    email: str | None = None,
    name: str = "Stina Främling",
) -> Member:
    return Member(
        tenant_id=tenant, user_id="29:x", aad_object_id=aad, upn=upn, email=email, name=name
    )


async def chefs(db: Database) -> list[Chef]:
    async with db.session() as s:
        return list((await s.exec(select(Chef))).all())


async def test_a_chef_is_found_by_upn_and_then_known_by_their_object_id(db: Database) -> None:
    await organisation(db)
    now = utcnow()
    first = await identify(db, member(aad=KARIN_AAD.upper(), upn=KARIN.upper()), now=now)
    assert first.outcome == Outcome.MATCHED
    assert first.chef is not None and first.chef.name == "Karin Sjöberg"
    # renamed in Entra (a new UPN): still Karin, by the object id remembered the first time
    later = await identify(db, member(aad=KARIN_AAD, upn="karin.berg@demo.ledarpuls.se"), now=now)
    assert later.outcome == Outcome.MATCHED and later.chef is not None
    assert later.chef.id == first.chef.id


async def test_a_chef_without_a_upn_in_teams_is_found_by_e_mail(db: Database) -> None:
    await organisation(db)
    found = await identify(db, member(upn="ks@kommun.onmicrosoft.com", email=KARIN), now=utcnow())
    assert found.outcome == Outcome.MATCHED
    assert found.chef is not None and found.chef.upn == KARIN


async def test_a_chef_who_had_removed_the_app_is_reachable_again_when_seen(db: Database) -> None:
    await organisation(db)
    now = utcnow()
    karin = (await identify(db, member(upn=KARIN), now=now)).chef
    assert karin is not None and karin.id is not None
    await mark_uninstalled(db, chef_id=karin.id, now=now)
    gone = await ChefStore(db).get(karin.id)
    assert gone is not None and gone.unreachable_code == "AppUninstalled"

    back = await identify(db, member(upn=KARIN), now=now)
    assert back.chef is not None and back.chef.unreachable_code is None
    stored = await ChefStore(db).get(karin.id)
    assert stored is not None and stored.unreachable_code is None and stored.unreachable_at is None


async def test_a_chef_no_longer_active_is_told_so_and_not_enrolled_again(db: Database) -> None:
    await organisation(db, self_enrol=True)
    async with db.session() as s, s.begin():
        karin = (await s.exec(select(Chef).where(Chef.upn == KARIN))).one()
        karin.active = False
    before = len(await chefs(db))
    found = await identify(db, member(upn=KARIN), now=utcnow())
    assert found.outcome == Outcome.INACTIVE
    assert len(await chefs(db)) == before


async def test_hr_outside_the_roster_is_staff_not_a_chef(db: Database) -> None:
    org = await organisation(db, self_enrol=True)
    await RoleStore(db).grant(
        organisation_id=org, principal=STINA, role=Role.HR_ADMIN, created_by="t", now=utcnow()
    )
    before = len(await chefs(db))
    found = await identify(db, member(upn=STINA), now=utcnow())
    assert found.outcome == Outcome.STAFF and found.chef is None
    assert len(await chefs(db)) == before  # HR is not enrolled as a chef


async def test_someone_not_in_the_roster_must_be_added_by_hr(db: Database) -> None:
    await organisation(db)
    before = len(await chefs(db))
    found = await identify(db, member(upn=STINA), now=utcnow())
    assert found.outcome == Outcome.NOT_IN_ROSTER
    assert found.organisation is not None and found.organisation.name == "Demokommunen"
    assert len(await chefs(db)) == before


async def test_a_chef_enrols_themselves_once_where_the_organisation_allows_it(
    db: Database,
) -> None:
    await organisation(db, self_enrol=True)
    now = utcnow()
    found = await identify(
        db, member(aad="9F9F9F9F-0000-4000-8000-000000000099", upn=STINA), now=now
    )
    assert found.outcome == Outcome.ENROLLED
    assert found.chef is not None
    assert (found.chef.name, found.chef.source, found.chef.active) == (
        "Stina Främling",
        "self",
        True,
    )
    again = await identify(db, member(aad="9f9f9f9f-0000-4000-8000-000000000099"), now=now)
    assert again.outcome == Outcome.MATCHED
    assert len([c for c in await chefs(db) if c.upn == STINA]) == 1
    # with neither a UPN nor an e-mail there is nothing to enrol them by
    nameless = await identify(db, member(aad="00000000-0000-4000-8000-000000000001"), now=now)
    assert nameless.outcome == Outcome.NOT_IN_ROSTER


async def test_a_tenant_sees_only_its_own_roster(db: Database) -> None:
    await organisation(db)
    other = "0a0a0a0a-0000-4000-8000-000000000000"
    await OrganisationStore(db).create(tenant_id=other, name="Grannkommunen", default_k=Policy().k)
    found = await identify(db, member(tenant=other, upn=KARIN), now=utcnow())
    assert found.outcome == Outcome.NOT_IN_ROSTER
    assert found.organisation is not None and found.organisation.name == "Grannkommunen"
    nowhere = await identify(db, member(tenant="unknown", upn=KARIN), now=utcnow())
    assert nowhere.outcome == Outcome.UNKNOWN_ORGANISATION and nowhere.organisation is None
