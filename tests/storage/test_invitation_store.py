"""Invitations: where each chef stands, counts per state, delivery, and what retention detaches."""

from __future__ import annotations

from storage.database import Database
from storage.invitation_store import InvitationStore
from storage.models import Chef, Invitation
from tests.storage.world import NOW, World, add_chef, add_round, invite, world


async def three_chefs(db: Database) -> tuple[World, int]:
    w = await world(db)
    await add_chef(db, w, "Bo Lind", department="IFO")
    await add_chef(db, w, "Anna Ek", department="IFO")
    await add_chef(db, w, "Cecilia Ny", department="AO", unreachable="BotBlocked")
    round_id = await add_round(db, w)
    await invite(db, round_id=round_id, chef_id=w.chefs["Anna"], state="submitted")
    await invite(db, round_id=round_id, chef_id=w.chefs["Bo"], state="pending")
    await invite(db, round_id=round_id, chef_id=w.chefs["Cecilia"], state="unreachable")
    return w, round_id


async def test_standings_name_each_chef_and_department_by_name(db: Database) -> None:
    w, round_id = await three_chefs(db)
    store = InvitationStore(db)
    assert [s[:4] for s in await store.standings(round_id=round_id)] == [
        ("submitted", "Anna Ek", None, "Individ- och familjeomsorg"),
        ("pending", "Bo Lind", None, "Individ- och familjeomsorg"),
        ("unreachable", "Cecilia Ny", "BotBlocked", "Äldreomsorg"),
    ]
    only_ao = await store.standings(round_id=round_id, department_ids=[w.departments["AO"]])
    assert [s.chef for s in only_ao] == ["Cecilia Ny"]


async def test_state_counts_cover_every_round_of_the_organisation(db: Database) -> None:
    w, round_id = await three_chefs(db)
    later = await add_round(db, w, title="Delår 2 2026", days=100)
    await invite(db, round_id=later, chef_id=w.chefs["Anna"], state="delivered")
    store = InvitationStore(db)
    counts = await store.state_counts(organisation_id=w.organisation)
    assert sorted(counts) == sorted(
        [
            (round_id, "pending", 1),
            (round_id, "submitted", 1),
            (round_id, "unreachable", 1),
            (later, "delivered", 1),
        ]
    )
    only_ao = await store.state_counts(
        organisation_id=w.organisation, department_ids=[w.departments["AO"]]
    )
    assert only_ao == [(round_id, "unreachable", 1)]


async def test_delivery_marks_a_pending_or_unreachable_invitation_delivered_once(
    db: Database,
) -> None:
    w, round_id = await three_chefs(db)
    store = InvitationStore(db)
    for name in ("Bo", "Cecilia", "Anna"):
        await store.mark_delivered(
            round_id=round_id, chef_id=w.chefs[name], activity_id=f"card-{name}", now=NOW
        )
    bo = await store.of(round_id=round_id, chef_id=w.chefs["Bo"])
    cecilia = await store.of(round_id=round_id, chef_id=w.chefs["Cecilia"])
    anna = await store.of(round_id=round_id, chef_id=w.chefs["Anna"])
    assert bo is not None and cecilia is not None and anna is not None
    assert (bo.state, bo.card_activity_id, bo.delivered_at) == ("delivered", "card-Bo", NOW)
    assert cecilia.state == "delivered"
    assert anna.state == "submitted"  # an answer already sent in stays so
    later = NOW.replace(hour=12)
    await store.mark_delivered(
        round_id=round_id, chef_id=w.chefs["Bo"], activity_id="new", now=later
    )
    again = await store.of(round_id=round_id, chef_id=w.chefs["Bo"])
    assert again is not None and (again.card_activity_id, again.delivered_at) == ("new", NOW)


async def test_the_rounds_of_a_chef_come_by_deadline(db: Database) -> None:
    w, round_id = await three_chefs(db)
    earlier = await add_round(db, w, title="Utkast", state="draft", days=-5)
    await invite(db, round_id=earlier, chef_id=w.chefs["Anna"], state="pending")
    store = InvitationStore(db)
    all_rounds = await store.rounds_of_chef(chef_id=w.chefs["Anna"])
    assert [r.title for _, r in all_rounds] == ["Utkast", "Delår 1 2026"]
    without_drafts = await store.rounds_of_chef(chef_id=w.chefs["Anna"], exclude_states=["draft"])
    assert [r.id for _, r in without_drafts] == [round_id]


async def test_detachable_invitations_carry_their_chefs_reason_and_kept_department(
    db: Database,
) -> None:
    w, round_id = await three_chefs(db)
    async with db.session() as s, s.begin():
        found = await InvitationStore(db).detachable(round_id=round_id, session=s)
        kept = {i.chef_id: (i.department_id, code) for i, code in found}
        waiting = await InvitationStore(db).in_states(
            round_id=round_id, states=["pending", "delivered"], session=s
        )
    assert kept[w.chefs["Cecilia"]] == (w.departments["AO"], "BotBlocked")
    assert kept[w.chefs["Anna"]] == (w.departments["IFO"], None)
    assert [i.chef_id for i in waiting] == [w.chefs["Bo"]]
    assert all(isinstance(i, Invitation) for i, _ in found)


async def test_an_invitation_keeps_the_department_and_unit_the_chef_had_when_invited(
    db: Database,
) -> None:
    w = await world(db)
    dora = await add_chef(db, w, "Dora Alm", department="IFO", unit="Barn och unga")
    first = await add_round(db, w)
    await invite(db, round_id=first, chef_id=dora, state="submitted")
    async with db.session() as s, s.begin():
        chef = await s.get(Chef, dora)
        assert chef is not None
        chef.department_id, chef.unit = w.departments["AO"], "Hemtjänst Norr"
    later = await add_round(db, w, title="Delår 2 2026", days=100)
    await invite(db, round_id=later, chef_id=dora, state="pending")
    store = InvitationStore(db)
    assert [s.department for s in await store.standings(round_id=first)] == [
        "Individ- och familjeomsorg"
    ]
    assert [s.department for s in await store.standings(round_id=later)] == ["Äldreomsorg"]
    only_ifo = await store.state_counts(
        organisation_id=w.organisation, department_ids=[w.departments["IFO"]]
    )
    assert [(c.round_id, c.n) for c in only_ifo] == [(first, 1)]

    # her identity goes (she left long ago): the units her invitations kept go with it
    async with db.session() as s, s.begin():
        assert await store.forget_units(chef_id=dora, session=s) == 2
    kept = [await store.of(round_id=r, chef_id=dora) for r in (first, later)]
    assert [(i.department_id, i.unit) for i in kept if i is not None] == [
        (w.departments["IFO"], ""),
        (w.departments["AO"], ""),
    ]
