"""The check-in's card lives: each press changes it in place, and whenever Teams shows it again
(its `refresh`, on another device or scrolled back to) it shows where the check-in stands — an
old invitation says Fortsätt, a sent-in one its receipt, a closed round's invitation that it is
closed, with no buttons. A card from before Universal Actions (Action.Submit) keeps working."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlmodel import select

from followup.rounds.calendar import close_with_results
from storage.models import ActivityStatusAnswer, AuditEvent, Round
from storage.types import utcnow
from tests.cards import assert_valid_cards, walk
from tests.dialogs.checkin_world import (
    KARIN,
    MARIA,
    Client,
    Connector,
    answer_all,
    cards_to,
    db_of,
    inputs,
    press,
    refresh,
    texts_to,
)
from tests.dialogs.test_check_in_dialog import answer_steps, invited


def buttons(card: dict[str, Any] | None) -> list[str]:
    assert card is not None
    return [a["title"] for a in card.get("actions", [])]


def reads(card: dict[str, Any] | None) -> str:
    return json.dumps(card, ensure_ascii=False)


@pytest.mark.parametrize("world", ["endpoint", "turns"], indirect=True)
async def test_an_old_card_shown_again_shows_where_the_check_in_stands(
    client: Client, connector: Connector
) -> None:
    await invited(client, connector)
    invitation = cards_to(connector, KARIN)[-1]
    # the invitation refreshes for Karin, and only for her
    assert invitation["refresh"]["userIds"] == [KARIN["id"]]
    assert invitation["refresh"]["action"]["verb"] == "refresh"
    assert buttons(await refresh(client, connector, KARIN, invitation)) == [
        "Starta",
        "Påminn mig senare",
    ]

    second = await answer_steps(client, connector, KARIN, steps=1)
    # the invitation as it was sent, seen again (another device): the check-in is under way
    again = await refresh(client, connector, KARIN, invitation)
    assert buttons(again)[0] == "Fortsätt"
    # a step card shown again: the same step, as saved
    first = next(c for c in cards_to(connector, KARIN) if "Steg 1 av" in reads(c))
    shown = await refresh(client, connector, KARIN, first)
    assert "Steg 1 av" in reads(shown)
    saved = {k: e.get("value") for k, e in inputs(shown or {}).items()}
    typed = answer_all(first)
    assert {k: saved[k] for k in typed} == typed  # what she saved, not an empty form

    # going back is one press, in place, and what was saved is there
    back = await press(client, connector, KARIN, second, "goto")
    assert back is not None and "Steg 1 av" in reads(back)
    assert {k: e.get("value") for k, e in inputs(back).items()} == saved

    summary = await answer_steps(client, connector, KARIN)
    await press(client, connector, KARIN, summary, "submit")
    for old in (invitation, first, summary):
        receipt = await refresh(client, connector, KARIN, old)
        assert "Dina svar" in reads(receipt) and "Skickades in" in reads(receipt)
        assert buttons(receipt) == ["Ändra mina svar"]
    assert_valid_cards([c for c in (again, shown, back, receipt) if c is not None])


async def test_a_closed_rounds_invitation_shows_closed_and_no_buttons(
    client: Client, connector: Connector
) -> None:
    round_id = await invited(client, connector, KARIN, MARIA)
    karins = cards_to(connector, KARIN)[-1]
    marias = cards_to(connector, MARIA)[-1]
    summary = await answer_steps(client, connector, MARIA)
    await press(client, connector, MARIA, summary, "submit")
    await close_with_results(db_of(client), round_id=round_id, now=utcnow())

    closed = await refresh(client, connector, KARIN, karins)
    assert closed is not None and "actions" not in closed
    assert "är stängd" in reads(closed) and "skickades aldrig in" in reads(closed)
    # Maria answered: her card is her receipt, no longer to change
    receipt = await refresh(client, connector, MARIA, marias)
    assert "Skickades in" in reads(receipt) and buttons(receipt) == []
    assert_valid_cards([closed, receipt])  # type: ignore[list-item]


async def test_a_refresh_of_another_chefs_card_shows_nothing_and_writes_nothing(
    client: Client, connector: Connector
) -> None:
    await invited(client, connector, KARIN, MARIA)
    karins = cards_to(connector, KARIN)[-1]
    async with db_of(client).session() as s:
        before = len((await s.exec(select(AuditEvent))).all())
    assert await refresh(client, connector, MARIA, karins) is None
    async with db_of(client).session() as s:
        assert len((await s.exec(select(AuditEvent))).all()) == before
    assert texts_to(connector, MARIA) == []


async def test_a_card_sent_before_universal_actions_still_works_and_is_replaced(
    client: Client, connector: Connector
) -> None:
    """An Action.Submit card from an older version: its press is a message, and its answer
    goes out as an update of that card's message."""
    await invited(client, connector)
    invitation = cards_to(connector, KARIN)[-1]
    step = await press(client, connector, KARIN, invitation, "start")
    assert step is not None

    def as_submit(node: Any) -> Any:
        if isinstance(node, list):
            return [as_submit(n) for n in node]
        if not isinstance(node, dict):
            return node
        old = {k: as_submit(v) for k, v in node.items() if k not in ("verb", "refresh")}
        if node.get("type") == "Action.Execute":
            old["type"] = "Action.Submit"
        return old

    old_card = {**as_submit(step), "_id": invitation["_id"]}
    assert "Action.Execute" not in reads(old_card)
    await press(client, connector, KARIN, old_card, "save", answer_all(old_card))
    [update] = connector.updates
    assert update["_id"] == invitation["_id"]
    next_step = update["attachments"][0]["content"]
    assert "Steg 2 av" in reads(next_step)
    assert any(e.get("type") == "Action.Execute" for e in walk(next_step))  # replaced by a new one
    async with db_of(client).session() as s:
        assert (await s.exec(select(ActivityStatusAnswer))).all() != []


async def test_a_round_closed_while_a_step_is_open_answers_closed_in_place(
    client: Client, connector: Connector
) -> None:
    round_id = await invited(client, connector)
    step = await answer_steps(client, connector, KARIN, steps=0)
    async with db_of(client).session() as s, s.begin():
        round_ = await s.get(Round, round_id)
        assert round_ is not None
        round_.state = "closed"
    # the press is refused with a line in the chat; the card, shown again, says closed
    await press(client, connector, KARIN, step, "save", answer_all(step))
    assert "stängd" in texts_to(connector, KARIN)[-1]
    shown = await refresh(client, connector, KARIN, step)
    assert shown is not None and "actions" not in shown
