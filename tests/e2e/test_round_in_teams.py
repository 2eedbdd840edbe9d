"""A round from end to end in a real Teams client: `ledarpuls serve` on the demo and two
Microsoft 365 Agents Playgrounds, the chef's and HR's, driven as the two people use them."""

from __future__ import annotations

import asyncio

import pytest

from bot.demo import DEMO_NAME
from dialogs.texts import t
from tests.cards import assert_valid_cards
from tests.e2e.world import COMMENT, LANGUAGE, World, answers
from tests.playground import (
    actions_of,
    card_of,
    has_card,
    inputs_of,
    texts,
    title_of,
)

pytestmark = pytest.mark.e2e

TITLE = "Delår 1"
# The round goes to Äldreomsorg: its three demo chefs (Karin Sjöberg among them), none on leave
DEPARTMENT = "Äldreomsorg"
INVITED = 3


async def test_a_round_from_the_hr_cards_to_the_digest(world: World) -> None:
    chef, hr, camera = world.chef, world.hr, world.camera

    # installing: Karin is matched to the roster and welcomed with the card; Eva is staff; both
    # in the organisation's language, whatever locale the Playground's client says
    await chef.install()
    welcome = await chef.expect(t(LANGUAGE, "welcome.title", name="Karin"))
    assert t(LANGUAGE, "welcome.purpose", organisation=DEMO_NAME) in texts(welcome)
    await hr.install()
    await hr.expect(t(LANGUAGE, "welcome.staff", name="Eva", organisation=DEMO_NAME))

    # HR makes a round for Äldreomsorg with the card, then opens it
    await hr.say("ny omgång")
    form = await hr.expect(t("sv", "hr.new.title"))
    departments = next(e for e in inputs_of(form) if e["id"] == "departments")
    chosen = next(c for c in departments["choices"] if c["title"].startswith(DEPARTMENT))
    # the form becomes the round's card in its place, and that card the opened round's
    created = await hr.press(form, "create", title=TITLE, departments=chosen["value"])
    assert created is not None and created["messageId"] == form["messageId"]
    assert title_of(created) == t("sv", "hr.round.created")
    assert t("sv", "hr.round.reach", count=INVITED) in texts(created)
    opened = await hr.press(created, "open")
    assert opened is not None and "open" not in actions_of(opened)
    assert t("sv", "hr.opened", title=TITLE, count=INVITED, on_leave=0) in texts(opened)

    # the invitation reaches Karin
    invitation = await chef.expect(lambda m: title_of(m) == TITLE and "start" in actions_of(m))
    assert t(LANGUAGE, "checkin.invitation.pause") in texts(invitation)
    await camera.shoot(chef, "invitation", invitation)

    # she answers every card, then sends her answers in from the summary: one card, each
    # press answered with the next step in its place (Universal Actions)
    card = await chef.press(invitation, "start")
    steps = []
    while card is not None and "submit" not in actions_of(card):
        assert card["messageId"] == invitation["messageId"]
        steps.append(card)
        if len(steps) == 1:
            await camera.shoot(chef, "activity-card", card)
        if len(steps) == 2:
            # back to the first step and forward again, as on a phone between two meetings
            back = await chef.press(card, "goto")
            assert back is not None and title_of(back) == title_of(steps[0])
            card = await chef.press(back, "save", **answers(back))
            assert card is not None and title_of(card) == title_of(steps[1])
        card = await chef.press(card, "save", **answers(card))
    assert [title_of(s) for s in steps] == [
        t(LANGUAGE, "checkin.step_of", n=n, total=len(steps)) for n in range(1, len(steps) + 1)
    ]
    summary = card
    assert summary is not None
    assert title_of(summary) == t(LANGUAGE, "checkin.summary.title", round=TITLE)
    assert t(LANGUAGE, "checkin.summary.incomplete") not in texts(summary)

    # the summary she pressed becomes the receipt, with nothing left to send
    receipt = await chef.press(summary, "submit")
    assert receipt is not None and receipt["messageId"] == invitation["messageId"]
    assert title_of(receipt) == t(LANGUAGE, "checkin.receipt.title")
    assert TITLE in texts(receipt)
    assert COMMENT in texts(receipt)
    assert any(line.endswith(t(LANGUAGE, "checkin.status.in_progress")) for line in texts(receipt))
    assert actions_of(receipt) == {"reopen"}
    # the receipt from the outbox is a line; her own feedback comes when the round closes
    after_date = t(LANGUAGE, "feedback.receipt", round=TITLE, date="{date}").split("{date}")[1]
    await chef.expect(after_date)
    await camera.shoot(chef, "receipt", receipt, most=1000)

    # HR sees her submission
    await hr.say("status")
    status = await hr.expect(t(LANGUAGE, "hr.status.title", title=TITLE))
    rate = t(LANGUAGE, "hr.status.rate", submitted=1, invited=INVITED, rate="33 %")
    assert rate in texts(status)
    not_answered = texts(status).index(t(LANGUAGE, "hr.status.not_answered", count=INVITED - 1))
    assert chef.name not in texts(status)[not_answered + 1]
    await camera.shoot(hr, "hr-status", status)

    # HR closes the round and gets the digest; Karin gets her own feedback
    await hr.say("stäng")
    confirm = await hr.expect(t("sv", "hr.close.title", title=TITLE))
    assert t("sv", "hr.close.body", submitted=1, invited=INVITED) in texts(confirm)
    await hr.press(confirm, "close")
    await hr.expect(t("sv", "round.closed"))
    digest = await hr.expect(lambda m: title_of(m) == t("sv", "digest.title", round=TITLE))
    response = t(
        "sv", "digest.prose.response", round=TITLE, submitted=1, invited=INVITED, rate="33 %"
    )
    assert response in texts(digest)
    await camera.shoot(hr, "digest", digest)
    await chef.expect(t(LANGUAGE, "feedback.closed", round=TITLE))
    feedback_lines = [
        f for f in chef.received if t(LANGUAGE, "feedback.closed", round=TITLE) in str(f)
    ]
    assert len(feedback_lines) == 1  # once, at the close

    # her invitation, seen again after the close: the round is closed, nothing to press
    closed = await chef.refresh(invitation)
    assert closed is not None and actions_of(closed) == set()
    assert t(LANGUAGE, "checkin.receipt.closed") in texts(closed)

    # after `language english` Karin is answered in English, her cards too
    await chef.say("language english")
    await chef.expect(t("en", "language.chosen"))
    await chef.say("mina svar")
    answers_card = await chef.expect(t("en", "checkin.receipt.title"))
    assert t("en", "checkin.receipt.closed") in texts(answers_card)
    english = await chef.refresh(invitation)
    assert english is not None and title_of(english) == t("en", "checkin.receipt.title")

    # and every card the two of them were sent passes Microsoft's reference renderer
    sent = [f.get("message", {}) for chat in (chef, hr) for f in chat.received]
    await asyncio.to_thread(assert_valid_cards, [card_of(m) for m in sent if has_card(m)])
