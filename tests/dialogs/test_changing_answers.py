"""A chef changes answers she has sent in, in Teams: what she sent counts until she sends the
changes; she can undo them; an older card, or one of a closed round, changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import col, select

from followup.rounds.calendar import close_with_results
from storage.models import AnswerDraft, AuditEvent, RatingAnswer
from storage.types import utcnow
from tests.dialogs.checkin_world import (
    KARIN,
    Client,
    Connector,
    activity,
    cards_to,
    db_of,
    deliver_outbox,
    post,
    press,
    texts_to,
)
from tests.dialogs.test_check_in_dialog import (
    answer_steps,
    change_confidence,
    invited,
    karins,
    receipts_to,
)

UNSENT = "Ändringarna är inte inskickade än (Trygghet i rollen)"


async def what_counts(client: Client, round_id: int) -> tuple[str, int, int]:
    """Karin's invitation state, the confidence that counts, and how many drafts there are."""
    async with db_of(client).session() as s:
        invitation = await karins(s, round_id)
        [rating] = (
            await s.exec(select(RatingAnswer).where(RatingAnswer.key == "confidence"))
        ).all()
        drafts = (await s.exec(select(AnswerDraft))).all()
    return invitation.state, rating.value, len(drafts)


def actions_of(card: dict[str, Any]) -> list[str]:
    return [a.get("data", {}).get("action", a["type"]) for a in card.get("actions", [])]


async def sent_in(client: Client, connector: Connector) -> int:
    """Karin invited, every step answered (confidence 5) and sent in."""
    round_id = await invited(client, connector)
    summary = await answer_steps(client, connector, KARIN)
    await press(client, connector, KARIN, summary, "submit")
    return round_id


@pytest.mark.parametrize("world", ["endpoint", "turns"], indirect=True)
async def test_opening_changing_and_stopping_keeps_what_was_sent_in_until_undone(
    client: Client, connector: Connector
) -> None:
    round_id = await sent_in(client, connector)
    await post(client, activity(connector, KARIN, text="ändra mina svar"))
    looking = cards_to(connector, KARIN)[-1]
    assert "Här är svaren du skickade in." in str(looking)
    assert actions_of(looking) == ["Action.ShowCard"]  # nothing changed: nothing to send
    assert await what_counts(client, round_id) == ("submitted", 5, 0)

    changed = await change_confidence(client, connector, KARIN, "2")
    assert UNSENT in str(changed)
    assert actions_of(changed) == ["submit", "discard", "Action.ShowCard"]
    # she stops here: still answered, with what she sent in
    assert await what_counts(client, round_id) == ("submitted", 5, 1)
    await post(client, activity(connector, KARIN, text="mina svar"))
    assert UNSENT in str(cards_to(connector, KARIN)[-1])
    await post(client, activity(connector, KARIN, text="hej, var var jag?"))
    assert UNSENT in str(cards_to(connector, KARIN)[-1])

    receipt = await press(client, connector, KARIN, changed, "discard")
    assert receipt is not None and "Ändringarna är borttagna." in str(receipt)
    assert cards_to(connector, KARIN)[-1]["_id"] == changed["_id"]  # the summary became it
    assert "Dina svar" in str(receipt) and "Tack!" not in str(receipt)
    assert await what_counts(client, round_id) == ("submitted", 5, 0)


async def test_sending_changes_in_counts_them_and_brings_a_new_receipt(
    client: Client, connector: Connector
) -> None:
    round_id = await sent_in(client, connector)
    changed = await change_confidence(client, connector, KARIN, "3")
    receipt = await press(client, connector, KARIN, changed, "submit")
    assert "Tack! Dina svar är inskickade" in str(receipt)
    assert cards_to(connector, KARIN)[-1]["_id"] == changed["_id"]  # in place
    assert await what_counts(client, round_id) == ("submitted", 3, 0)
    await deliver_outbox(client, paced=False)
    [receipt] = receipts_to(connector, KARIN)  # the first sending-in's is stale, dropped
    assert "Delår 1" in receipt["text"]


async def test_cards_from_before_a_sending_in_change_nothing(
    client: Client, connector: Connector
) -> None:
    round_id = await invited(client, connector)
    summary = await answer_steps(client, connector, KARIN)
    first_steps = [c for c in cards_to(connector, KARIN) if "Spara och fortsätt" in str(c)]
    await press(client, connector, KARIN, summary, "submit")

    # a step card from the first answering: the answers are sent in since
    confidence_card = next(c for c in first_steps if '"confidence"' in str(c).replace("'", '"'))
    await press(client, connector, KARIN, confidence_card, "save", {"confidence": "1"})
    assert "redan inskickade" in texts_to(connector, KARIN)[-1]
    assert await what_counts(client, round_id) == ("submitted", 5, 0)

    # changed and sent in again: the step card of that change is older than the sending-in
    await post(client, activity(connector, KARIN, text="ändra mina svar"))
    await press(
        client,
        connector,
        KARIN,
        cards_to(connector, KARIN)[-1],
        "goto",
        {"goto_step": "confidence"},
    )
    changing = cards_to(connector, KARIN)[-1]
    await press(client, connector, KARIN, changing, "save", {"confidence": "4"})
    changed = cards_to(connector, KARIN)[-1]
    await press(client, connector, KARIN, changed, "submit")
    assert await what_counts(client, round_id) == ("submitted", 4, 0)
    await press(client, connector, KARIN, changing, "save", {"confidence": "2"})
    assert "redan inskickade" in texts_to(connector, KARIN)[-1]
    await press(client, connector, KARIN, changed, "discard")
    await press(client, connector, KARIN, summary, "submit")  # the very first summary
    assert "redan inskickade" in texts_to(connector, KARIN)[-1]
    assert await what_counts(client, round_id) == ("submitted", 4, 0)
    await deliver_outbox(client, paced=False)
    assert len(receipts_to(connector, KARIN)) == 1  # the latest sending-in's only

    async with db_of(client).session() as s:
        events = (await s.exec(select(AuditEvent).order_by(col(AuditEvent.id)))).all()
    refused = [e.detail["reason"] for e in events if e.action == "checkin.refused"]
    assert refused == ["already_submitted"] * 4  # on record, without what the cards held


async def test_changes_pending_when_the_round_closes_are_not_sent_in(
    client: Client, connector: Connector
) -> None:
    round_id = await sent_in(client, connector)
    changed = await change_confidence(client, connector, KARIN, "1")
    await close_with_results(db_of(client), round_id=round_id, now=utcnow())
    assert await what_counts(client, round_id) == ("submitted", 5, 0)  # the last sent in
    await press(client, connector, KARIN, changed, "submit")
    assert "stängd" in texts_to(connector, KARIN)[-1]
    await press(client, connector, KARIN, changed, "discard")
    assert "stängd" in texts_to(connector, KARIN)[-1]
    assert await what_counts(client, round_id) == ("submitted", 5, 0)


async def test_the_invitations_starta_after_sending_in_opens_the_answers_to_change(
    client: Client, connector: Connector
) -> None:
    round_id = await sent_in(client, connector)
    invitation = next(c for c in cards_to(connector, KARIN) if "Starta" in str(c))
    shown = await press(client, connector, KARIN, invitation, "start")
    assert "Här är svaren du skickade in." in str(shown)
    assert "Det här är svaren du har skickat in" in str(shown)
    assert await what_counts(client, round_id) == ("submitted", 5, 0)
