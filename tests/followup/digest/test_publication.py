"""A round's figures are published once, at close, for the whole organisation; every later view
is cut from them: nothing confidential while a round is open, nothing that changes afterwards."""

from __future__ import annotations

from sqlmodel import select

from followup.digest.compile import Digest, compile_digest
from followup.policy import Policy
from followup.privacy.erasure import erase_answers, plan_erasure
from followup.rounds.lifecycle import close_round
from storage.database import Database
from storage.models import Chef, Department, Publication
from storage.types import utcnow
from tests.followup.check_in.test_steps import demo
from tests.followup.digest.test_compile import AO, CO, IFO, LSS, PR, SN, Answer, a_round, two_rounds
from tests.followup.rounds.test_lifecycle import everyone_at_work


def confidential(d: Digest) -> tuple[object, ...]:
    """Every confidential figure of a digest."""
    return (
        d.confidence,
        d.confidence_departments,
        d.needs,
        d.principles,
        d.quotes,
        [(p.round_id, p.n, p.mean, p.departments) for p in d.trend],
        d.hidden_departments,
    )


async def chef(db: Database, first_name: str) -> Chef:
    async with db.session() as s:
        chefs = (await s.exec(select(Chef))).all()
    return next(c for c in chefs if c.name.split()[0] == first_name)


async def test_an_open_round_shows_no_confidential_figure(db: Database) -> None:
    org, programme, _ = await demo(db)
    await everyone_at_work(db, org)
    round_id = await a_round(
        db,
        org,
        programme,
        "Öppen",
        9,
        {name: Answer(4, support=2, principle=1) for name in ("Maria", "Johan", "Leila", "Karin")},
        sections={
            "activity_status": "confidential",
            SN: "confidential",
            PR: "confidential",
            CO: "confidential",
        },
    )
    digest = await compile_digest(db, round_id=round_id, now=utcnow())
    assert digest.sealed
    assert digest.total.submitted == 4  # who answered is not confidential
    assert digest.confidence is None and digest.needs is None and digest.principles is None
    assert digest.activities is None and digest.quotes == [] and digest.trend == []
    async with db.session() as s:
        assert (await s.exec(select(Publication))).all() == []  # nothing kept while open

    await close_round(db, round_id=round_id, now=utcnow())
    closed = await compile_digest(db, round_id=round_id, now=utcnow())
    assert not closed.sealed
    assert closed.confidence is not None and closed.confidence.mean == 4.0


async def test_published_figures_survive_erasure_and_a_move_unchanged(db: Database) -> None:
    _, second, before = await two_rounds(db)
    maria = await chef(db, "Maria")
    assert maria.id is not None
    plan = await plan_erasure(db, chef_id=maria.id)
    assert plan is not None and plan.erases_anything
    await erase_answers(db, chef_id=maria.id, fingerprint=plan.fingerprint)
    async with db.session() as s, s.begin():
        leila = (await s.exec(select(Chef).where(Chef.name.startswith("Leila")))).one()  # type: ignore[attr-defined]
        ao = (await s.exec(select(Department).where(Department.name == AO))).one()
        leila.department_id = ao.id
    after = await compile_digest(db, round_id=second, now=utcnow())
    # two compilations of a closed round cannot be subtracted from each other
    assert confidential(after) == confidential(before)
    assert after.activities == before.activities and after.areas == before.areas


async def test_a_lead_sees_the_published_cells_of_their_departments_only(db: Database) -> None:
    _, second, hr = await two_rounds(db)
    async with db.session() as s:
        ao = (await s.exec(select(Department).where(Department.name == AO))).one()
    assert ao.id is not None
    lead = await compile_digest(
        db, round_id=second, now=utcnow(), department_ids=frozenset({ao.id})
    )
    assert lead.confidence == hr.confidence
    assert lead.confidence_departments == {AO: hr.confidence_departments[AO]}
    assert hr.needs is not None and lead.needs is not None
    for mine, theirs in zip(lead.needs, hr.needs, strict=True):
        assert (mine.some_or_great, mine.great) == (theirs.some_or_great, theirs.great)
        assert mine.departments == {AO: theirs.departments[AO]}
    assert lead.hidden_departments == []  # IFO and LSS are hidden, but are not the lead's
    assert set(hr.hidden_departments) == {IFO, LSS}


async def test_quotes_need_consent_enough_different_texts_and_keep_their_order(
    db: Database,
) -> None:
    org, programme, _ = await demo(db)
    await everyone_at_work(db, org)
    texts = {
        "Maria": "Jag lyssnar",
        "Johan": "Jag  lyssnar",  # the same words: quoted once
        "Leila": "Jag ger tid",
        "Karin": "Jag frågar",
        "Mikael": "Jag visar vägen",
        "Sara": "Hemligt",  # no consent: never quoted
    }
    round_id = await a_round(
        db,
        org,
        programme,
        "Citat",
        9,
        {name: Answer(4, strengths=text, consent=name != "Sara") for name, text in texts.items()},
    )
    await close_round(db, round_id=round_id, now=utcnow())
    # four different consenting texts: fewer than five, nothing quoted
    assert (await compile_digest(db, round_id=round_id, now=utcnow())).quotes == []

    async with db.session() as s:
        assert (await s.get(Publication, round_id)) is not None
    laxer = await compile_digest(db, round_id=round_id, now=utcnow(), policy=Policy(quotes_k=2))
    assert laxer.quotes == []  # decided once: a later, laxer policy changes nothing


async def test_quotes_are_shuffled_once_and_an_erased_one_drops_out(db: Database) -> None:
    org, programme, _ = await demo(db)
    await everyone_at_work(db, org)
    names = ("Maria", "Johan", "Leila", "Karin", "Mikael")
    round_id = await a_round(
        db,
        org,
        programme,
        "Citat",
        9,
        {name: Answer(4, strengths=f"Styrka {i}", consent=True) for i, name in enumerate(names)},
    )
    await close_round(db, round_id=round_id, now=utcnow())
    policy = Policy(quotes_k=3)
    first = await compile_digest(db, round_id=round_id, now=utcnow(), policy=policy)
    quoted = [text for _, _, text in first.quotes]
    assert sorted(quoted) == [f"Styrka {i}" for i in range(5)]
    again = await compile_digest(db, round_id=round_id, now=utcnow(), policy=policy)
    assert again.quotes == first.quotes  # the same order every time

    maria = await chef(db, "Maria")
    assert maria.id is not None
    plan = await plan_erasure(db, chef_id=maria.id)
    assert plan is not None
    await erase_answers(db, chef_id=maria.id, fingerprint=plan.fingerprint)
    after = await compile_digest(db, round_id=round_id, now=utcnow(), policy=policy)
    assert [text for _, _, text in after.quotes] == [t for t in quoted if t != "Styrka 0"]
