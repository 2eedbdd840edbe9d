"""The plan tables as imports and the follow-up read them: active or all, links, titles."""

from __future__ import annotations

from storage.database import Database
from storage.models import ActivityDepartment, Department
from storage.plan_store import PlanStore
from tests.storage.world import world


async def test_the_active_records_or_all_of_them(db: Database) -> None:
    w = await world(db)
    async with db.session() as s, s.begin():
        s.add(Department(organisation_id=w.organisation, code="OLD", name="Gammal", active=False))
    store = PlanStore(db)
    everything = await store.departments(w.organisation)
    active = await store.departments(w.organisation, active_only=True)
    assert sorted(d.code for d in everything) == ["AO", "IFO", "OLD"]
    assert sorted(d.code for d in active) == ["AO", "IFO"]
    assert [p.code for p in await store.programmes(w.organisation, active_only=True)] == ["P1"]
    assert [a.code for a in await store.areas(w.programme)] == ["L"]
    assert sorted(a.code for a in await store.activities(w.programme)) == ["A1", "A2"]
    assert len(await store.principles(w.programme)) == 3  # the inactive one too


async def test_principle_titles_include_those_no_longer_in_the_plan(db: Database) -> None:
    w = await world(db)
    titles = await PlanStore(db).principle_titles([w.programme])
    assert titles == {
        (w.programme, 1): "Positiv människosyn",
        (w.programme, 2): "Vi strävar framåt",
        (w.programme, 3): "Gammal",
    }
    assert await PlanStore(db).principle_titles([]) == {}


async def test_an_activitys_departments_are_its_links(db: Database) -> None:
    w = await world(db)
    first, second = w.activities
    async with db.session() as s, s.begin():
        s.add(ActivityDepartment(activity_id=first, department_id=w.departments["AO"]))
    links = await PlanStore(db).activity_links([first, second])
    assert [(link.activity_id, link.department_id) for link in links] == [
        (first, w.departments["AO"])
    ]
