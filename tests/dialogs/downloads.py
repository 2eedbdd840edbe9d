"""Downloads as a person in Teams gets them: a card's button pressed, the link in the answer."""

from __future__ import annotations

from typing import Any

from followup.digest.pdf import available
from followup.policy import Policy
from tests.cards import assert_valid_cards
from tests.dialogs.checkin_world import Client, Connector, card_action, cards_to, post


def download_buttons(card: dict[str, Any]) -> dict[str, str]:
    """A card's download buttons: title → the format it asks for (never a link)."""
    buttons = {}
    for action in card.get("actions", []):
        assert "url" not in action, "a card in a chat holds no link"
        data = action.get("data") or {}
        if data.get("action") == "download":
            buttons[action["title"]] = data["format"]
    return buttons


def digest_buttons(soffice: str = Policy.soffice) -> dict[str, str]:
    """The buttons a digest card in Swedish has where the bot is given `soffice`: PDF/A only
    where LibreOffice is installed."""
    pdf = {"Ladda ner PDF/A": "pdf"} if available(soffice) else {}
    return {"Ladda ner XLSX": "xlsx", "Ladda ner DOCX": "docx", **pdf, "Ladda ner som text": "md"}


async def fresh_link(
    client: Client, connector: Connector, person: dict[str, str], card: dict[str, Any], kind: str
) -> str:
    """The person presses the card's button for `kind`: the link the bot answers with."""
    [button] = [
        a
        for a in card["actions"]
        if (a.get("data") or {}).get("action") == "download" and a["data"]["format"] == kind
    ]
    # a Universal Action (Action.Submit on a card from before them): the card with the link
    # comes as a message of its own, the pressed card stays as it is
    await post(client, card_action(connector, person, button, {}, reply_to=card.get("_id")))
    answer = cards_to(connector, person)[-1]
    assert_valid_cards([answer])
    [link] = [a["url"] for a in answer["actions"] if a["type"] == "Action.OpenUrl"]
    return str(link)


def path_of(url: str) -> str:
    """A link's path on the bot (the test client's server has another address)."""
    return "/" + url.split("://", 1)[1].split("/", 1)[1]
