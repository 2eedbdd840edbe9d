"""Small helpers for building Adaptive Cards (schema 1.5, the newest Teams renders) from data."""

from __future__ import annotations

from typing import Any

from botbuilder.core import MessageFactory
from botbuilder.schema import Activity, Attachment

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
