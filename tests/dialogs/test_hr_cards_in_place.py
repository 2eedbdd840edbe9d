"""HR's cards with Universal Actions: a pressed round card changes in place (Öppna nu leaves an
open round's card, without Öppna nu), a round's card and its status card refresh to the round as
it is when shown again — for HR, and a lead's own departments, only, writing nothing — and a
card sent before Universal Actions (Action.Submit) still works, as an update of its message."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlmodel import select

from followup.policy import Policy
from followup.rounds.calendar import send_heads_up
from followup.rounds.lifecycle import close_round, create_round
from storage.database import Database
from storage.models import AuditEvent, OutboxMessage
from storage.types import utcnow
from tests.cards import assert_valid_cards, walk
from tests.dialogs import test_hr_dialog
from tests.dialogs.checkin_world import (
    CARD_TYPE,
    KARIN,
    MARIA,
    Client,
    Connector,
    card_action,
    db_of,
    deliver_outbox,
    open_a_round,
    post,
)
from tests.dialogs.test_hr_dialog import (
    OTHER_TENANT,
    OUTSIDER,
    demo,
    last_card,
    make_ifo_lead,
    press,
    rounds,
    say,
    state_of,
)

# the HR test world's connector, which also knows the HR admin of the next municipality
connector = test_hr_dialog.connector


async def refresh(
    client: Client, connector: Connector, person: dict[str, str], card: dict[str, Any]
) -> dict[str, Any] | None:
    """Teams shows `card` to `person` again (its `refresh`, from their own tenant): the card
    it shows instead, if any."""
    body = card_action(connector, person, card["refresh"]["action"], {}, reply_to=card.get("_id"))
    body["value"]["trigger"] = "automatic"
    if person is OUTSIDER:
        body["conversation"]["tenantId"] = OTHER_TENANT
        body["channelData"] = {"tenant": {"id": OTHER_TENANT}}
    answer = await post(client, body)
    assert answer is not None and answer.get("statusCode") == 200
    if answer.get("type") != CARD_TYPE:
        return None
    content: dict[str, Any] = answer["value"]
    return content


def buttons(card: dict[str, Any]) -> list[str]:
    """The titles of the card's buttons, wherever they are."""
    return [
        str(e["title"])
        for e in walk(card)
        if e.get("type") in ("Action.Execute", "Action.Submit") and "title" in e
    ]


async def written(db: Database) -> tuple[Any, ...]:
    """Everything a refresh could write: HR's state, the outbox and the audit log."""
    async with db.session() as s:
        audit = len((await s.exec(select(AuditEvent))).all())
        outbox = len((await s.exec(select(OutboxMessage))).all())
    return await state_of(db), audit, outbox


def as_sent_before(card: dict[str, Any]) -> dict[str, Any]:
    """The same card as it was sent before Universal Actions: Action.Submit, no refresh."""

    def old(node: Any) -> Any:
        if isinstance(node, list):
            return [old(item) for item in node]
        if not isinstance(node, dict):
            return node
        changed = {k: old(v) for k, v in node.items() if k != "refresh"}
        if node.get("type") == "Action.Execute":
            changed.pop("verb", None)
            changed["type"] = "Action.Submit"
        return changed

    result: dict[str, Any] = old(card)
    return result


async def test_a_heads_up_opened_now_changes_in_place_and_refreshes_to_the_round_as_it_is(
    client: Client, connector: Connector
) -> None:
    db = db_of(client)
    org, programme = await demo(client, connector)
    now = utcnow()
    planned = await create_round(
        db,
        organisation_id=org,
        programme_id=programme,
        title="Delår 3",
        opens_at=now + timedelta(days=3),
        deadline=now + timedelta(days=30),
        now=now,
        policy=Policy(),
    )
    assert planned.id is not None and planned.state == "scheduled"
    assert await send_heads_up(db, now=now, policy=Policy()) == 1
    await deliver_outbox(client, paced=False)
    heads_up = last_card(connector, KARIN)
    assert "öppnar den här omgången av sig själv" in str(heads_up)
    assert "Öppna nu" in buttons(heads_up)
    # it refreshes for Karin, the one it was sent to, and nobody else
    assert heads_up["refresh"]["userIds"] == [KARIN["id"]]

    # shown again before anything happened: the same round, its heading without "in a week"
    before = await written(db)
    again = await refresh(client, connector, KARIN, heads_up)
    assert again is not None and "Öppna nu" in buttons(again)
    assert "Den här omgången öppnar av sig själv" in str(again)
    assert await written(db) == before  # a refresh writes nothing, not even a read

    # Öppna nu: the card, in its place, is the open round's, without Öppna nu
    opened = await press(client, connector, KARIN, heads_up, "open")
    assert opened is not None and last_card(connector, KARIN)["_id"] == heads_up["_id"]
    assert "11 chefer får en inbjudan nu" in str(opened) and "öppen" in str(opened)
    assert buttons(opened) == ["Uppdatera", "Påminn", "Förläng", "Stäng"]
    assert [r.state for r in await rounds(db)] == ["open"]

    # the heads-up as another device still shows it: refreshed, the open round, no heads-up
    elsewhere = await refresh(client, connector, KARIN, heads_up)
    assert elsewhere is not None and "Öppna nu" not in buttons(elsewhere)
    assert "av sig själv" not in str(elsewhere) and "Stäng" in buttons(elsewhere)
    # the opened card shown again keeps saying what happened while the round is open
    assert "får en inbjudan nu" in str(await refresh(client, connector, KARIN, opened))

    # closed since (the CLI, the clock): every copy of the card shows it closed
    await close_round(db, round_id=planned.id, now=utcnow())
    closed = await refresh(client, connector, KARIN, opened)
    assert closed is not None and "stängd" in str(closed) and "får en inbjudan" not in str(closed)
    assert buttons(closed) == ["Sammanställning", "Status", "Skriv analys"]
    assert "Stäng" not in buttons(await refresh(client, connector, KARIN, heads_up) or {})
    assert_valid_cards([heads_up, again, opened, elsewhere, closed])


async def test_a_refresh_shows_nothing_to_someone_who_is_not_hr_here_and_writes_nothing(
    client: Client, connector: Connector
) -> None:
    db = db_of(client)
    org, programme = await demo(client, connector)
    round_id = await open_a_round(db, org, programme)
    await say(client, connector, KARIN, f"status {round_id}")
    status = last_card(connector, KARIN)
    await say(client, connector, KARIN, "ny omgång")
    form = last_card(connector, KARIN)
    deadline = (utcnow() + timedelta(days=20)).date().isoformat()
    draft = await press(
        client, connector, KARIN, form, "create", {"title": "X", "deadline": deadline}
    )
    assert draft is not None and "refresh" in draft and "refresh" in status
    before = await written(db)
    sent = len(connector.activities)

    # forwarded to a chef, or to HR of another municipality (their own tenant): refreshed,
    # no card comes back, the card shows what it showed, and not a row is written
    for person in (MARIA, OUTSIDER):
        for card in (status, draft):
            assert await refresh(client, connector, person, card) is None
    # a card's data made by hand: another organisation's round, a view that is none
    forged = {**draft, "refresh": {"action": {**draft["refresh"]["action"]}}}
    forged["refresh"]["action"]["data"] = {**draft["refresh"]["action"]["data"], "round": 4711}
    assert await refresh(client, connector, KARIN, forged) is None
    forged["refresh"]["action"]["data"] = {**draft["refresh"]["action"]["data"], "view": "x"}
    assert await refresh(client, connector, KARIN, forged) is None
    assert await written(db) == before
    assert connector.activities[sent:] == []  # nothing said in any chat either

    # Karin's own status shown again: today's figures, and who has not sent in only when she
    # asks (every read of names is on record; a refresh writes nothing)
    assert "Mikael Björk" in str(status)
    own = await refresh(client, connector, KARIN, status)
    assert own is not None and "0 av 11 har svarat" in str(own)
    assert "Har inte skickat in (11)" in str(own) and "Mikael Björk" not in str(own)
    assert "Vilka det är visas när du ber om läget igen" in str(own)
    assert await written(db) == before

    # a department lead refreshing Karin's status (forwarded) sees her own departments only
    await make_ifo_lead(db, org, MARIA)
    before = await written(db)
    leads = await refresh(client, connector, MARIA, status)
    assert leads is not None and "Individ- och familjeomsorg" in str(leads)
    assert "Äldreomsorg" not in str(leads) and "Karin Sjöberg" not in str(leads)
    assert "actions" not in leads  # no closing or reminding from a lead's card
    assert await refresh(client, connector, MARIA, draft) is None  # a round's card is HR's
    assert await written(db) == before
    assert_valid_cards([status, draft, own, leads])


async def test_skip_status_and_the_forms_answer_in_place_of_the_round_card(
    client: Client, connector: Connector
) -> None:
    db = db_of(client)
    org, programme = await demo(client, connector)
    await say(client, connector, KARIN, "ny omgång")
    form = last_card(connector, KARIN)
    deadline = (utcnow() + timedelta(days=20)).date().isoformat()
    draft = await press(
        client, connector, KARIN, form, "create", {"title": "X", "deadline": deadline}
    )
    assert draft is not None
    draft = {**draft, "_id": form["_id"]}
    # Ändra: the form in the round card's place; sending it, the round's card again
    change = await press(client, connector, KARIN, draft, "change_form")
    assert change is not None and "Spara ändringarna" in buttons(change)
    changed = await press(client, connector, KARIN, {**change, "_id": form["_id"]}, "change")
    assert changed is not None and "Ändringarna är sparade" in str(changed)
    # Hoppa över: the card says so, with nothing left to press
    skipped = await press(client, connector, KARIN, {**changed, "_id": form["_id"]}, "skip")
    assert skipped is not None and "X hoppas över" in str(skipped)
    assert buttons(skipped) == [] and [r.state for r in await rounds(db)] == ["archived"]
    assert last_card(connector, KARIN)["_id"] == form["_id"]  # all of it in one place

    # an open round's status card: Uppdatera, Stäng and Förläng answer in its place
    round_id = await open_a_round(db, org, programme, title="Delår 1")
    await say(client, connector, KARIN, f"status {round_id}")
    status = last_card(connector, KARIN)
    now_status = await press(client, connector, KARIN, status, "status")
    assert now_status is not None and "Läget i Delår 1" in str(now_status)
    extend = await press(client, connector, KARIN, status, "extend_form")
    assert extend is not None and "Förläng" in str(extend) and "deadline" in str(extend)
    close = await press(client, connector, KARIN, status, "close_form")
    assert close is not None and "Stänga Delår 1?" in str(close)
    closed = await press(client, connector, KARIN, {**close, "_id": status["_id"]}, "close")
    assert closed is not None and "stängd" in str(closed) and "Stäng" not in buttons(closed)
    assert all(c["_id"] in (form["_id"], status["_id"]) for c in in_place(connector))
    assert_valid_cards([draft, change, changed, skipped, now_status, extend, close, closed])


def in_place(connector: Connector) -> list[dict[str, Any]]:
    return [a for a in connector.activities if a.get("_in_place")]


async def test_a_round_card_sent_before_universal_actions_still_works_as_an_update(
    client: Client, connector: Connector
) -> None:
    db = db_of(client)
    await demo(client, connector)
    await say(client, connector, KARIN, "ny omgång")
    form = last_card(connector, KARIN)
    deadline = (utcnow() + timedelta(days=20)).date().isoformat()
    draft = await press(
        client, connector, KARIN, form, "create", {"title": "X", "deadline": deadline}
    )
    assert draft is not None
    old = {**as_sent_before(draft), "_id": form["_id"]}
    assert "Action.Execute" not in str(old) and "Action.Submit" in str(old)
    updates = len(connector.updates)

    # Öppna nu on the old card: a message with its data; the answer updates that message
    assert await press(client, connector, KARIN, old, "open") is None
    assert [r.state for r in await rounds(db)] == ["open"]
    [update] = connector.updates[updates:]
    assert update["_id"] == form["_id"]
    opened = update["attachments"][0]["content"]
    assert "11 chefer får en inbjudan nu" in str(opened) and "Öppna nu" not in buttons(opened)
    # what replaces it is the new kind: Universal Actions, refreshing for Karin
    assert "Action.Submit" not in str(opened) and opened["refresh"]["userIds"] == [KARIN["id"]]
    assert_valid_cards([old, opened])


async def test_tillbaka_on_a_form_brings_the_rounds_card_back_and_changes_nothing(
    client: Client, connector: Connector
) -> None:
    """Stäng, Förläng or Ändra by mistake: the form took the round's card's place, and
    Tillbaka puts the card back as the round is — nothing sent, checked or written."""
    db = db_of(client)
    org, programme = await demo(client, connector)
    round_id = await open_a_round(db, org, programme, title="Delår 1")
    await say(client, connector, KARIN, f"status {round_id}")
    status = last_card(connector, KARIN)
    for form_action in ("close_form", "extend_form"):
        form = await press(client, connector, KARIN, status, form_action)
        assert form is not None and buttons(form)[-1] == "Tillbaka"
        before = await written(db)
        back = await press(client, connector, KARIN, form, "refresh", {"deadline": "nonsense"})
        assert back is not None and "Stäng" in buttons(back) and "Tillbaka" not in buttons(back)
        assert await written(db) == before
        assert [r.state for r in await rounds(db)] == ["open"]
    assert_valid_cards([form, back])
