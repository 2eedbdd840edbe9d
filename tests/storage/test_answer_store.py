"""Answers of invitations: read back, erased by id, purged or anonymised by retention."""

from __future__ import annotations

from storage.answer_store import AnswerStore
from storage.database import Database
from tests.storage.world import NOW, World, add_chef, add_round, invite, world

SN, CO = "strengths_needs", "confidence"


async def answered(db: Database) -> tuple[World, int, int]:
    w = await world(db)
    await add_chef(db, w, "Anna Ek", department="IFO")
    await add_chef(db, w, "Bo Lind", department="IFO")
    round_id = await add_round(db, w)
    first, second = w.activities
    anna = await invite(
        db,
        round_id=round_id,
        chef_id=w.chefs["Anna"],
        statuses={second: ("delayed", "Ingen lokal"), first: ("done", "")},
        ratings={(CO, "confidence"): 4, (SN, "need.support"): 1},
        texts={(SN, "strengths"): "Jag lyssnar"},
    )
    bo = await invite(
        db,
        round_id=round_id,
        chef_id=w.chefs["Bo"],
        statuses={first: ("delayed", "Bo väntar")},
        texts={(SN, "strengths"): "Bos text"},
    )
    return w, anna, bo


async def test_the_answers_of_invitations_come_in_plan_and_section_order(db: Database) -> None:
    _, anna, _ = await answered(db)
    statuses, texts, ratings = await AnswerStore(db).of_invitations([anna])
    assert [(s.status, a.code) for s, a in statuses] == [("done", "A1"), ("delayed", "A2")]
    assert [t.text for t in texts] == ["Jag lyssnar"]
    assert [(r.section, r.key, r.value) for r in ratings] == [
        (CO, "confidence", 4),
        (SN, "need.support", 1),
    ]


async def test_answers_deleted_by_id_are_gone_and_the_others_stay(db: Database) -> None:
    _, anna, bo = await answered(db)
    store = AnswerStore(db)
    stamps = await store.stamps([anna])
    assert (len(stamps.statuses), len(stamps.texts), len(stamps.ratings)) == (2, 1, 2)
    await store.delete(
        statuses=[s.id for s in stamps.statuses], ratings=[r.id for r in stamps.ratings]
    )
    left = await store.stamps([anna, bo])
    assert [s.invitation_id for s in left.statuses] == [bo]
    assert sorted(t.invitation_id for t in left.texts) == sorted([anna, bo])
    assert left.ratings == []


async def test_purging_deletes_every_answer_of_the_invitations(db: Database) -> None:
    _, anna, bo = await answered(db)
    store = AnswerStore(db)
    assert await store.purge([anna]) == 5
    statuses, texts, ratings = await store.of_invitations([anna, bo])
    assert [s.invitation_id for s, _ in statuses] == [bo]
    assert [t.invitation_id for t in texts] == [bo]
    assert ratings == []


async def test_anonymising_removes_free_texts_and_when_each_answer_changed(db: Database) -> None:
    _, anna, bo = await answered(db)
    store = AnswerStore(db)
    # Anna's text and comment go; Bo's answers are untouched
    assert await store.anonymise([anna], at=NOW) == 2
    statuses, texts, ratings = await store.of_invitations([anna])
    assert [(s.status, s.comment, s.updated_at) for s, _ in statuses] == [
        ("done", "", NOW),
        ("delayed", "", NOW),
    ]
    assert texts == []
    assert {r.updated_at for r in ratings} == {NOW}
    bo_statuses, bo_texts, _ = await store.of_invitations([bo])
    assert [s.comment for s, _ in bo_statuses] == ["Bo väntar"]
    assert [t.text for t in bo_texts] == ["Bos text"]
