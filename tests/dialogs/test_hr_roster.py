"""HR keeps the roster in Teams: a chef found, moved, put on leave and back, their employment
ended; a new chef added and reached in the chat they already had; stale cards, chefs and other
organisations refused with nothing changed."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import select

from storage.models import Chef, OutboxMessage
from tests.cards import assert_valid_cards, walk
from tests.dialogs import test_hr_dialog
from tests.dialogs.checkin_world import (
    KARIN,
    MARIA,
    Client,
    Connector,
    add_person,
    cards_to,
    db_of,
    deliver_outbox,
    install,
    open_a_round,
    texts_to,
)
from tests.dialogs.test_hr_dialog import (
    OUTSIDER,
    audit_actions,
    demo,
    last_card,
    last_text,
    press,
    say,
    updated,
)

# the HR test world's connector, which also knows the HR admin of another municipality
connector = test_hr_dialog.connector

NORA = {
    "id": "29:nora",
    "aadObjectId": "1a2b3c4d-0001-4000-8000-0000000000aa",
    "upn": "nora.nilsson@demo.ledarpuls.se",
    "name": "Nora Nilsson",
    "conv": "a:nora",
}


async def chef(client: Client, upn: str) -> Chef:
    async with db_of(client).session() as s:
        return (await s.exec(select(Chef).where(Chef.upn == upn))).one()


def department_id(card: dict[str, Any], name: str) -> str:
    """The value a card's department choice has for a department's name."""
    for element in walk(card):
        if element.get("type") == "Input.ChoiceSet":
            for choice in element.get("choices", []):
                if choice["title"] == name:
                    return str(choice["value"])
    raise AssertionError(f"no department {name} on the card")


async def test_hr_finds_a_chef_moves_them_sets_and_ends_leave_and_ends_the_employment(
    client: Client, connector: Connector
) -> None:
    await demo(client, connector)
    await say(client, connector, KARIN, "chefer")
    search = last_card(connector, KARIN)
    await press(client, connector, KARIN, search, "roster_find", {"query": "lindqvist"})
    [johan_card] = [last_card(connector, KARIN)]
    assert "Johan Lindqvist" in str(johan_card) and "Frånvarande till och med" in str(johan_card)

    await press(client, connector, KARIN, search, "roster_find", {"query": "maria"})
    maria_card = last_card(connector, KARIN)
    assert "Maria Åkesson" in str(maria_card) and "I tjänst" in str(maria_card)
    elder_care = department_id(maria_card, "Äldreomsorg")
    await press(
        client,
        connector,
        KARIN,
        maria_card,
        "roster_move",
        {"department": elder_care, "unit": "Hemtjänst Syd"},
    )
    assert last_text(connector, KARIN) == "Maria Åkesson är flyttad."
    moved = updated(connector)
    assert "Hemtjänst Syd" in str(moved) and "Äldreomsorg" in str(moved)
    maria = await chef(client, MARIA["upn"])
    assert (maria.unit, maria.active) == ("Hemtjänst Syd", True)

    # the card from before the move is stale: pressing it changes nothing
    await press(client, connector, KARIN, maria_card, "roster_end")
    assert last_text(connector, KARIN).startswith("Kortet är inaktuellt")
    assert (await chef(client, MARIA["upn"])).active

    moved["_id"] = maria_card["_id"]
    await press(client, connector, KARIN, moved, "roster_leave", {"until": "2099-05-31"})
    assert last_text(connector, KARIN) == "Maria Åkesson är frånvarande till och med 31 maj 2099."
    on_leave = updated(connector)
    on_leave["_id"] = maria_card["_id"]
    await press(client, connector, KARIN, on_leave, "roster_leave", {"back": True})
    assert last_text(connector, KARIN) == "Maria Åkesson är inte längre frånvarande."
    back = updated(connector)
    back["_id"] = maria_card["_id"]
    await press(client, connector, KARIN, back, "roster_end")
    assert last_text(connector, KARIN).startswith("Maria Åkesson har slutat")
    ended = updated(connector)
    assert "Slutade" in str(ended)
    assert not (await chef(client, MARIA["upn"])).active

    actions = [a for actor, a, _ in await audit_actions(db_of(client)) if actor == KARIN["upn"]]
    assert {"roster.find", "roster.move", "roster.end", "chef.on_leave", "hr.refused"} <= set(
        actions
    )
    assert_valid_cards([search, johan_card, maria_card, moved, on_leave, back, ended])


async def test_a_new_chef_who_already_had_the_app_is_invited_to_the_open_round_at_once(
    client: Client, connector: Connector
) -> None:
    db = db_of(client)
    org, programme = await demo(client, connector)
    round_id = await open_a_round(db, org, programme)
    add_person(connector, NORA)
    await install(client, connector, NORA)
    assert "finns inte i listan" in texts_to(connector, NORA)[-1]

    await say(client, connector, KARIN, "chefer")
    await press(client, connector, KARIN, last_card(connector, KARIN), "roster_add_form")
    form = last_card(connector, KARIN)
    await press(
        client,
        connector,
        KARIN,
        form,
        "roster_add",
        {"upn": "nora@", "name": "", "department": "999999"},
    )
    problems = last_text(connector, KARIN)
    assert "”nora@” är ingen e-postadress" in problems and "Namn måste fyllas i" in problems
    async with db.session() as s:
        assert (await s.exec(select(Chef).where(Chef.name == "Nora Nilsson"))).first() is None

    ifo = department_id(form, "Individ- och familjeomsorg")
    await press(
        client,
        connector,
        KARIN,
        form,
        "roster_add",
        {"upn": NORA["upn"], "name": NORA["name"], "department": ifo, "unit": "Öppenvården"},
    )
    assert last_text(connector, KARIN) == (
        "Nora Nilsson finns nu i registret. Inbjuden till 1 öppen omgång."
    )
    await deliver_outbox(client, paced=False)
    invitation = cards_to(connector, NORA)[-1]
    assert "Delår 1" in str(invitation)
    async with db.session() as s:
        sent = (await s.exec(select(OutboxMessage).where(OutboxMessage.kind == "invitation"))).all()
    nora = await chef(client, NORA["upn"])
    assert [m.state for m in sent if m.chef_id == nora.id] == ["sent"]

    await say(client, connector, KARIN, f"status {round_id}")
    assert "1 har bjudits in i efterhand" in str(last_card(connector, KARIN))
    assert_valid_cards([form, invitation, last_card(connector, KARIN)])


@pytest.mark.parametrize("who", ["chef", "outsider"])
async def test_roster_cards_are_refused_for_a_chef_and_another_organisation(
    client: Client, connector: Connector, who: str
) -> None:
    db = db_of(client)
    await demo(client, connector)
    await say(client, connector, KARIN, "chefer")
    await press(
        client, connector, KARIN, last_card(connector, KARIN), "roster_find", {"query": "maria"}
    )
    maria_card = last_card(connector, KARIN)
    person = MARIA if who == "chef" else OUTSIDER
    await say(client, connector, person, "chefer")
    if who == "chef":
        assert last_text(connector, person).startswith("Det här kan bara HR")
    for action in ("roster_end", "roster_move", "roster_leave"):
        # as Teams sends it: the show-card's inputs with their values
        filled = {"until": "2099-01-01", "department": department_id(maria_card, "Äldreomsorg")}
        await press(client, connector, person, maria_card, action, filled)
        if who == "chef":
            assert last_text(connector, person).startswith("Det här kortet är till för HR")
        else:
            assert last_text(connector, person).startswith("Chefen finns inte")
    maria = await chef(client, MARIA["upn"])
    assert maria.active and maria.on_leave_until is None and maria.unit == "Barn och unga"
    refusals = [a for actor, a, _ in await audit_actions(db) if actor == person["upn"]]
    assert refusals and set(refusals) == {"hr.refused"}


async def test_the_roster_card_in_english(client: Client, connector: Connector) -> None:
    await demo(client, connector)
    await say(client, connector, KARIN, "language english")
    await say(client, connector, KARIN, "managers", locale="en-GB")
    search = last_card(connector, KARIN)
    assert "Look a manager up" in str(search)
    await press(client, connector, KARIN, search, "roster_find", {"query": "demo"})
    found = last_card(connector, KARIN)
    assert "managers match" in str(found)
    await press(client, connector, KARIN, search, "roster_add_form")
    assert_valid_cards([search, found, last_card(connector, KARIN)])


async def test_a_new_chef_without_the_app_is_reached_once_they_install_it(
    client: Client, connector: Connector
) -> None:
    db = db_of(client)
    org, programme = await demo(client, connector)
    await open_a_round(db, org, programme)
    await say(client, connector, KARIN, "chefer")
    await press(client, connector, KARIN, last_card(connector, KARIN), "roster_add_form")
    form = last_card(connector, KARIN)
    ifo = department_id(form, "Individ- och familjeomsorg")
    await press(
        client,
        connector,
        KARIN,
        form,
        "roster_add",
        {"upn": NORA["upn"], "name": NORA["name"], "department": ifo},
    )
    await deliver_outbox(client, paced=False)
    assert cards_to(connector, NORA) == []  # no chat yet, no object id to start one with
    add_person(connector, NORA)
    await install(client, connector, NORA)
    await deliver_outbox(client, paced=False)
    assert any("Delår 1" in str(card) for card in cards_to(connector, NORA))
