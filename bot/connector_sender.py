"""The two Bot Connector calls the outbox makes, over one aiohttp session, without msrest.

A proactive send through botbuilder's adapter cost about 10 ms of CPU: a turn context, a
continuation activity, msrest models deserialised and serialised again, msrest's pipeline and
the SDK's retry configuration. The outbox needs none of that: it posts one activity (camelCase
JSON, the same body the SDK sends) into a stored conversation, or creates a conversation. The
bot's own credentials (and their token cache) still sign every request when an app id is set.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import aiohttp
from botbuilder.schema import ChannelAccount, ConversationAccount
from botframework.connector.about import __version__ as SDK_VERSION

logger = logging.getLogger(__name__)

#: the SDK's user agent, so that the traffic looks as it did
USER_AGENT = f"Microsoft-BotFramework/3.1 (BotBuilder Python/{SDK_VERSION})"
#: msrest's default connection timeout (seconds)
TIMEOUT = 100.0
#: statuses the connector client accepts as success for these two calls
SUCCESS = frozenset({200, 201, 202})

# the fields msrest keeps when it turns a stored reference's accounts into models and back
_ACCOUNT_KEYS = frozenset(v["key"] for v in ChannelAccount._attribute_map.values())
_CONVERSATION_KEYS = frozenset(v["key"] for v in ConversationAccount._attribute_map.values())


@dataclass(frozen=True)
class ConnectorAnswer:
    """What the connector answered: a status, its Retry-After header and the JSON body (or None)."""

    status: int
    retry_after: str | None
    body: Any

    @property
    def ok(self) -> bool:
        return self.status in SUCCESS

    @property
    def error_code(self) -> str | None:
        """The Bot Connector's error code (`{"error": {"code": ...}}`), if the body has one."""
        error = self.body.get("error") if isinstance(self.body, dict) else None
        code = error.get("code") if isinstance(error, dict) else None
        return code if isinstance(code, str) else None


def _pick(account: Any, keys: frozenset[str]) -> dict[str, Any] | None:
    if not isinstance(account, dict):
        return None
    return {k: v for k, v in account.items() if k in keys and v is not None}


def activity_body(reference: dict[str, Any], activity: dict[str, Any]) -> dict[str, Any]:
    """The JSON the connector client sends for `activity` in a proactive turn on `reference`:
    addressed from the bot to the user in the stored conversation, an `inputHint` on messages,
    no id and no locale of its own (the SDK's continuation turn has none)."""
    body = {
        k: v
        for k, v in activity.items()
        if v is not None and k not in ("id", "locale", "replyToId")
    }
    if body.get("type") == "message" and "inputHint" not in body:
        body["inputHint"] = "acceptingInput"
    body["serviceUrl"] = reference.get("serviceUrl")
    body["channelId"] = reference.get("channelId")
    for key, source, keys in (
        ("from", "bot", _ACCOUNT_KEYS),
        ("recipient", "user", _ACCOUNT_KEYS),
        ("conversation", "conversation", _CONVERSATION_KEYS),
    ):
        picked = _pick(reference.get(source), keys)
        if picked is None:
            body.pop(key, None)
        else:
            body[key] = picked
    return {k: v for k, v in body.items() if v is not None}


class ConnectorSender:
    """Posts to Bot Connectors over ONE aiohttp session, made in the loop that first sends and
    closed by `close()` (at shutdown): no connection outlives its loop."""

    def __init__(self, *, timeout: float = TIMEOUT) -> None:
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def _session_now(self) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        if self._session is None or self._session.closed or self._loop is not loop:
            # another loop's session cannot be used (nor closed) from here: a new one
            self._session = aiohttp.ClientSession(
                timeout=self._timeout,
                headers={"User-Agent": USER_AGENT},
                json_serialize=json.dumps,
            )
            self._loop = loop
        return self._session

    async def send_to_conversation(
        self,
        service_url: str,
        conversation_id: str,
        body: dict[str, Any],
        *,
        authorization: str | None,
    ) -> ConnectorAnswer:
        """POST {serviceUrl}v3/conversations/{id}/activities (`authorization`: the header's
        value, None in local mode)."""
        path = f"v3/conversations/{quote(conversation_id, safe='')}/activities"
        return await self._post(service_url, path, body, authorization)

    async def create_conversation(
        self, service_url: str, parameters: dict[str, Any], *, authorization: str | None
    ) -> ConnectorAnswer:
        """POST {serviceUrl}v3/conversations."""
        return await self._post(service_url, "v3/conversations", parameters, authorization)

    async def _post(
        self, service_url: str, path: str, body: dict[str, Any], authorization: str | None
    ) -> ConnectorAnswer:
        headers = {"Content-Type": "application/json; charset=utf-8"}
        if authorization is not None:
            headers["Authorization"] = authorization
        url = service_url if service_url.endswith("/") else service_url + "/"
        session = self._session_now()
        async with session.post(url + path, data=json.dumps(body), headers=headers) as response:
            raw = await response.read()
            try:
                parsed = json.loads(raw) if raw else None
            except ValueError:
                parsed = None
            return ConnectorAnswer(response.status, response.headers.get("Retry-After"), parsed)

    async def close(self) -> None:
        """Close the session (at shutdown, in the loop that made it)."""
        session, self._session = self._session, None
        if session is not None and not session.closed:
            await session.close()
