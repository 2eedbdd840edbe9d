"""The Microsoft 365 Agents Playground from a test: a person's chat in it, typed and pressed
through its HTTP API, and what the bot sends back, read from its WebSocket."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import Callable
from typing import Any

import aiohttp

from tests.cards import walk
from tests.conftest import ROOT

PLAYGROUND = ROOT / "node_modules/@microsoft/m365agentsplayground/cli.js"
WAIT = 30.0  # seconds for one answer from the bot; generous for two shared cores
# what Teams attaches for a file a user sends a bot in personal chat
FILE_INFO = "application/vnd.microsoft.teams.file.download.info"

Message = dict[str, Any]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


async def wait_ok(session: aiohttp.ClientSession, url: str, within: float) -> str:
    """The body of the first 200 from `url`, polled until `within` seconds have passed."""
    deadline = time.monotonic() + within
    while True:
        try:
            async with session.get(url) as response:
                if response.status == 200:
                    return await response.text()
        except aiohttp.ClientError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"{url} did not answer within {within} s")
        await asyncio.sleep(0.2)


def card_of(message: Message) -> dict[str, Any]:
    """The Adaptive Card a message carries."""
    content: dict[str, Any] = message["attachments"][0]["content"]
    return content


def has_card(message: Message) -> bool:
    return bool(message.get("attachments"))


def texts(message: Message) -> list[str]:
    """Every text a person reads in a message: its text, and the card's text blocks (rich ones
    too) and facts."""
    found = [message["text"]] if message.get("text") else []
    if has_card(message):
        for element in walk(card_of(message).get("body", [])):
            if element.get("type") == "TextBlock":
                found.append(element["text"])
            elif element.get("type") == "RichTextBlock":  # user text, shown as it is
                found.append("".join(run.get("text", "") for run in element.get("inlines", [])))
            elif element.get("type") == "FactSet":
                found += [f"{f['title']}: {f['value']}" for f in element["facts"]]
    return found


def title_of(message: Message) -> str:
    """A card's first text block; a plain message's text."""
    return texts(message)[0] if texts(message) else ""


def actions_of(message: Message) -> set[str]:
    """The `action` of every button on a message's card (show-cards included; not the card's
    `refresh`, which no one presses)."""
    if not has_card(message):
        return set()
    return {
        a["data"]["action"]
        for a in walk(card_of(message))
        if a.get("type") in BUTTONS and "action" in a.get("data", {}) and a.get("verb") != "refresh"
    }


BUTTONS = ("Action.Execute", "Action.Submit")  # a Universal Action, or an older card's button
CARD = "application/vnd.microsoft.card.adaptive"


def inputs_of(message: Message) -> list[dict[str, Any]]:
    """The inputs in a card's body (what its Save or Send button sends), not in show-cards."""
    return [
        e
        for e in walk(card_of(message).get("body", []))
        if str(e.get("type", "")).startswith("Input.")
    ]


Match = Callable[[Message], bool]


class Chat:
    """One person's personal chat with the bot in a Playground, as that person uses it."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        base: str,
        *,
        ws: aiohttp.ClientWebSocketResponse,
        config: dict[str, Any],
    ) -> None:
        self._session = session
        self.base = base
        self._ws = ws
        self.user_id: str = config["currentUser"]["id"]
        self.name: str = config["currentUser"]["name"]
        self.chat_id: str = config["personalChat"]["id"]
        self.received: list[dict[str, Any]] = []  # every frame, in order, for a failure's report

    @classmethod
    async def connect(cls, session: aiohttp.ClientSession, base: str) -> Chat:
        """Open the Playground as its web page does: read its world, listen for the bot."""
        # the Playground answers this once it has reached the bot (or waited 15 s for it)
        async with session.get(f"{base}/_internal/v1/config") as response:
            assert response.status == 200, await response.text()
            config = (await response.json())["config"]
        ws = await session.ws_connect(f"{base}/_ws_conversation/v1/conversations/stream")
        return cls(session, base, ws=ws, config=config)

    async def close(self) -> None:
        await self._ws.close()

    async def _post(self, path: str, payload: dict[str, Any]) -> None:
        async with self._session.post(f"{self.base}{path}", json=payload) as response:
            assert response.status == 200, (path, response.status, await response.text())

    async def install(self) -> None:
        """Add the app to the personal chat, as Teams does on install."""
        await self._post(f"/_debug/conversation/{self.chat_id}/installation", {})

    async def say(self, text: str) -> None:
        await self._post(
            f"/_conversation/v1/conversations/{self.chat_id}/messages",
            {"from": {"id": self.user_id}, "text": text, "textFormat": "plain"},
        )

    async def send_file(self, name: str, url: str) -> None:
        """Send a file in the chat as Teams hands one to a bot: a message whose attachment is
        the file's download info (`downloadUrl`, `uniqueId`, `fileType`), with its name.

        The Playground's message API keeps only card attachments (it drops any other, or refuses
        the message without text), so the file goes the way its web page's "mock an activity"
        does: the Playground's own template of an activity in this chat, from this user, made a
        message and sent through it as it is."""
        async with self._session.get(
            f"{self.base}/_internal/v1/customActivities/template",
            params={"conversationId": self.chat_id},
        ) as response:
            assert response.status == 200, await response.text()
            activity: dict[str, Any] = await response.json()
        activity.update(
            type="message",
            text="",
            textFormat="plain",
            locale="en-US",  # as the Playground's own messages say
            channelData={"tenant": {"id": activity["conversation"]["tenantId"]}},
            attachments=[
                {
                    "contentType": FILE_INFO,
                    "name": name,
                    "contentUrl": url,
                    "content": {
                        "downloadUrl": url,
                        "uniqueId": activity["id"],
                        "fileType": name.rsplit(".", 1)[-1],
                    },
                }
            ],
        )
        await self._post("/_internal/v1/customActivities", activity)

    async def press(self, message: Message, action: str, **values: Any) -> Message | None:
        """Press a card's button: the card's inputs as they stand, changed by `values`. A
        Universal Action goes as the Playground's web page sends it (an `adaptiveCard/action`
        invoke) and the card the bot answers with takes the pressed one's place: that message,
        as it now reads, is returned. An older card's Action.Submit goes as a message."""
        button = next(
            a
            for a in walk(card_of(message))
            if a.get("type") in BUTTONS and a.get("data", {}).get("action") == action
        )
        data = button["data"]
        defaults = (
            {}
            if button.get("associatedInputs") == "none"
            else {e["id"]: str(e["value"]) for e in inputs_of(message) if "value" in e}
        )
        if button["type"] == "Action.Submit":
            await self._post(
                "/_conversation/v1/submit",
                {
                    "conversation": {"id": self.chat_id},
                    "from": {"id": self.user_id},
                    "replyToId": message["messageId"],
                    "value": {**defaults, **data, **values},
                },
            )
            return None
        payload = {
            "name": "adaptiveCard/action",
            "conversation": {"id": self.chat_id},
            "from": {"id": self.user_id},
            "replyToId": message["messageId"],
            "value": {
                "action": {
                    "type": "Action.Execute",
                    "verb": button["verb"],
                    "data": {**data, **defaults, **values},
                },
                "trigger": "manual",
            },
        }
        return await self._invoke(message, payload)

    async def refresh(self, message: Message) -> Message | None:
        """The card shown again (its `refresh`, as Teams asks when it comes into view): the
        message as it then reads."""
        action = card_of(message)["refresh"]["action"]
        payload = {
            "name": "adaptiveCard/action",
            "conversation": {"id": self.chat_id},
            "from": {"id": self.user_id},
            "replyToId": message["messageId"],
            "value": {"action": action, "trigger": "automatic"},
        }
        return await self._invoke(message, payload)

    async def _invoke(self, message: Message, payload: dict[str, Any]) -> Message | None:
        async with self._session.post(
            f"{self.base}/_conversation/v1/invoke", json=payload
        ) as response:
            assert response.status == 200, (response.status, await response.text())
            answer: dict[str, Any] = await response.json()
        if answer.get("type") != CARD:
            return None
        return {**message, "attachments": [{"contentType": CARD, "content": answer["value"]}]}

    async def expect(
        self, match: str | Match, action: str = "createMessage", within: float = WAIT
    ) -> Message:
        """The next message from the bot (`createMessage`) or change to one (`updateMessage`)
        that `match` finds: a text the person reads, or a test of the message."""

        def found(message: Message) -> bool:
            if isinstance(match, str):
                return any(match in line for line in texts(message))
            return match(message)

        deadline = time.monotonic() + within
        while True:
            left = deadline - time.monotonic()
            try:
                frame = await asyncio.wait_for(self._ws.receive_json(), max(left, 0.01))
            except TimeoutError:
                seen = [
                    (f.get("action"), title_of(f.get("message", {}))) for f in self.received[-8:]
                ]
                raise AssertionError(
                    f"{self.name} did not get {action} {match!r} within {within} s; "
                    f"the last frames: {json.dumps(seen, ensure_ascii=False)}"
                ) from None
            self.received.append(frame)
            message: Message = frame.get("message", {})
            if (
                frame.get("action") == action
                and frame.get("actionConversationId") == self.chat_id
                and found(message)
            ):
                return message
