"""HR's roles in Teams: who holds one, taking one back (never the last HR admin's), and that a
removed HR admin is refused at once."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from tests.cards import assert_valid_cards
from tests.dialogs import test_hr_dialog
from tests.dialogs.checkin_world import KARIN, MARIA, db_of
from tests.dialogs.test_hr_dialog import audit_actions, demo, last_card, last_text, press, say
from tests.fakes.bot_connector import FakeBotConnector

# the HR test world's connector, which also knows the HR admin of another municipality
connector = test_hr_dialog.connector


async def test_hr_lists_roles_and_takes_one_back_and_the_removed_admin_is_refused_at_once(
    client: TestClient[Any, Any], connector: FakeBotConnector
) -> None:
    db = db_of(client)
    await demo(client, connector)

    await say(client, connector, KARIN, "ta bort hr")
    remove = last_card(connector, KARIN)
    # Karin is the only HR admin: nobody could run the rounds without her
    await press(client, connector, KARIN, remove, "remove_hr", {"principal": KARIN["aadObjectId"]})
    assert "enda HR-administratör och kan inte tas bort" in last_text(connector, KARIN)
    await press(client, connector, KARIN, remove, "remove_hr", {"principal": "inte en adress"})
    assert "Skriv en e-postadress (UPN) eller ett objekt-id" in last_text(connector, KARIN)

    await say(client, connector, KARIN, "lägg till hr")
    await press(
        client, connector, KARIN, last_card(connector, KARIN), "add_hr", {"principal": MARIA["upn"]}
    )
    await say(client, connector, MARIA, "omgångar")
    assert "Omgångar" in str(last_card(connector, MARIA))  # Maria runs rounds now
    await say(client, connector, MARIA, "lägg till hr")
    marias_card = last_card(connector, MARIA)  # kept, to press after she is removed

    await say(client, connector, KARIN, "roller")
    roles = last_card(connector, KARIN)
    assert KARIN["aadObjectId"] in str(roles) and MARIA["upn"] in str(roles)
    assert "HR-administratörer" in str(roles) and "tillagd" in str(roles)

    await press(client, connector, KARIN, remove, "remove_hr", {"principal": MARIA["upn"]})
    assert last_text(connector, KARIN) == f"{MARIA['upn']} är inte längre HR-administratör."
    await press(client, connector, KARIN, remove, "remove_hr", {"principal": MARIA["upn"]})
    assert last_text(connector, KARIN).startswith(f"{MARIA['upn']} är inte HR-administratör")
    # her very next command: roles are looked up afresh on every turn
    await say(client, connector, MARIA, "omgångar")
    assert last_text(connector, MARIA).startswith("Det här kan bara HR")
    await say(client, connector, MARIA, "roller")
    assert last_text(connector, MARIA).startswith("Det här kan bara HR")
    # the card she got while she was HR admin: refused, and nobody is added
    await press(client, connector, MARIA, marias_card, "add_hr", {"principal": "ny@demo.se"})
    assert last_text(connector, MARIA) == (
        "Det här kortet är till för HR i din organisation, så jag har inte gjort något."
    )
    await say(client, connector, KARIN, "roller")
    assert "ny@demo.se" not in str(last_card(connector, KARIN))

    await say(client, connector, KARIN, "language english")
    await say(client, connector, KARIN, "roles", locale="en-GB")
    english = last_card(connector, KARIN)
    assert "Roles in Ledarpuls" in str(english) and MARIA["upn"] not in str(english)

    actions = [(actor, action) for actor, action, _ in await audit_actions(db)]
    assert actions.count((KARIN["upn"], "hr.remove")) == 2  # done, and nothing to do
    assert (KARIN["upn"], "hr.list") in actions
    assert actions.count((MARIA["upn"], "hr.refused")) == 3
    assert_valid_cards([remove, roles, english])
