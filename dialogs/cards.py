"""Small helpers for building Adaptive Cards (schema 1.5, the newest Teams renders) from data."""

from __future__ import annotations

import logging
from typing import Any

from botbuilder.core import MessageFactory, TurnContext
from botbuilder.schema import Activity, ActivityTypes, Attachment

logger = logging.getLogger(__name__)

CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"


def card(body: list[dict[str, Any]], actions: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    result: dict[str, Any] = {
        "type": "AdaptiveCard",
        "$schema": SCHEMA,
        "version": "1.5",
        "body": body,
    }
    if actions:
        result["actions"] = actions
    return result


def text(value: str, **style: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "text": value, "wrap": True, **style}


def facts(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    return {"type": "FactSet", "facts": [{"title": k, "value": v} for k, v in pairs]}


def card_activity(content: dict[str, Any]) -> Activity:
    """A card as a message activity, ready to send through the turn context."""
    return MessageFactory.attachment(Attachment(content_type=CARD_CONTENT_TYPE, content=content))


def attachment(content: dict[str, Any]) -> dict[str, Any]:
    """A card as a Bot Framework attachment (JSON, ready for an activity)."""
    return {"contentType": CARD_CONTENT_TYPE, "content": content}


async def replace_card(context: TurnContext, content: dict[str, Any]) -> bool:
    """Put `content` where the card just used was (Teams updates it in place); False when the
    client did not say which card that was or would not update it."""
    card_id = context.activity.reply_to_id
    if not card_id:
        return False
    update = card_activity(content)
    update.id = card_id
    update.type = ActivityTypes.message
    try:
        await context.update_activity(update)
    except Exception as exc:  # what the card did is saved; an old card staying is no harm
        logger.warning("could not update the card: %s", type(exc).__name__)
        return False
    return True
