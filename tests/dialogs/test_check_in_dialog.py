"""The chef's check-in: invitation → sections → submit → receipt (the whole of it also through
the real endpoint)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import col, select

from bot.settings import Settings
from followup.check_in.steps import load_check_in, submit
from followup.policy import Policy
from followup.rounds.calendar import close_with_results
from storage.models import (
    ActivityStatusAnswer,
    Chef,
    Invitation,
    RatingAnswer,
    ReflectionAnswer,
    Round,
)
from storage.types import utcnow
from tests.dialogs.checkin_world import (
    KARIN,
    MARIA,
    Client,
    Connector,
    activity,
    add_members,
    answer_all,
    cards_to,
    db_of,
    deliver_outbox,
    inputs,
    install,
    open_a_round,
    organisation,
    post,
    press,
    say,
    texts_to,
)
from tests.turns import running_teams


async def karins(session: Any, round_id: int) -> Invitation:
    query = (
        select(Invitation)
        .join(Chef, col(Chef.id) == col(Invitation.chef_id))
        .where(Invitation.round_id == round_id, Chef.upn == KARIN["upn"])
    )
    invitation: Invitation = (await session.exec(query)).one()
    return invitation


async def invited(client: Client, connector: Connector, *people: dict[str, str]) -> int:
    """The demo organisation, the people installed, a round open, its invitations delivered."""
    db = db_of(client)
    org, programme = await organisation(db)
    for person in people or (KARIN,):
        await install(client, connector, person)
    round_id = await open_a_round(db, org, programme)
    await deliver_outbox(client)
    return round_id


async def answer_steps(
    client: Client,
    connector: Connector,
    person: dict[str, str],
    steps: int | None = None,
) -> dict[str, Any]:
    """Press Starta, then fill in and save step cards until the summary (or `steps` of them)."""
    invitation = next(c for c in cards_to(connector, person) if "Starta" in str(c))
    await press(client, connector, person, invitation, "start")
    done = 0
    while True:
        card = cards_to(connector, person)[-1]
        if any(e == "submit" for e in str(card).split("'")) and "Skicka in" in str(card):
            return card
        if steps is not None and done == steps:
            return card
        await press(client, connector, person, card, "save", answer_all(card))
        done += 1


@pytest.mark.parametrize("world", ["endpoint", "turns"], indirect=True)
async def test_a_whole_check_in_from_invitation_to_feedback(
    client: Client, connector: Connector
) -> None:
    round_id = await invited(client, connector)
    [_welcome, invitation] = cards_to(connector, KARIN)
    assert "Starta" in str(invitation) and "Påminn mig senare" in str(invitation)

    summary = await answer_steps(client, connector, KARIN)
    shown = cards_to(connector, KARIN)
    step_cards = [c for c in shown if "Spara och fortsätt" in str(c)]
    assert len(step_cards) >= 5  # the activity areas, strengths and needs, principles, ...
    # the activities of the year the round opens in (the plan's years: how many is the year's)
    asked = {i for c in step_cards for i in inputs(c) if i.startswith("status:")}
    # one card, changed in place by each press: the invoke's answer, no call to the connector
    assert {c["_id"] for c in shown[2:]} == {invitation["_id"]}
    assert connector.updates == []
    # where you are, and the way back from every step but the first
    assert "Steg 1 av" in str(step_cards[0]) and "Tillbaka" not in str(step_cards[0])
    assert all("Tillbaka" in str(c) for c in step_cards[1:])

    await press(client, connector, KARIN, summary, "submit")

    receipt = cards_to(connector, KARIN)[-1]
    assert receipt["_id"] == invitation["_id"]  # the form became the receipt
    assert "Tack! Dina svar är inskickade" in str(receipt)
    assert not inputs(receipt)
    # the receipt was queued with the submit: a line, no feedback (that comes at the close)
    await deliver_outbox(client, paced=False)
    assert "skickades in den" in texts_to(connector, KARIN, with_cards=True)[-1]
    assert not any("återkoppling" in str(c).lower() for c in cards_to(connector, KARIN))
    await close_and_deliver(client, round_id)
    feedback = cards_to(connector, KARIN)[-1]
    assert "återkoppling" in str(feedback).lower()

    db = db_of(client)
    async with db.session() as s:
        invitation_row = await karins(s, round_id)
        statuses = (await s.exec(select(ActivityStatusAnswer))).all()
        ratings = {(r.section, r.key): r.value for r in (await s.exec(select(RatingAnswer))).all()}
        texts = (await s.exec(select(ReflectionAnswer))).all()
    assert invitation_row.state == "submitted" and invitation_row.submitted_at is not None
    assert invitation_row.card_activity_id == invitation["_id"]
    assert len(statuses) == len(asked) > 0 and all(a.comment for a in statuses)
    assert ratings[("confidence", "confidence")] == 5
    assert ("consent", "quote") in ratings and ("principles", "most") in ratings
    assert {t.key for t in texts} >= {"strengths", "example", "grow"}


async def test_stopping_half_way_and_resuming_after_a_restart(settings: Settings) -> None:
    async with running_teams(settings) as first:
        add_members(first)
        await invited(first, first)
        card = await answer_steps(first, first, KARIN, steps=2)
        third_step = card["body"][0]["text"]
        await say(first, first, KARIN, "avbryt")
        assert "Allt du har svarat är sparat" in texts_to(first, KARIN)[-1]
    # the service stops, and starts again
    async with running_teams(settings) as second:
        add_members(second)
        await say(second, second, KARIN, "hej igen, var var jag?")
        resumed = cards_to(second, KARIN)[-1]
        assert resumed["body"][0]["text"] == third_step
        await say(second, second, KARIN, "fortsätt")
        assert cards_to(second, KARIN)[-1]["body"][0]["text"] == third_step


async def test_bad_values_get_a_clear_message_and_change_nothing(
    client: Client, connector: Connector
) -> None:
    await invited(client, connector)
    card = await answer_steps(client, connector, KARIN, steps=0)
    values = answer_all(card)
    status_ids = [i for i in inputs(card) if i.startswith("status:")]
    comment_ids = [i for i in inputs(card) if i.startswith("comment:")]

    missing = {k: v for k, v in values.items() if k != status_ids[0]}
    shown = await press(client, connector, KARIN, card, "save", missing)
    # the same step comes back in place, the problem at the top, what was typed still there
    assert shown is not None and "Det här behöver rättas" in shown_text(shown)
    assert "Svar saknas på" in shown_text(shown)
    assert inputs(shown)[comment_ids[0]]["value"] == values[comment_ids[0]]

    shown = await press(
        client, connector, KARIN, card, "save", {**values, comment_ids[0]: "x" * 1001}
    )
    assert "är för lång (1\u00a0001 tecken, högst 1\u00a0000)" in shown_text(shown)
    assert inputs(shown)[comment_ids[0]]["value"] == "x" * 1001  # never cut

    shown = await press(client, connector, KARIN, card, "save", {**values, status_ids[0]: "kanske"})
    assert "finns inte bland alternativen" in shown_text(shown)

    texts = len(texts_to(connector, KARIN))
    await press(client, connector, KARIN, card, "save", values, invitation="7; DROP TABLE")
    assert "kunde inte läsa det kortet" in texts_to(connector, KARIN)[-1]
    assert len(texts_to(connector, KARIN)) == texts + 1  # the card itself stays as it was

    async with db_of(client).session() as s:
        assert (await s.exec(select(ActivityStatusAnswer))).all() == []
    assert connector.updates == []


async def test_a_pasted_comment_over_the_limit_is_refused_by_name_never_cut(
    client: Client, connector: Connector
) -> None:
    await invited(client, connector)
    card = await answer_steps(client, connector, KARIN, steps=0)
    [comment_id, *_] = [i for i in inputs(card) if i.startswith("comment:")]
    comment = inputs(card)[comment_id]
    # the limit is said before anything is typed, and nothing on the card cuts a paste
    assert comment["label"].startswith("Kommentar till ")
    assert comment["label"].endswith("(valfritt, högst 1\u00a0000 tecken)")
    assert "maxLength" not in comment
    activity_name = comment["label"].removeprefix("Kommentar till ").split(" (valfritt")[0]

    pasted = "Vi har gått igenom rutinen. " * 107  # 2,996 characters
    shown = await press(
        client, connector, KARIN, card, "save", {**answer_all(card), comment_id: pasted}
    )
    reply = shown_text(shown)
    assert f"Texten i ”Kommentar till {activity_name}” är för lång" in reply
    assert "(2\u00a0995 tecken, högst 1\u00a0000)" in reply  # trimmed of its last space
    async with db_of(client).session() as s:
        assert (await s.exec(select(ActivityStatusAnswer))).all() == []
        assert (await s.exec(select(ReflectionAnswer))).all() == []

    await press(
        client, connector, KARIN, card, "save", {**answer_all(card), comment_id: pasted[:1000]}
    )
    async with db_of(client).session() as s:
        saved = {a.comment for a in (await s.exec(select(ActivityStatusAnswer))).all()}
    assert pasted[:1000].strip() in saved  # at the limit it is kept whole


async def test_a_card_forwarded_to_another_chef_changes_nothing(
    client: Client, connector: Connector
) -> None:
    await invited(client, connector, KARIN, MARIA)
    karins_card = await answer_steps(client, connector, KARIN, steps=0)
    await press(client, connector, MARIA, karins_card, "save", answer_all(karins_card))
    assert "gäller en annan chef" in texts_to(connector, MARIA)[-1]
    async with db_of(client).session() as s:
        assert (await s.exec(select(ActivityStatusAnswer))).all() == []


async def test_a_card_from_a_closed_round_changes_nothing(
    client: Client, connector: Connector
) -> None:
    round_id = await invited(client, connector)
    card = await answer_steps(client, connector, KARIN, steps=0)
    async with db_of(client).session() as s, s.begin():
        round_ = await s.get(Round, round_id)
        assert round_ is not None
        round_.state = "closed"
    await press(client, connector, KARIN, card, "save", answer_all(card))
    assert "stängd" in texts_to(connector, KARIN)[-1]
    async with db_of(client).session() as s:
        assert (await s.exec(select(ActivityStatusAnswer))).all() == []


async def test_pressing_skicka_in_twice_records_one_submission(
    client: Client, connector: Connector
) -> None:
    round_id = await invited(client, connector)
    summary = await answer_steps(client, connector, KARIN)
    await press(client, connector, KARIN, summary, "submit")
    async with db_of(client).session() as s:
        first = await karins(s, round_id)
    await press(client, connector, KARIN, summary, "submit")
    async with db_of(client).session() as s:
        again = await karins(s, round_id)
    assert again.submitted_at == first.submitted_at
    assert "redan inskickade" in texts_to(connector, KARIN)[-1]
    await deliver_outbox(client, paced=False)
    assert len(receipts_to(connector, KARIN)) == 1
    await close_and_deliver(client, round_id)
    feedback_cards = [c for c in cards_to(connector, KARIN) if "återkoppling" in str(c).lower()]
    assert len(feedback_cards) == 1


async def change_confidence(
    client: Client, connector: Connector, person: dict[str, str], value: str
) -> dict[str, Any]:
    """`ändra mina svar`, Ändra → the confidence step, a new value saved: the summary after."""
    await post(client, activity(connector, person, text="ändra mina svar"))
    summary = cards_to(connector, person)[-1]
    await press(client, connector, person, summary, "goto", {"goto_step": "confidence"})
    step = cards_to(connector, person)[-1]
    await press(client, connector, person, step, "save", {"confidence": value})
    return cards_to(connector, person)[-1]


async def test_change_my_answers_until_the_deadline(client: Client, connector: Connector) -> None:
    round_id = await invited(client, connector)
    summary = await answer_steps(client, connector, KARIN)
    await press(client, connector, KARIN, summary, "submit")
    changed = await change_confidence(client, connector, KARIN, "2")
    assert "Ändringarna är inte inskickade än (Trygghet i rollen)" in str(changed)
    async with db_of(client).session() as s:
        row = await karins(s, round_id)
        [rating] = (
            await s.exec(select(RatingAnswer).where(RatingAnswer.key == "confidence"))
        ).all()
    assert row.state == "submitted" and rating.value == 5  # the answers sent in still count
    await press(client, connector, KARIN, changed, "submit")
    async with db_of(client).session() as s:
        again = await karins(s, round_id)
        [rating] = (
            await s.exec(select(RatingAnswer).where(RatingAnswer.key == "confidence"))
        ).all()
    assert again.state == "submitted" and rating.value == 2
    assert again.submitted_at is not None and row.submitted_at is not None
    assert again.submitted_at > row.submitted_at


async def test_remind_me_later_and_my_answers(client: Client, connector: Connector) -> None:
    round_id = await invited(client, connector)
    invitation = cards_to(connector, KARIN)[-1]
    shown = await press(client, connector, KARIN, invitation, "later")
    # the invitation stays, saying when the reminder comes, Starta still on it
    assert shown is not None and "påminner jag dig" in shown_text(shown)
    assert "Starta" in shown_text(shown)
    async with db_of(client).session() as s:
        row = await karins(s, round_id)
    assert row.remind_later_at is not None and row.remind_later_at > utcnow()
    assert row.remind_later_at - utcnow() < timedelta(days=4)

    await post(client, activity(connector, KARIN, text="mina svar"))
    assert "Sammanfattning" in str(cards_to(connector, KARIN)[-1])


async def test_english_teams_gets_the_check_in_in_the_organisations_language(
    client: Client, connector: Connector
) -> None:
    db = db_of(client)
    org, programme = await organisation(db)
    await install(client, connector, KARIN, locale="en-US")
    await open_a_round(db, org, programme)
    await deliver_outbox(client)
    invitation = cards_to(connector, KARIN)[-1]
    assert "Starta" in str(invitation) and "Påminn mig senare" in str(invitation)


def shown_text(card: dict[str, Any] | None) -> str:
    """A card's JSON as it reads (no escapes for å or a no-break space)."""
    return json.dumps(card, ensure_ascii=False)


async def close_and_deliver(client: Client, round_id: int) -> None:
    """The round closes (its results queued with it), and the outbox sends what it has."""
    await close_with_results(db_of(client), round_id=round_id, now=utcnow())
    await deliver_outbox(client, paced=False)


def receipts_to(connector: Connector, person: dict[str, str]) -> list[dict[str, Any]]:
    """The receipts the outbox brought: a line (the chef's own feedback comes at the close)."""
    return [
        a
        for a in connector.activities
        if a["_conversation"] == person["conv"] and "skickades in den" in (a.get("text") or "")
    ]


@pytest.mark.parametrize("world", ["endpoint"], indirect=True)
async def test_a_submit_whose_turn_died_brings_the_receipt_once(
    client: Client, connector: Connector
) -> None:
    round_id = await invited(client, connector)
    summary = await answer_steps(client, connector, KARIN)
    db = db_of(client)
    async with db.session() as s:
        invitation_id = (await karins(s, round_id)).id
    assert invitation_id is not None
    # the submit is committed, then the process dies before the turn sends anything
    check_in = await load_check_in(db, invitation_id, policy=Policy())
    assert check_in is not None
    assert await submit(db, check_in, now=utcnow())
    assert connector.updates == []

    # after the restart the chef sees no receipt, and presses Skicka in again
    await press(client, connector, KARIN, summary, "submit")
    assert "redan inskickade" in texts_to(connector, KARIN)[-1]
    await deliver_outbox(client, paced=False)
    await deliver_outbox(client, paced=False)
    [receipt] = receipts_to(connector, KARIN)
    assert "Delår 1" in receipt["text"]
    assert "återkoppling kommer när omgången har stängt" in receipt["text"]
    assert not receipt.get("attachments")  # a receipt, not the feedback


@pytest.mark.parametrize("world", ["endpoint"], indirect=True)
async def test_a_submit_whose_reply_was_lost_brings_the_receipt_once(
    client: Client, connector: Connector
) -> None:
    round_id = await invited(client, connector)
    summary = await answer_steps(client, connector, KARIN)
    connector.fail_next = [502] * 10  # Teams loses the update of the pressed card
    await press(client, connector, KARIN, summary, "submit")
    assert connector.updates == []  # the chef still sees Skicka in
    connector.fail_next = []
    await press(client, connector, KARIN, summary, "submit")
    assert "redan inskickade" in texts_to(connector, KARIN)[-1]
    await deliver_outbox(client, paced=False)
    assert len(receipts_to(connector, KARIN)) == 1
    async with db_of(client).session() as s:
        assert (await karins(s, round_id)).state == "submitted"


async def test_answers_changed_and_sent_in_again_bring_one_receipt(
    client: Client, connector: Connector
) -> None:
    await invited(client, connector)
    summary = await answer_steps(client, connector, KARIN)
    await press(client, connector, KARIN, summary, "submit")
    await press(
        client, connector, KARIN, await change_confidence(client, connector, KARIN, "3"), "submit"
    )
    # the first receipt, still queued, is stale now: only the latest sending-in's arrives
    await deliver_outbox(client, paced=False)
    assert len(receipts_to(connector, KARIN)) == 1
    await press(
        client, connector, KARIN, await change_confidence(client, connector, KARIN, "4"), "submit"
    )
    await deliver_outbox(client, paced=False)
    assert len(receipts_to(connector, KARIN)) == 2
