"""Small helpers for building Adaptive Cards (schema 1.5, the newest Teams renders) from data,
and for answering a pressed card in place.

A card's buttons are Universal Actions (`Action.Execute`): Teams sends an `adaptiveCard/action`
invoke and shows the card the invoke's response carries in place of the pressed one — no second
call to the connector. A card sent before that change presses `Action.Submit` (a message with
the same data): its replacement goes out as an update of that message. Either way a handler
says only `show_card`/`replace_card`; which road it takes is the turn's."""

from __future__ import annotations

import logging
from typing import Any

from botbuilder.core import MessageFactory, TurnContext
from botbuilder.schema import Activity, ActivityTypes, Attachment

from dialogs.formatting import number
from dialogs.texts import t

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


# turn state: the card that answers the `adaptiveCard/action` invoke of this turn (set by the bot
# for an invoke; a handler's `replace_card` fills it in)
IN_PLACE_KEY = "ledarpuls.in_place"
REFRESH = "refresh"  # the verb and action Teams sends when a card with `refresh` is shown


class InPlace:
    """The answer to a pressed Universal Action: the card to show in place of the pressed one."""

    def __init__(self) -> None:
        self.card: dict[str, Any] | None = None


def execute(title: str, data: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """A button: a Universal Action whose verb is the card's `action` (Teams merges the card's
    inputs into `data`, as for Action.Submit)."""
    verb = str(data.get("action") or data.get("ledarpuls") or "press")
    return {"type": "Action.Execute", "title": title, "verb": verb, "data": data, **extra}


def with_refresh(content: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    """`content` that asks for its current state each time it is shown (`refresh`); whose view
    is refreshed is set when it is sent (`for_viewer`)."""
    action = {"type": "Action.Execute", "verb": REFRESH, "data": {**data, "action": REFRESH}}
    return {**content, "refresh": {"action": action}}


def for_viewer(content: dict[str, Any], user_id: str | None) -> dict[str, Any]:
    """A card with `refresh` shown to the Teams user `user_id`: Teams refreshes only the views
    of the users the card names (the person it is sent to, never anyone else)."""
    refresh = content.get("refresh")
    if not isinstance(refresh, dict) or not user_id:
        return content
    return {**content, "refresh": {**refresh, "userIds": [user_id]}}


def activity_for_viewer(activity: dict[str, Any], user_id: str | None) -> dict[str, Any]:
    """A message (as JSON) whose cards refresh for `user_id`, its one reader (`for_viewer`)."""
    attachments = activity.get("attachments")
    if not user_id or not isinstance(attachments, list):
        return activity
    shown = [
        {**a, "content": for_viewer(a["content"], user_id)}
        if isinstance(a, dict) and isinstance(a.get("content"), dict)
        else a
        for a in attachments
    ]
    return {**activity, "attachments": shown}


def with_values(content: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """`content` with its inputs showing `values` (what the person typed, kept when the card
    comes back with a message about it)."""

    def fill(node: Any) -> Any:
        if isinstance(node, list):
            return [fill(item) for item in node]
        if not isinstance(node, dict):
            return node
        filled = {key: fill(item) for key, item in node.items()}
        input_id = node.get("id")
        typed = values.get(input_id) if isinstance(input_id, str) else None
        if str(node.get("type", "")).startswith("Input.") and isinstance(typed, str):
            filled["value"] = typed
            if typed and node.get("isVisible") is False:
                filled["isVisible"] = True  # what was typed is never out of sight
        return filled

    result: dict[str, Any] = fill(content)
    return result


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


def limited_text(
    input_id: str,
    *,
    label: str,
    limit: int,
    language: str,
    required_error: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A short text field whose limit is in its label, before anything is typed, and checked
    by the client's `regex` with a message under the field. No `maxLength`: clients cut a
    pasted text silently at it. The server checks the limit too, saying which field.
    `required_error`: the field must be filled in, and this says so."""
    limit_text = t(language, "card.limit_error", max=number(limit, language))
    element: dict[str, Any] = {
        "type": "Input.Text",
        "id": input_id,
        "label": t(language, "card.label.limit", label=label, max=number(limit, language)),
        "regex": f"^[\\s\\S]{{0,{limit}}}$",
        "errorMessage": f"{required_error} {limit_text}" if required_error else limit_text,
        **extra,
    }
    if required_error:
        element["isRequired"] = True
    return element


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


def viewer(context: TurnContext) -> str | None:
    """The Teams user a turn's cards are shown to: the sender of a personal chat's activity."""
    sender = context.activity.from_property
    return sender.id if sender is not None and sender.id else None


async def replace_card(context: TurnContext, content: dict[str, Any]) -> bool:
    """Put `content` where the card just pressed was: in the invoke's answer for a Universal
    Action, else as an update of the card's message; False when the client did not say which
    card that was or would not update it."""
    content = for_viewer(content, viewer(context))
    in_place = context.turn_state.get(IN_PLACE_KEY)
    if isinstance(in_place, InPlace):
        in_place.card = content
        return True
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


async def show_card(context: TurnContext, content: dict[str, Any]) -> None:
    """`content` in place of the card just pressed, or as a new message when there is none (a
    typed command) or it could not be replaced."""
    if context.activity.value is not None and await replace_card(context, content):
        return
    await context.send_activity(card_activity(for_viewer(content, viewer(context))))
