"""The digest's counting: per department, over submitted answers only, scoped to departments."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import update

from storage.database import Database
from storage.digest_store import DigestStore
from storage.models import Invitation
from tests.storage.world import NOW, World, add_chef, add_round, invite, world

SN, PR, CO, CS = "strengths_needs", "principles", "confidence", "consent"


async def answered_round(db: Database) -> tuple[World, int]:
    """Anna and Bo (IFO) submitted, Cecilia (ÄO) started, David (ÄO) is unreachable, Eva has
    no department and is on leave."""
    w = await world(db)
    for name, department, unreachable in (
        ("Anna Ek", "IFO", None),
        ("Bo Lind", "IFO", None),
        ("Cecilia Ny", "AO", None),
        ("David Berg", "AO", "BotBlocked"),
        ("Eva Ås", None, None),
    ):
        await add_chef(db, w, name, department=department, unreachable=unreachable)
    first, second = w.activities
    round_id = await add_round(db, w)
    await invite(
        db,
        round_id=round_id,
        chef_id=w.chefs["Anna"],
        statuses={first: ("delayed", "Ingen lokal"), second: ("done", "")},
        ratings={(CO, "confidence"): 4, (SN, "need.support"): 2, (PR, "most"): 1, (CS, "quote"): 1},
        texts={(SN, "strengths"): "Jag lyssnar", (PR, "example"): "Ett exempel"},
    )
    await invite(
        db,
        round_id=round_id,
        chef_id=w.chefs["Bo"],
        statuses={first: ("delayed", ""), second: ("done", "")},
        ratings={(CO, "confidence"): 4, (SN, "need.support"): 1, (PR, "most"): 1, (CS, "quote"): 0},
        texts={(SN, "strengths"): "Bos text"},
    )
    await invite(
        db,
        round_id=round_id,
        chef_id=w.chefs["Cecilia"],
        state="started",
        statuses={first: ("delayed", "Ej inskickat")},
        ratings={(CO, "confidence"): 1, (CS, "quote"): 1},
        texts={(SN, "strengths"): "Ej inskickat"},
    )
    await invite(db, round_id=round_id, chef_id=w.chefs["David"], state="unreachable")
    await invite(db, round_id=round_id, chef_id=w.chefs["Eva"], state="on_leave")
    return w, round_id


async def test_the_subject_holds_the_round_its_programme_and_department_names(
    db: Database,
) -> None:
    _, round_id = await answered_round(db)
    store = DigestStore(db)
    subject = await store.subject(round_id=round_id)
    assert subject is not None
    assert (subject.organisation.name, subject.programme.title) == ("Demokommunen", "Programmet")
    assert sorted(subject.departments.values()) == ["Individ- och familjeomsorg", "Äldreomsorg"]
    assert await store.subject(round_id=round_id + 100) is None


async def test_invitations_are_counted_per_department_state_and_reason(db: Database) -> None:
    w, round_id = await answered_round(db)
    store = DigestStore(db)
    ifo, ao = w.departments["IFO"], w.departments["AO"]
    counts = await store.invitations(round_id=round_id)
    assert sorted(counts, key=repr) == sorted(
        [
            (ifo, "submitted", None, 2),
            (ao, "started", None, 1),
            (ao, "unreachable", "BotBlocked", 1),
            (None, "on_leave", None, 1),
        ],
        key=repr,
    )
    only_ao = await store.invitations(round_id=round_id, department_ids=[ao])
    assert sorted(c.state for c in only_ao) == ["started", "unreachable"]


async def test_only_submitted_answers_are_counted(db: Database) -> None:
    w, round_id = await answered_round(db)
    store = DigestStore(db)
    ifo = w.departments["IFO"]
    first, second = w.activities
    statuses = await store.statuses(round_id=round_id)
    assert sorted(statuses) == sorted([(first, ifo, "delayed", 2), (second, ifo, "done", 2)])
    confidence = await store.ratings(round_id=round_id, section=CO, key="confidence")
    assert confidence == [("confidence", 4, ifo, 2)]
    needs = await store.ratings(round_id=round_id, section=SN)
    assert sorted(needs) == [("need.support", 1, ifo, 1), ("need.support", 2, ifo, 1)]
    assert await store.ratings(round_id=round_id, section=CO, department_ids=[]) == []


async def test_chef_statuses_name_each_chef_with_every_status_and_comment(db: Database) -> None:
    w, round_id = await answered_round(db)
    store = DigestStore(db)
    ifo = w.departments["IFO"]
    rows = await store.chef_statuses(round_id=round_id)
    # every status, with or without a comment, chef by chef in plan order; Cecilia's answer is
    # not submitted
    assert [(r.department_id, r.chef, r.code, r.title, r.status, r.comment) for r in rows] == [
        (ifo, "Anna Ek", "A1", "Workshop", "delayed", "Ingen lokal"),
        (ifo, "Anna Ek", "A2", "Nätverk", "done", ""),
        (ifo, "Bo Lind", "A1", "Workshop", "delayed", ""),
        (ifo, "Bo Lind", "A2", "Nätverk", "done", ""),
    ]
    assert await store.chef_statuses(round_id=round_id, department_ids=[w.departments["AO"]]) == []


async def test_the_plan_and_principles_come_in_their_order(db: Database) -> None:
    w, _ = await answered_round(db)
    store = DigestStore(db)
    plan = await store.plan(programme_id=w.programme)
    assert [(a.code, a.title, a.area) for a in plan] == [
        ("A1", "Workshop", "Ledarskap"),
        ("A2", "Nätverk", "Ledarskap"),
    ]
    assert await store.principles(programme_id=w.programme) == [
        (1, "Positiv människosyn"),
        (2, "Vi strävar framåt"),
    ]


async def test_quotable_texts_come_only_from_consenting_submitted_answers(db: Database) -> None:
    _, round_id = await answered_round(db)
    store = DigestStore(db)
    texts = await store.consented_texts(
        round_id=round_id, section=SN, keys=["strengths"], consent=(CS, "quote")
    )
    assert [(key, text) for _, key, text in texts] == [("strengths", "Jag lyssnar")]
    other_keys = await store.consented_texts(
        round_id=round_id, section=PR, keys=["grow"], consent=(CS, "quote")
    )
    assert other_keys == []


async def test_a_detached_invitation_counts_under_its_kept_department(db: Database) -> None:
    w, round_id = await answered_round(db)
    ifo, ao = w.departments["IFO"], w.departments["AO"]
    async with db.session() as s, s.begin():
        # as retention leaves it: no chef, the department as it was
        await s.exec(
            update(Invitation)
            .where(Invitation.chef_id == w.chefs["Anna"])  # type: ignore[arg-type]
            .values(chef_id=None, department_id=ao)
        )
    store = DigestStore(db)
    submitted = [c for c in await store.invitations(round_id=round_id) if c.state == "submitted"]
    assert sorted(submitted) == sorted([(ifo, "submitted", None, 1), (ao, "submitted", None, 1)])
    only_ao = await store.ratings(
        round_id=round_id, section=CO, key="confidence", department_ids=[ao]
    )
    assert only_ao == [("confidence", 4, ao, 1)]


async def test_the_trend_counts_each_rounds_submitted_ratings(db: Database) -> None:
    w, round_id = await answered_round(db)
    earlier = await add_round(db, w, title="Förra", state="closed", days=-180)
    later = await add_round(db, w, title="Nästa", state="closed", days=180)
    draft = await add_round(db, w, title="Utkast", state="draft", days=-10)
    await invite(db, round_id=earlier, chef_id=w.chefs["Anna"], ratings={(CO, "confidence"): 2})
    store = DigestStore(db)
    rounds = await store.programme_rounds(
        programme_id=w.programme,
        until=NOW + timedelta(days=10),
        states=("open", "closed"),
    )
    assert [r.id for r in rounds] == [earlier, round_id]
    assert later not in [r.id for r in rounds] and draft not in [r.id for r in rounds]
    ifo = w.departments["IFO"]
    counts = await store.round_ratings(round_ids=[earlier, round_id], section=CO, key="confidence")
    assert sorted(counts) == [(round_id, ifo, 4, 2), (earlier, ifo, 2, 1)]
