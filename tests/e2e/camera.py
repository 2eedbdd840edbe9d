"""Pictures of the Playground's web page while the end-to-end test runs (`make screenshots`).

With LEDARPULS_SCREENSHOTS set to a folder, each person's Playground is open in headless
Chromium (tests/tools/playground_camera.js) from the start, as a person would have it, and the
test names the moments worth a picture; without it the camera takes none."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
from collections.abc import AsyncIterator, Sequence
from typing import Any

from tests.conftest import ROOT
from tests.playground import Chat, Message, title_of

SCRIPT = ROOT / "tests/tools/playground_camera.js"
FOLDER_VARIABLE = "LEDARPULS_SCREENSHOTS"
WAIT = 60.0


class Camera:
    """Takes no pictures: the end-to-end test as `make e2e` runs it."""

    async def shoot(
        self, chat: Chat, name: str, message: Message, *, most: int | None = None
    ) -> None:
        """A picture of `message` as `chat`'s person sees it, at most `most` pixels high."""
        return None


class ChromiumCamera(Camera):
    """Saves the chat pane around a message, as the person's Playground page shows it."""

    def __init__(self, process: asyncio.subprocess.Process, chats: Sequence[Chat]) -> None:
        self._process = process
        self._chats = list(chats)

    async def order(self, order: dict[str, Any]) -> dict[str, Any]:
        assert self._process.stdin is not None and self._process.stdout is not None
        self._process.stdin.write(json.dumps(order).encode() + b"\n")
        await self._process.stdin.drain()
        line = await asyncio.wait_for(self._process.stdout.readline(), WAIT)
        reply: dict[str, Any] = json.loads(line or b'{"error": "the camera stopped"}')
        assert "error" not in reply, reply["error"]
        return reply

    async def shoot(
        self, chat: Chat, name: str, message: Message, *, most: int | None = None
    ) -> None:
        page = self._chats.index(chat)
        await self.order({"page": page, "name": name, "text": title_of(message), "most": most})


@contextlib.asynccontextmanager
async def camera_for(chats: Sequence[Chat]) -> AsyncIterator[Camera]:
    """The camera for this run: Chromium on every chat's page when asked for, else none."""
    folder = os.environ.get(FOLDER_VARIABLE)
    if not folder:
        yield Camera()
        return
    node = shutil.which("node")
    assert node is not None, "the camera needs Node.js"
    process = await asyncio.create_subprocess_exec(
        node,
        str(SCRIPT),
        folder,
        *(chat.base for chat in chats),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None and process.stdin is not None
    try:
        ready = json.loads(await asyncio.wait_for(process.stdout.readline(), WAIT) or b"{}")
        assert ready.get("ready"), ready
        yield ChromiumCamera(process, chats)
    finally:
        process.stdin.close()
        try:
            await asyncio.wait_for(process.wait(), 20)
        except TimeoutError:
            process.kill()
            await process.wait()
