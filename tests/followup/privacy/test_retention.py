"""Retention with a clock we choose: nothing at 23 months, anonymised at 24 (no free text left,
no answer joinable to a name, the digest's figures as they were), a second pass does nothing;
purging instead; the organisation's policy; the scheduler's tick runs it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select as sa_select
from sqlmodel import SQLModel, col, select

from bot.scheduler import Scheduler
from dialogs.formatting import stored_title_of
from followup.digest.compile import Digest, compile_digest
from followup.policy import Policy
from followup.privacy.retention import (
    PolicyError,
    apply_retention,
    months_before,
    set_policy,
)
from followup.rounds.lifecycle import close_round
from storage.database import Database
from storage.models import (
    ActivityStatusAnswer,
    AuditEvent,
    Invitation,
    OutboxMessage,
    RatingAnswer,
    ReflectionAnswer,
    Round,
)
from tests.followup.check_in.test_steps import demo
from tests.followup.digest.test_compile import Answer, a_round
from tests.followup.rounds.test_lifecycle import everyone_at_work

FIRST_CLOSED = datetime(2026, 1, 15, 22, 59, tzinfo=UTC)
SECOND_CLOSED = datetime(2026, 6, 10, 21, 59, tzinfo=UTC)
# the words of the chefs' free texts; none may survive anonymising
TEXTS = ("Jag lyssnar", "Hemlig styrka", "Vikarier saknas", "Bemanningen")


async def two_closed_rounds(db: Database) -> tuple[int, int, int]:
    """Two closed rounds of the demo, with statuses, comments, texts, ratings and consent."""
    org, programme, _ = await demo(db)
    await everyone_at_work(db, org)
    first = await a_round(
        db,
        org,
        programme,
        "Delår 1",
        5,
        {
            "Maria": Answer(confidence=2, strengths="Bemanningen"),
            "Johan": Answer(confidence=3),
            "Leila": Answer(confidence=3),
            "Karin": Answer(confidence=4),
            "Mikael": Answer(confidence=4),
            "Peter": Answer(confidence=1),
        },
    )
    await close_round(db, round_id=first, now=FIRST_CLOSED)
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
            "Leila": Answer(4, principle=2, status=("in_progress", "")),
            "Karin": Answer(
                5, principle=3, status=("done", ""), strengths="Hemlig styrka", consent=True
            ),
            "Mikael": Answer(4, principle=3, status=("done", "")),
            "Sara": Answer(3, support=2, principle=3, status=("not_started", "")),
            "Erik": Answer(2, support=1, principle=1, status=("delayed", "")),
            "Amira": Answer(5, state="started"),
            "Lena": Answer(state="unreachable"),
        },
    )
    await close_round(db, round_id=second, now=SECOND_CLOSED)
    return org, first, second


def figures(d: Digest) -> dict[str, Any]:
    """Every aggregate of a digest: what must not change."""
    return {
        "total": d.total,
        "departments": d.departments,
        "unreachable": (d.unreachable, d.on_leave, d.unreachable_reasons),
        "activities": [(a.code, a.counts, a.departments) for a in d.activities or []],
        "areas": d.areas,
        "needs": d.needs,
        "principles": (d.principles, d.principle_respondents),
        "confidence": (d.confidence, d.confidence_departments),
        "trend": [(p.title, p.n, p.mean, p.departments) for p in d.trend],
        "hidden": d.hidden_departments,
    }


async def everything(db: Database) -> str:
    """Every row of every table, as text."""
    rows: list[str] = []
    async with db.session() as s:
        for table in SQLModel.metadata.sorted_tables:
            rows += [repr(tuple(row)) for row in (await s.exec(sa_select(table))).all()]  # type: ignore[call-overload]
    return "\n".join(rows)


async def answers_of(db: Database, round_id: int) -> tuple[Any, ...]:
    async with db.session() as s:
        ids = select(Invitation.id).where(Invitation.round_id == round_id).scalar_subquery()
        return (
            sorted(
                (a.invitation_id, a.activity_id, a.status, a.comment)
                for a in (
                    await s.exec(
                        select(ActivityStatusAnswer).where(
                            col(ActivityStatusAnswer.invitation_id).in_(ids)
                        )
                    )
                ).all()
            ),
            sorted(
                (r.invitation_id, r.key, r.text)
                for r in (
                    await s.exec(
                        select(ReflectionAnswer).where(col(ReflectionAnswer.invitation_id).in_(ids))
                    )
                ).all()
            ),
            sorted(
                (g.invitation_id, g.section, g.key, g.value)
                for g in (
                    await s.exec(
                        select(RatingAnswer).where(col(RatingAnswer.invitation_id).in_(ids))
                    )
                ).all()
            ),
            sorted(
                (i.id, i.chef_id, i.state)
                for i in (
                    await s.exec(select(Invitation).where(Invitation.round_id == round_id))
                ).all()
            ),
        )


async def test_nothing_at_23_months_anonymised_at_24_and_never_again(db: Database) -> None:
    _, first, second = await two_closed_rounds(db)
    before = {r: await compile_digest(db, round_id=r, now=SECOND_CLOSED) for r in (first, second)}
    assert before[second].identified  # texts the digest showed so far
    assert before[second].unreachable_reasons == {"ConversationBlockedByUser": 1}
    untouched = await answers_of(db, first), await answers_of(db, second)

    # 23 months and a few days after the first round closed: not yet
    assert (await apply_retention(db, now=datetime(2027, 12, 20, 12, tzinfo=UTC))).rounds == []
    assert (await answers_of(db, first), await answers_of(db, second)) == untouched

    # 24 months after: the first round, and only it
    at_24 = datetime(2028, 1, 15, 23, 0, tzinfo=UTC)
    done = await apply_retention(db, now=at_24)
    assert [(r.round_id, r.action) for r in done.rounds] == [(first, "anonymise")]
    # twelve invited (the delivery log of each invitation names its chef), one text
    assert (done.rounds[0].invitations, done.rounds[0].messages) == (12, 12)
    assert done.rounds[0].texts == 1
    assert await answers_of(db, second) == untouched[1]
    assert (await apply_retention(db, now=at_24)).rounds == []  # a second pass: nothing

    # the second round's 24 months
    later = datetime(2028, 6, 10, 22, 0, tzinfo=UTC)
    [retained] = (await apply_retention(db, now=later)).rounds
    assert (retained.round_id, retained.invitations, retained.messages) == (second, 12, 12)
    assert retained.texts == 3  # two strengths and one status comment
    assert retained.answers == 0
    again = await everything(db)
    assert (await apply_retention(db, now=later)).rounds == []
    assert await everything(db) == again  # nothing changed at all

    for round_id in (first, second):
        after = await compile_digest(db, round_id=round_id, now=later)
        assert figures(after) == figures(before[round_id])
        assert after.quotes == [] and after.identified == []  # aggregates only
    # no free text anywhere, and no answer of these rounds joined to a chef
    dump = await everything(db)
    assert not [text for text in TEXTS if text in dump]
    async with db.session() as s:
        invitations = (await s.exec(select(Invitation))).all()
        rounds = (await s.exec(select(Round).order_by(col(Round.id)))).all()
        messages = (await s.exec(select(OutboxMessage))).all()
        events = (await s.exec(select(AuditEvent))).all()
    assert {i.chef_id for i in invitations} == {None}
    assert {i.department_id is not None for i in invitations} == {True}
    assert {i.unit for i in invitations} == {""}  # a unit names its chef
    assert [i.submitted_at for i in invitations] == [None] * len(invitations)
    assert [r.retained_at for r in rounds] == [at_24, later]
    assert [m.chef_id for m in messages] == []
    audited = [(e.actor, e.action, e.round_id, e.detail) for e in events]
    assert [a[:3] for a in audited] == [
        ("scheduler", "retention.run", first),
        ("scheduler", "retention.run", second),
    ]
    assert audited[1][3] == {
        "action": "anonymise",
        "months": 24,
        "invitations": 12,
        "texts": 3,
        "answers": 0,
        "messages": 12,
    }


async def test_purging_deletes_the_answers_and_keeps_the_response_rate(db: Database) -> None:
    org, first, second = await two_closed_rounds(db)
    await set_policy(db, organisation_id=org, retention_action="purge", retention_months=12)
    before = await compile_digest(db, round_id=second, now=SECOND_CLOSED)
    assert (await apply_retention(db, now=datetime(2027, 6, 9, 12, tzinfo=UTC))).rounds[
        0
    ].round_id == first
    [purged] = (await apply_retention(db, now=datetime(2027, 6, 10, 22, tzinfo=UTC))).rounds
    assert (purged.round_id, purged.action) == (second, "purge")
    assert purged.answers > 0 and purged.texts == 0
    statuses, texts, ratings, invitations = await answers_of(db, second)
    assert (statuses, texts, ratings) == ([], [], [])
    assert {chef for _, chef, _ in invitations} == {None}
    after = await compile_digest(db, round_id=second, now=SECOND_CLOSED)
    assert (after.total, after.departments) == (before.total, before.departments)
    # what was published stays as it was; no text and no name is left
    assert figures(after) == figures(before)
    assert after.quotes == [] and after.identified == []


async def test_the_policy_is_checked_and_months_count_in_calendar_months(db: Database) -> None:
    org, _, _ = await demo(db)
    with pytest.raises(PolicyError) as caught:
        await set_policy(db, organisation_id=org, retention_months=0)
    assert caught.value.code == "bad_months"
    with pytest.raises(PolicyError) as caught:
        await set_policy(db, organisation_id=org, retention_action="shred")
    assert caught.value.code == "bad_action"
    policy = await set_policy(db, organisation_id=org, keep_identified_statuses=False)
    assert (policy.retention_months, policy.retention_action) == (24, "anonymise")
    assert policy.keep_identified_statuses is False
    assert months_before(datetime(2028, 8, 31, 9, tzinfo=UTC), 6) == datetime(
        2028, 2, 29, 9, tzinfo=UTC
    )
    assert months_before(datetime(2028, 1, 15, tzinfo=UTC), 24) == datetime(2026, 1, 15, tzinfo=UTC)


async def test_the_schedulers_tick_runs_retention(db: Database) -> None:
    _, first, second = await two_closed_rounds(db)
    scheduler = Scheduler(
        db,
        clock=lambda: datetime(2028, 6, 11, 8, tzinfo=UTC),
        policy=Policy(),
        title_of=stored_title_of(),
    )
    try:
        assert await scheduler.tick()
    finally:
        await scheduler.stop()
    async with db.session() as s:
        rounds = (await s.exec(select(Round).where(col(Round.id).in_([first, second])))).all()
    assert all(r.retained_at is not None for r in rounds)
