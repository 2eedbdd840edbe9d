"""HR's "påminn" outside working hours asks whether to send now or when the next working day
starts; "later" waits in the outbox until then, survives a restart and is sent once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import col, select

from bot.app import ADAPTER
from bot.outbox_dispatcher import OutboxDispatcher
from bot.teams_notifier import TeamsNotifier
from dialogs.outbox_renderer import OutboxRenderer
from followup.hr import operations
from followup.hr.operations import Call
from followup.people.access import Access
from followup.policy import Policy
from followup.rounds.lifecycle import RoundError, create_round, open_round
from storage.database import Database
from storage.models import AuditEvent, OutboxMessage, Role, Round
from storage.role_store import RoleStore
from tests.cards import assert_valid_cards
from tests.dialogs.checkin_world import (
    KARIN,
    MARIA,
    Client,
    Connector,
    activity,
    cards_to,
    db_of,
    install,
    organisation,
    post,
    texts_to,
)

SE = ZoneInfo("Europe/Stockholm")
FRIDAY_EVENING = datetime(2026, 12, 4, 22, 0, tzinfo=SE)
MONDAY_MORNING = datetime(2026, 12, 7, 8, 0, tzinfo=SE)


class Clock:
    """The app's time, moved by the test."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(FRIDAY_EVENING)


@pytest.fixture
def app_clock(clock: Clock) -> Callable[[], datetime]:
    return clock


async def a_round_with_hr(
    client: Client, connector: Connector, clock: Clock, *, open_for: timedelta = timedelta(days=40)
) -> int:
    """Karin (HR admin and a chef) and Maria have the app; a round opened on Friday, its
    invitations delivered."""
    db = db_of(client)
    org, programme = await organisation(db, clock=clock)
    await RoleStore(db).grant(
        organisation_id=org,
        principal=KARIN["aadObjectId"],
        role=Role.HR_ADMIN,
        created_by="test",
        now=clock.now,
    )
    for person in (KARIN, MARIA):
        await install(client, connector, person)
    round_ = await create_round(
        db,
        organisation_id=org,
        programme_id=programme,
        title="Delår 2",
        deadline=clock.now + open_for,
        now=clock.now,
        policy=Policy(),
    )
    assert round_.id is not None
    await open_round(db, round_id=round_.id, now=clock.now, policy=Policy())
    await deliver(client, clock)
    return round_.id


async def deliver(client: Client, clock: Clock) -> int:
    """What a dispatcher started now sends (a restarted bot's, say): how many messages."""
    db = db_of(client)
    dispatcher = OutboxDispatcher(
        db=db,
        notifier=TeamsNotifier(client.app[ADAPTER], app_id=""),
        render=OutboxRenderer(db, policy=Policy(), clock=clock),
        conversation_interval=0,
        clock=clock,
    )
    sent = 0
    while count := await dispatcher.dispatch_once():
        sent += count
    return sent


async def reminders(db: Database) -> list[OutboxMessage]:
    async with db.session() as s:
        query = select(OutboxMessage).where(OutboxMessage.kind == "reminder")
        return list((await s.exec(query.order_by(col(OutboxMessage.id)))).all())


def reminded(connector: Connector, person: dict[str, str]) -> int:
    return sum(t.startswith("Påminnelse:") for t in texts_to(connector, person, with_cards=True))


async def say(client: Client, connector: Connector, person: dict[str, str], text: str) -> None:
    await post(client, activity(connector, person, text=text, textFormat="plain"))


async def press(
    client: Client, connector: Connector, person: dict[str, str], card: dict[str, object], what: str
) -> None:
    actions = card["actions"]
    assert isinstance(actions, list)
    [data] = [a["data"] for a in actions if a["data"]["action"] == what]
    await post(client, activity(connector, person, value=data, replyToId=card["_id"]))


async def test_pamin_on_a_friday_evening_asks_and_next_morning_waits_in_the_outbox(
    client: Client, connector: Connector, clock: Clock
) -> None:
    db = db_of(client)
    round_id = await a_round_with_hr(client, connector, clock)

    await say(client, connector, KARIN, "påminn")
    question = cards_to(connector, KARIN)[-1]
    assert_valid_cards([question])
    titles = [a["title"] for a in question["actions"]]
    assert titles == ["Skicka nu", "Skicka senare"]
    assert "Väljer du senare skickas den måndag 7 december kl. 08.00." in str(question)
    assert "Delår 2" in str(question) and await reminders(db) == []  # nothing yet

    await press(client, connector, KARIN, question, "remind_later")
    # the question became the answer, so it cannot be pressed twice by mistake
    [answer] = [u for u in connector.updates if u["_id"] == question["_id"]]
    assert "2 påminnelser skickas måndag 7 december kl. 08.00." in str(answer)
    queued = await reminders(db)
    assert len(queued) == 2
    assert all(m.not_before == MONDAY_MORNING for m in queued)

    # all weekend nothing goes, whoever sends; a restart on Monday sends them once
    clock.now = datetime(2026, 12, 6, 12, 0, tzinfo=SE)
    assert await deliver(client, clock) == 0
    assert reminded(connector, MARIA) == 0
    clock.now = MONDAY_MORNING
    assert await deliver(client, clock) == 2
    assert await deliver(client, clock) == 0
    assert (reminded(connector, MARIA), reminded(connector, KARIN)) == (1, 1)

    async with db.session() as s:
        events = (await s.exec(select(AuditEvent).where(AuditEvent.action == "round.remind"))).all()
    [event] = events
    assert (event.round_id, event.detail["reminded"], event.detail["not_before"]) == (
        round_id,
        2,
        MONDAY_MORNING.isoformat(),
    )


async def test_pamin_at_work_sends_at_once_and_now_is_now(
    client: Client, connector: Connector, clock: Clock
) -> None:
    db = db_of(client)
    await a_round_with_hr(client, connector, clock)

    # Friday night, "Skicka nu": sent at once, as before
    await say(client, connector, KARIN, "påminn")
    question = cards_to(connector, KARIN)[-1]
    await press(client, connector, KARIN, question, "remind_now")
    assert "2 påminnelser skickas nu." in str(connector.updates[-1])
    assert all(m.not_before == FRIDAY_EVENING for m in await reminders(db))

    # Monday at ten: no question, sent at once (at most the round's cap each)
    clock.now = datetime(2026, 12, 7, 10, 0, tzinfo=SE)
    await say(client, connector, KARIN, "påminn")
    assert texts_to(connector, KARIN)[-1].startswith("2 påminnelser skickas nu.")
    # the old question pressed on Monday: "next working morning" is now
    await press(client, connector, KARIN, question, "remind_later")
    assert "Ingen behöver påminnas" in str(connector.updates[-1])
    assert all(m.not_before <= clock.now for m in await reminders(db))


async def test_a_chef_pressing_the_question_changes_nothing(
    client: Client, connector: Connector, clock: Clock
) -> None:
    db = db_of(client)
    await a_round_with_hr(client, connector, clock)
    await say(client, connector, KARIN, "påminn")
    question = cards_to(connector, KARIN)[-1]
    # forwarded to Maria, who is no HR admin
    await press(client, connector, MARIA, question, "remind_later")
    assert texts_to(connector, MARIA)[-1] == (
        "Det här kortet är till för HR i din organisation, så jag har inte gjort något."
    )
    assert await reminders(db) == []
    async with db.session() as s:
        refused = (await s.exec(select(AuditEvent).where(AuditEvent.action == "hr.refused"))).one()
    assert refused.actor == MARIA["upn"] and refused.detail["command"] == "remind"


async def test_in_english_the_question_names_the_day_in_english(
    client: Client, connector: Connector, clock: Clock
) -> None:
    await a_round_with_hr(client, connector, clock)
    await say(client, connector, KARIN, "language english")
    clock.now = datetime(2026, 12, 7, 6, 30, tzinfo=SE)  # Monday before work: today at eight
    await post(
        client,
        activity(connector, KARIN, text="remind", textFormat="plain", locale="en-GB"),
    )
    question = cards_to(connector, KARIN)[-1]
    assert [a["title"] for a in question["actions"]] == ["Send now", "Send later"]
    assert "If you choose later, it is sent today at 08:00." in str(question)
    clock.now = datetime(2026, 12, 31, 18, 0, tzinfo=SE)  # New Year's Eve: next year's day
    await post(
        client,
        activity(connector, KARIN, text="remind", textFormat="plain", locale="en-GB"),
    )
    question = cards_to(connector, KARIN)[-1]
    assert "If you choose later, it is sent Monday 4 January 2027 at 08:00." in str(question)
    assert_valid_cards([question])


async def test_on_the_last_evening_pamin_sends_at_once(
    client: Client, connector: Connector, clock: Clock
) -> None:
    """The next working morning comes after the deadline: there is nothing to ask."""
    await a_round_with_hr(client, connector, clock, open_for=timedelta(hours=1, minutes=59))
    await say(client, connector, KARIN, "påminn")
    assert texts_to(connector, KARIN)[-1].startswith("2 påminnelser skickas nu.")
    assert all(m.not_before == FRIDAY_EVENING for m in await reminders(db_of(client)))


async def test_the_operation_refuses_a_moment_past_the_deadline_and_takes_one_come_as_now(
    client: Client, connector: Connector, clock: Clock
) -> None:
    """What `ledarpuls round remind --next-morning` and the card both go through."""
    db = db_of(client)
    round_id = await a_round_with_hr(client, connector, clock, open_for=timedelta(hours=1))
    async with db.session() as s:
        org = (await s.exec(select(Round.organisation_id))).one()
    call = Call(
        db, Access(actor="karin", organisation_id=org, admin=True), "cli", clock.now, Policy()
    )
    with pytest.raises(RoundError) as refused:
        await operations.remind(call, round_id=round_id, at=MONDAY_MORNING)
    assert refused.value.code == "remind_after_deadline"
    assert await reminders(db) == []
    done = await operations.remind(call, round_id=round_id, at=clock.now - timedelta(minutes=1))
    assert done.not_before is None and done.reminding.reminded == 2
