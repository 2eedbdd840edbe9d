"""The digest against hand-computed figures: response, statuses, needs, principles, confidence
and its trend over rounds; the privacy rules (k, subtraction, consent, private sections)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import select

from followup.digest.compile import Digest, compile_digest
from followup.policy import Policy
from followup.rounds.lifecycle import close_round, create_round, open_round
from storage.answer_store import AnswerStore
from storage.database import Database
from storage.models import Activity, Chef, Department, Invitation
from storage.types import utcnow
from tests.followup.check_in.test_steps import demo
from tests.followup.rounds.test_lifecycle import everyone_at_work

IFO, AO, LSS, SPS = (
    "Individ- och familjeomsorg",
    "Äldreomsorg",
    "Funktionsstöd (LSS)",
    "Socialpsykiatri",
)
SN, PR, CO, CS = "strengths_needs", "principles", "confidence", "consent"


@dataclass
class Answer:
    """One chef's submitted answers in a fixture round."""

    confidence: int | None = None
    support: int = 0
    principle: int | None = None
    status: tuple[str, str] | None = None  # the first activity's (status, comment)
    strengths: str = ""
    consent: bool | None = None
    state: str = "submitted"


async def a_round(
    db: Database,
    org: int,
    programme: int,
    title: str,
    days: int,
    answers: dict[str, Answer],
    sections: dict[str, str] | None = None,
) -> int:
    """A round opened for everyone, with these chefs' (by first name) answers and states."""
    now = utcnow()
    round_ = await create_round(
        db,
        organisation_id=org,
        programme_id=programme,
        title=title,
        deadline=now + timedelta(days=days),
        now=now,
        sections=sections,
        policy=Policy(),
    )
    assert round_.id is not None
    await open_round(db, round_id=round_.id, now=now, policy=Policy())
    async with db.session() as s:
        first = (await s.exec(select(Activity).order_by(Activity.position))).first()  # type: ignore[arg-type]
        rows = (
            await s.exec(
                select(Invitation, Chef).join(Chef).where(Invitation.round_id == round_.id)  # type: ignore[arg-type]
            )
        ).all()
    assert first is not None and first.id is not None
    store = AnswerStore(db)
    states: dict[int, tuple[str, str | None]] = {}
    for invitation, chef in rows:
        answer = answers.get(chef.name.split()[0])
        if answer is None:
            continue
        assert invitation.id is not None
        ratings: dict[tuple[str, str], int] = {(SN, "need.support"): answer.support}
        if answer.confidence is not None:
            ratings[(CO, "confidence")] = answer.confidence
        if answer.principle is not None:
            ratings[(PR, "most")] = answer.principle
        if answer.consent is not None:
            ratings[(CS, "quote")] = int(answer.consent)
        await store.save(
            invitation_id=invitation.id,
            now=now,
            statuses={first.id: answer.status} if answer.status else {},
            texts={(SN, "strengths"): answer.strengths},
            ratings=ratings,
        )
        reason = "ConversationBlockedByUser" if answer.state == "unreachable" else None
        states[invitation.id] = (answer.state, reason)
    async with db.session() as s, s.begin():
        for invitation_id, (state, reason) in states.items():
            invitation = await s.get(Invitation, invitation_id)
            assert invitation is not None
            invitation.state = state
            if reason:
                chef = await s.get(Chef, invitation.chef_id)
                assert chef is not None
                chef.unreachable_code = reason
    return round_.id


async def two_rounds(db: Database) -> tuple[int, int, Digest]:
    org, programme, _ = await demo(db)
    await everyone_at_work(db, org)
    first = await a_round(
        db,
        org,
        programme,
        "Delår 1",
        5,
        {
            "Maria": Answer(confidence=2),
            "Johan": Answer(confidence=3),
            "Leila": Answer(confidence=3),
            "Karin": Answer(confidence=4),
            "Mikael": Answer(confidence=4),
            "Peter": Answer(confidence=1),
            "Helena": Answer(confidence=2),
            "Daniel": Answer(confidence=3),
        },
    )
    await close_round(db, round_id=first, now=utcnow())
    second = await a_round(
        db,
        org,
        programme,
        "Delår 2",
        20,
        {
            "Maria": Answer(
                3,
                support=2,
                principle=1,
                status=("done", ""),
                strengths="Jag lyssnar",
                consent=True,
            ),
            "Johan": Answer(
                4, support=1, principle=1, status=("delayed", "Vikarier saknas"), consent=False
            ),
            "Leila": Answer(
                4, principle=2, status=("in_progress", ""), strengths="Jag ger tid", consent=True
            ),
            "Karin": Answer(
                5, principle=3, status=("done", ""), strengths="Hemlig styrka", consent=False
            ),
            "Mikael": Answer(
                4, principle=3, status=("done", ""), strengths="Jag frågar", consent=True
            ),
            "Sara": Answer(
                3,
                support=2,
                principle=3,
                status=("not_started", ""),
                strengths="Jag visar vägen",
                consent=True,
            ),
            "Erik": Answer(
                2,
                support=1,
                principle=1,
                status=("delayed", ""),
                strengths="Jag lyssnar",  # Maria's words again: quoted once
                consent=True,
            ),
            "Amira": Answer(5, state="started"),  # not submitted: not counted
            "Lena": Answer(state="unreachable"),
            "Peter": Answer(state="on_leave"),
        },
    )
    await close_round(db, round_id=second, now=utcnow())
    # four different texts to quote: the policy here quotes from three
    digest = await compile_digest(db, round_id=second, now=utcnow(), policy=Policy(quotes_k=3))
    return first, second, digest


async def test_response_statuses_needs_principles_and_quotes_by_hand(db: Database) -> None:
    _, _, digest = await two_rounds(db)
    assert (digest.total.invited, digest.total.submitted) == (11, 7)
    assert [(d.name, d.invited, d.submitted) for d in digest.departments] == [
        (LSS, 3, 1),
        (IFO, 3, 3),
        (SPS, 2, 0),
        (AO, 3, 3),
    ]
    assert (digest.unreachable, digest.on_leave) == (1, 1)
    assert digest.unreachable_reasons == {"ConversationBlockedByUser": 1}

    assert digest.activities is not None
    [activity] = digest.activities
    assert activity.counts == {"done": 3, "delayed": 2, "in_progress": 1, "not_started": 1}
    # the activity status is identified: per department in full, small groups too
    assert activity.departments[LSS] == {"delayed": 1}
    assert activity.departments[IFO] == {"done": 1, "delayed": 1, "in_progress": 1}
    # and per chef, every status with its comment, names and all
    per_chef = [
        (d.name, c.name.split()[0], a.status, a.comment)
        for d in digest.identified
        for c in d.chefs
        for a in c.activities
    ]
    assert per_chef == [
        (LSS, "Erik", "delayed", ""),
        (IFO, "Johan", "delayed", "Vikarier saknas"),
        (IFO, "Leila", "in_progress", ""),
        (IFO, "Maria", "done", ""),
        (AO, "Karin", "done", ""),
        (AO, "Mikael", "done", ""),
        (AO, "Sara", "not_started", ""),
    ]
    assert digest.still_open == [activity]

    # respondents per department: IFO 3, ÄO 3, LSS 1 → LSS is hidden, and IFO with it, or
    # the total minus ÄO would give LSS away
    assert digest.hidden_departments == sorted([LSS, IFO])
    assert digest.needs is not None
    support = next(n for n in digest.needs if n.need == "support")
    assert (support.some_or_great, support.great) == (4, 2)
    assert support.departments == {LSS: None, IFO: None, AO: 1}

    assert digest.principles is not None and digest.principle_respondents == 7
    assert [(number, n) for number, _, n in digest.principles] == [
        (1, 3),
        (2, 1),
        (3, 3),
        (4, 0),
        (5, 0),
    ]
    # Karin said no to quotes; Erik wrote what Maria wrote: four different texts, in an order
    # of their own, with no name
    assert sorted(text for _, _, text in digest.quotes) == [
        "Jag frågar",
        "Jag ger tid",
        "Jag lyssnar",
        "Jag visar vägen",
    ]


async def test_confidence_and_its_trend_over_rounds_by_hand(db: Database) -> None:
    first, second, digest = await two_rounds(db)
    confidence = digest.confidence
    assert confidence is not None
    # 3, 4, 4, 5, 4, 3, 2
    assert (confidence.n, confidence.mean, confidence.median) == (7, 3.57, 4.0)
    assert confidence.distribution == {1: 0, 2: 1, 3: 2, 4: 3, 5: 1}
    assert digest.confidence_departments[LSS] is None  # one respondent
    assert digest.confidence_departments[IFO] is None  # would give LSS away by subtraction
    ao = digest.confidence_departments[AO]
    assert ao is not None and ao.mean == 4.0
    # Delår 1: 2, 3, 3 | 4, 4 | 1, 2, 3 → 22 / 8; ÄO (2) hidden and IFO with it
    assert [(p.round_id, p.n, p.mean) for p in digest.trend] == [
        (first, 8, 2.75),
        (second, 7, 3.57),
    ]
    assert digest.trend[0].departments == {IFO: None, SPS: 2.0, AO: None}


async def test_private_sections_and_small_rounds_show_nothing(db: Database) -> None:
    org, programme, _ = await demo(db)
    await everyone_at_work(db, org)
    round_id = await a_round(
        db,
        org,
        programme,
        "Liten",
        9,
        {
            "Maria": Answer(3, support=2, principle=1, strengths="Text A", consent=True),
            "Karin": Answer(4, support=1, principle=2, strengths="Text B", consent=True),
        },
        sections={
            "activity_status": "identified",
            SN: "confidential",
            PR: "private",
            CO: "confidential",
        },
    )
    await close_round(db, round_id=round_id, now=utcnow())
    digest = await compile_digest(db, round_id=round_id, now=utcnow())
    assert digest.principles is None  # private: only the chef sees it
    assert digest.confidence is not None and digest.confidence.mean is None  # 2 < k
    assert digest.needs is not None and digest.needs[0].some_or_great is None
    assert digest.quotes == []  # consented, but too few answered to quote anyone
    assert digest.trend[0].mean is None


async def test_a_department_leads_digest_is_a_cut_of_what_hr_sees(db: Database) -> None:
    _, second, hr = await two_rounds(db)
    async with db.session() as s:
        ifo = (await s.exec(select(Department).where(Department.code == "IFO"))).one()
    assert ifo.id is not None
    digest = await compile_digest(
        db, round_id=second, now=utcnow(), department_ids=frozenset({ifo.id})
    )
    assert [(d.name, d.invited, d.submitted) for d in digest.departments] == [(IFO, 3, 3)]
    # the organisation's figures as HR has them; IFO's own stays hidden as it is for HR (its
    # 3.67 with the organisation's and ÄO's would give the single LSS chef away)
    assert digest.confidence == hr.confidence
    assert digest.confidence_departments == {IFO: None}
    assert [(p.mean, p.departments) for p in digest.trend] == [
        (2.75, {IFO: None}),
        (3.57, {IFO: None}),
    ]
    assert digest.activities is not None and hr.activities is not None
    assert set(digest.activities[0].departments) == {IFO}
    assert digest.activities[0].counts == hr.activities[0].counts
