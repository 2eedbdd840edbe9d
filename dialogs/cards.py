"""Small helpers for building Adaptive Cards (schema 1.5, the newest Teams renders) from data."""

from __future__ import annotations

import logging
from typing import Any

from botbuilder.core import MessageFactory, TurnContext
from botbuilder.schema import Activity, ActivityTypes, Attachment

logger = logging.getLogger(__name__)

CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
MAX_ID = 2**31 - 1  # the largest id an integer column holds (PostgreSQL's integer)
# what styles a TextRun itself; the rest (spacing, separator, alignment) style its block
RUN_STYLES = frozenset(
    {
        "size",
        "weight",
        "color",
        "isSubtle",
        "italic",
        "fontType",
        "highlight",
        "strikethrough",
        "underline",
    }
)


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


def verbatim(value: str, **style: Any) -> dict[str, Any]:
    """Text exactly as someone wrote it (a chef's words, a name from Teams or the roster, a
    title, or a catalogue text with such a value in it): a TextRun in a RichTextBlock, which
    Teams never reads as Markdown. A TextBlock would make `**x**` bold and `[a](b)` a link, and
    Teams' clients differ in the Markdown escapes they honour."""
    run = {k: v for k, v in style.items() if k in RUN_STYLES}
    block = {k: v for k, v in style.items() if k not in RUN_STYLES}
    inline = {"type": "TextRun", "text": value or " ", **run}
    return {"type": "RichTextBlock", "inlines": [inline], **block}


def verbatim_facts(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """Like a FactSet, for values someone wrote: Teams reads a Fact's value as Markdown."""
    return {
        "type": "Table",
        "showGridLines": False,
        "firstRowAsHeader": False,
        "columns": [{"width": 2}, {"width": 3}],
        "rows": [
            {
                "type": "TableRow",
                "cells": [
                    {"type": "TableCell", "items": [verbatim(str(k), weight="Bolder")]},
                    {"type": "TableCell", "items": [verbatim(str(v))]},
                ],
            }
            for k, v in pairs
        ],
    }


def card_id(value: Any) -> int | None:
    """An id a card sent back (a number, or ASCII digits): None unless it is a positive integer
    a row's id can be, so a forged card never reaches the database with a number it cannot hold."""
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        value = int(value) if len(value.strip()) <= len(str(MAX_ID)) else None
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID:
        return value
    return None


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
