"""A retry budget by time, not by count: an outage of hours is ridden out, a message given up is
shown to HR with why, and HR's remind or Teams' recovery sends it again, once. The clock is the
dispatcher's own (injected), so hours pass in a few passes."""

from __future__ import annotations

import argparse
import collections
import json
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlmodel import select

from bot.cli_rounds import run_round
from bot.outbox_dispatcher import OutboxDispatcher
from dialogs.hr_cards import status_card
from followup.policy import Policy
from followup.rounds.progress import progress, remind
from storage.database import Database
from storage.models import Chef, Invitation, OutboxMessage, Programme, Round
from storage.outbox_store import NewMessage, OutboxStore
from storage.types import utcnow
from tests.bot.outbox_world import conversation_of, dispatcher, world
from tests.fakes.bot_connector import FakeBotConnector, running_connector

DOWN = [503] * 10_000  # every send refused until the test clears it


class Clock:
    """The dispatcher's clock, moved by the test."""

    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def connector() -> AsyncIterator[FakeBotConnector]:
    async with running_connector(conversation_limits=[]) as fake:
        yield fake


async def a_round(
    db: Database, connector: FakeBotConnector, chefs: int, *, deadline: datetime
) -> tuple[int, int, list[int]]:
    """An open round to which `chefs` chefs with Teams conversations are invited (pending)."""
    org, ids = await world(db, connector, chefs)
    async with db.session() as s, s.begin():
        programme = Programme(
            organisation_id=org,
            code="P",
            title="Programmet",
            start_year=2026,
            end_year=2027,
            round_opens=["04-15"],
            answer_days=21,
        )
        s.add(programme)
        await s.flush()
        assert programme.id is not None
        round_ = Round(
            organisation_id=org,
            programme_id=programme.id,
            title="Delår 1",
            state="open",
            deadline=deadline,
            sections={"activity_status": "identified"},
            k=3,
            reminder_offsets=[7, 2],
            reminder_cap=2,
        )
        s.add(round_)
        await s.flush()
        assert round_.id is not None
        s.add_all(Invitation(round_id=round_.id, chef_id=c, state="pending") for c in ids)
    return org, round_.id, ids


async def queue(
    db: Database, org: int, round_id: int | None, chef_ids: list[int], *, kind: str, now: datetime
) -> None:
    await OutboxStore(db).enqueue(
        [
            NewMessage(
                organisation_id=org,
                dedupe_key=f"round:{round_id}:chef:{chef_id}:{kind}",
                kind=kind,
                round_id=round_id,
                chef_id=chef_id,
                payload={"type": "message", "text": f"{kind} till {chef_id}"},
            )
            for chef_id in chef_ids
        ],
        now=now,
    )


async def passes(
    d: OutboxDispatcher, db: Database, clock: Clock, *, step: timedelta, until: timedelta
) -> None:
    """Dispatch what is due, move the clock by `step`, again, for `until` of the clock's time
    (or until nothing is left queued)."""
    end = clock.now + until
    while clock.now < end:
        while await d.dispatch_once():
            pass
        if (await OutboxStore(db).counts()).get("queued", 0) == 0:
            return
        clock.now += step


async def plain(message: OutboxMessage, locale: str | None) -> dict[str, Any]:
    """What the chef sees, plainly: which kind of message, to whom."""
    return {"type": "message", "text": f"{message.kind} till {message.chef_id}"}


async def outbox(db: Database) -> dict[int | None, OutboxMessage]:
    async with db.session() as s:
        return {m.chef_id: m for m in (await s.exec(select(OutboxMessage))).all()}


async def invitations(db: Database, round_id: int) -> dict[int | None, Invitation]:
    async with db.session() as s:
        rows = (await s.exec(select(Invitation).where(Invitation.round_id == round_id))).all()
        return {i.chef_id: i for i in rows}


def received(connector: FakeBotConnector) -> collections.Counter[str]:
    return collections.Counter(a["_conversation"] for a in connector.activities)


async def test_an_outage_of_hours_is_ridden_out_and_every_chef_invited_once(
    db: Database, connector: FakeBotConnector
) -> None:
    clock = Clock()
    org, round_id, chefs = await a_round(db, connector, 3, deadline=clock.now + timedelta(days=9))
    await queue(db, org, round_id, chefs, kind="invitation", now=clock.now)
    connector.fail_next = [503, 502, 504, 412] * 10  # ~two hours of refusals for three chefs
    d = dispatcher(db, clock=clock, conversation_interval=0)

    await passes(d, db, clock, step=timedelta(minutes=5), until=timedelta(hours=5))

    assert received(connector) == {conversation_of(i): 1 for i in range(3)}
    sent = await outbox(db)
    assert {m.state for m in sent.values()} == {"sent"}
    assert all(m.attempts > 10 for m in sent.values())  # far beyond the old five
    assert all(m.failing_since is None and m.error_code is None for m in sent.values())
    assert {i.state for i in (await invitations(db, round_id)).values()} == {"delivered"}


async def test_given_up_after_the_window_hr_sees_why_and_recovery_sends_it_once(
    db: Database, connector: FakeBotConnector
) -> None:
    clock = Clock()
    org, round_id, chefs = await a_round(db, connector, 3, deadline=clock.now + timedelta(days=9))
    await queue(db, org, round_id, chefs[:2], kind="invitation", now=clock.now)
    connector.fail_next = list(DOWN)
    policy = Policy(send_retry_window=timedelta(hours=2))
    d = dispatcher(db, clock=clock, policy=policy, conversation_interval=0)

    await passes(d, db, clock, step=timedelta(minutes=10), until=timedelta(hours=3))

    given_up = await outbox(db)
    assert {(m.state, m.error_code) for m in given_up.values()} == {("failed", "TeamsNoAnswer")}
    assert connector.activities == []
    # HR sees who was not reached and why; the chefs are not marked as having blocked anything
    p = await progress(db, round_id=round_id)
    assert (p.total.unreachable, dict(p.total.reasons)) == (2, {"TeamsNoAnswer": 2})
    window = policy.send_retry_window
    card = json.dumps(
        status_card(p, "sv", now=clock.now, zone=policy.zone, retry_window=window),
        ensure_ascii=False,
    )
    assert "2 chefer: Teams svarade inte på 2 timmar" in card
    cli = await run_round(
        argparse.Namespace(lang="sv", round_command="status", id=round_id, json=False),
        db,
        org,
        policy=Policy(),
    )
    assert "  2 går inte att nå (Teams svarade inte på 6 timmar)" in cli
    async with db.session() as s:
        assert all(c.unreachable_code is None for c in (await s.exec(select(Chef))).all())

    # Teams answers again: the first message it takes brings back what was given up, once
    connector.fail_next = []
    await queue(db, org, None, chefs[2:], kind="heads_up", now=clock.now)
    await passes(d, db, clock, step=timedelta(minutes=1), until=timedelta(minutes=30))

    assert received(connector) == {conversation_of(i): 1 for i in range(3)}
    again = await outbox(db)
    assert [again[c].requeues for c in chefs[:2]] == [1, 1]
    states = {c: i.state for c, i in (await invitations(db, round_id)).items()}
    assert [states[c] for c in chefs[:2]] == ["delivered", "delivered"]
    p = await progress(db, round_id=round_id)
    assert (p.total.unreachable, p.total.delivered) == (0, 2)
    assert await d.recover() == 0 and await d.dispatch_once() == 0  # nothing more to send


async def test_nothing_is_tried_past_the_rounds_deadline(
    db: Database, connector: FakeBotConnector
) -> None:
    clock = Clock()
    deadline = clock.now + timedelta(minutes=45)
    org, round_id, chefs = await a_round(db, connector, 3, deadline=deadline)
    await queue(db, org, round_id, chefs[:1], kind="invitation", now=clock.now)
    await queue(db, org, round_id, chefs[1:2], kind="reminder", now=clock.now)
    connector.fail_next = list(DOWN)
    d = dispatcher(db, clock=clock, conversation_interval=0)

    await passes(d, db, clock, step=timedelta(minutes=5), until=timedelta(hours=1))

    late = await outbox(db)
    assert {(m.state, m.error_code) for m in late.values()} == {
        ("failed", "TeamsNoAnswerByDeadline")
    }
    assert clock.now <= deadline  # the last try no later than the deadline
    p = await progress(db, round_id=round_id)
    assert dict(p.total.reasons) == {"TeamsNoAnswerByDeadline": 1}  # the invitation
    card = json.dumps(status_card(p, "en", now=clock.now, zone=Policy().zone), ensure_ascii=False)
    assert "1 manager: Teams did not answer before the deadline" in card

    # Teams answers again after the deadline: a round past its deadline gets nothing late
    clock.now = deadline + timedelta(minutes=1)
    connector.fail_next = []
    await queue(db, org, None, chefs[2:], kind="heads_up", now=clock.now)
    await passes(d, db, clock, step=timedelta(minutes=1), until=timedelta(minutes=10))
    assert received(connector) == {conversation_of(2): 1}


async def test_hr_reminding_sends_an_invitation_that_never_arrived_as_the_invitation(
    db: Database, connector: FakeBotConnector
) -> None:
    clock = Clock()
    org, round_id, chefs = await a_round(db, connector, 2, deadline=clock.now + timedelta(days=9))
    d = dispatcher(
        db,
        clock=clock,
        policy=Policy(send_retry_window=timedelta(minutes=30)),
        render=plain,
        conversation_interval=0,
    )
    await queue(db, org, round_id, chefs[:1], kind="invitation", now=clock.now)
    await passes(d, db, clock, step=timedelta(minutes=1), until=timedelta(minutes=5))
    connector.fail_next = list(DOWN)  # then Teams stops answering, for the second chef's
    await queue(db, org, round_id, chefs[1:], kind="invitation", now=clock.now)
    await passes(d, db, clock, step=timedelta(minutes=5), until=timedelta(hours=1))
    assert (await outbox(db))[chefs[1]].error_code == "TeamsNoAnswer"

    connector.fail_next = []
    reminding = await remind(db, round_id=round_id, now=clock.now)
    await passes(d, db, clock, step=timedelta(minutes=1), until=timedelta(minutes=10))

    assert (reminding.resent, reminding.reminded) == (1, 1)
    texts = {a["_conversation"]: a["text"] for a in connector.activities[1:]}
    assert texts == {
        conversation_of(0): f"reminder till {chefs[0]}",  # had the invitation: a reminder
        conversation_of(1): f"invitation till {chefs[1]}",  # never had it: the invitation
    }
    assert received(connector) == {conversation_of(0): 2, conversation_of(1): 1}
    states = {c: i.state for c, i in (await invitations(db, round_id)).items()}
    assert states == {chefs[0]: "delivered", chefs[1]: "delivered"}
    # reminding again sends the second chef no second invitation
    again = await remind(db, round_id=round_id, now=clock.now)
    assert again.resent == 0


async def test_once_teams_takes_a_retry_again_the_others_waiting_go_at_once(
    db: Database, connector: FakeBotConnector
) -> None:
    clock = Clock()
    org, round_id, chefs = await a_round(db, connector, 2, deadline=clock.now + timedelta(days=9))
    await queue(db, org, round_id, chefs, kind="invitation", now=clock.now)
    connector.fail_next = [503] * 12  # six tries each: the next waits up to a minute or more
    d = dispatcher(db, clock=clock, conversation_interval=0, backoff_base=2.0)
    while connector.fail_next:
        await d.dispatch_once()
        clock.now += timedelta(minutes=5)
    waiting = await outbox(db)
    first, second = sorted(waiting.values(), key=lambda m: m.not_before)
    assert first.not_before < second.not_before and first.failing_since is not None

    clock.now = first.not_before  # Teams is back when the first is due again
    assert await d.dispatch_once() == 1
    assert await d.dispatch_once() == 1  # the second goes now, not after its back-off

    assert received(connector) == {conversation_of(0): 1, conversation_of(1): 1}
