"""Checks an inbound activity's shape before the Bot Framework sees it: bad input is a 400."""

from __future__ import annotations

import json
from typing import Any

from botbuilder.schema import ActivityTypes

# Fields the SDK and our handlers rely on; each: (path, required, type)
_STRING_FIELDS = (
    "type",
    "id",
    "channelId",
    "serviceUrl",
    "text",
    "locale",
    "localTimezone",
    "replyToId",
    "name",
    "textFormat",
    "timestamp",
    "localTimestamp",
)
_ACCOUNT_FIELDS = ("id", "name", "aadObjectId", "role")
MAX_TEXT = 28_000
KNOWN_TYPES = frozenset(kind.value for kind in ActivityTypes)
MAX_DEPTH = 64  # far deeper than any activity nests; deeper JSON only exhausts the stack


class BadActivity(ValueError):
    """The request body is not an activity we can handle."""


class BadCardAction(BadActivity):
    """An `adaptiveCard/action` invoke whose `value` is not an Action.Execute: the answer is an
    invoke response with an Adaptive Card error, which is what Teams shows the person."""


CARD_ACTION = "adaptiveCard/action"
EXECUTE = "Action.Execute"


def card_action_error(status: int, code: str, message: str) -> dict[str, Any]:
    """The body of an Adaptive Card invoke response that reports an error (Universal Actions)."""
    return {
        "statusCode": status,
        "type": "application/vnd.microsoft.error",
        "value": {"code": code, "message": message},
    }


def card_action_problem(value: Any) -> str | None:
    """What is wrong with an `adaptiveCard/action` invoke's `value`, or None when it is an
    Action.Execute the bot can read: `action` an object of type Action.Execute whose `verb`
    and `id` are text and whose `data` is an object; `trigger` and `state` text."""
    if not isinstance(value, dict):
        return "value must be an object"
    action = value.get("action")
    if not isinstance(action, dict):
        return "value.action must be an object"
    if action.get("type") != EXECUTE:
        return "value.action.type must be Action.Execute"
    for field in ("verb", "id", "title"):
        if action.get(field) is not None and not isinstance(action[field], str):
            return f"value.action.{field} must be a string"
    if action.get("data") is not None and not isinstance(action["data"], dict):
        return "value.action.data must be an object"
    for field in ("trigger", "state"):
        if value.get(field) is not None and not isinstance(value[field], str):
            return f"value.{field} must be a string"
    if value.get("authentication") is not None and not isinstance(value["authentication"], dict):
        return "value.authentication must be an object"
    return None


def _not_json(constant: str) -> None:
    raise ValueError(f"{constant} is not JSON")


def parse_body(raw: bytes) -> Any:
    """The body as strict JSON (RFC 8259): ValueError for anything else, for NaN and Infinity,
    for text that is not Unicode (lone surrogates), and for nesting deeper than MAX_DEPTH."""
    try:
        body = json.loads(raw, parse_constant=_not_json)
        json.dumps(body, ensure_ascii=False).encode("utf-8")  # lone surrogates cannot be stored
    except RecursionError as exc:
        raise ValueError("nested too deeply") from exc
    level, depth = [body], 0
    while level:
        depth += 1
        if depth > MAX_DEPTH:
            raise ValueError("nested too deeply")
        level = [
            child
            for node in level
            if isinstance(node, dict | list)
            for child in (node.values() if isinstance(node, dict) else node)
        ]
    return body


def _account(body: dict[str, Any], key: str, *, required: bool) -> None:
    value = body.get(key)
    if value is None:
        if required:
            raise BadActivity(f"{key} is required")
        return
    if not isinstance(value, dict):
        raise BadActivity(f"{key} must be an object")
    for field in _ACCOUNT_FIELDS:
        if field in value and value[field] is not None and not isinstance(value[field], str):
            raise BadActivity(f"{key}.{field} must be a string")
    if required and not (isinstance(value.get("id"), str) and value["id"]):
        raise BadActivity(f"{key}.id is required")


def check_activity(body: Any) -> None:
    """Raise BadActivity unless `body` is a well-formed activity object."""
    if not isinstance(body, dict):
        raise BadActivity("the body must be a JSON object")
    for field in _STRING_FIELDS:
        if field in body and body[field] is not None and not isinstance(body[field], str):
            raise BadActivity(f"{field} must be a string")
    if not body.get("type"):
        raise BadActivity("type is required")
    if body["type"] not in KNOWN_TYPES:
        raise BadActivity("type is not an activity type")
    service_url = body.get("serviceUrl")
    if not service_url or not service_url.startswith(("https://", "http://")):
        raise BadActivity("serviceUrl must be an http(s) URL")
    if not isinstance(body.get("channelId"), str) or not body["channelId"]:
        raise BadActivity("channelId is required")
    _account(body, "from", required=True)
    _account(body, "recipient", required=False)
    conversation = body.get("conversation")
    if (
        not isinstance(conversation, dict)
        or not isinstance(conversation.get("id"), str)
        or not conversation["id"]
    ):
        raise BadActivity("conversation.id is required")
    for field in ("tenantId", "conversationType", "name"):
        if conversation.get(field) is not None and not isinstance(conversation[field], str):
            raise BadActivity(f"conversation.{field} must be a string")
    for field, kind in (
        ("channelData", dict),
        ("entities", list),
        ("attachments", list),
        ("membersAdded", list),
        ("membersRemoved", list),
    ):
        if body.get(field) is not None and not isinstance(body[field], kind):
            raise BadActivity(f"{field} has the wrong type")
    for field in ("entities", "attachments"):
        for item in body.get(field) or ():
            if not isinstance(item, dict):
                raise BadActivity(f"{field} must hold objects")
    for field in ("membersAdded", "membersRemoved"):
        for item in body.get(field) or ():
            if not isinstance(item, dict) or not isinstance(item.get("id"), str):
                raise BadActivity(f"{field} must hold accounts")
    channel_data = body.get("channelData") or {}
    tenant = channel_data.get("tenant")
    if tenant is not None and (
        not isinstance(tenant, dict) or not isinstance(tenant.get("id", ""), str)
    ):
        raise BadActivity("channelData.tenant must be an object with a string id")
    if isinstance(body.get("text"), str) and len(body["text"]) > MAX_TEXT:
        raise BadActivity("text is too long")
    if body["type"] == "invoke":
        if not body.get("name"):
            raise BadActivity("an invoke needs a name")
        if body["name"] == CARD_ACTION:
            problem = card_action_problem(body.get("value"))
            if problem is not None:
                raise BadCardAction(problem)
