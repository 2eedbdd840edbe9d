"""A fake Bot Connector: a real aiohttp server on 127.0.0.1 that records what the bot sends."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer


class FakeBotConnector:
    """Implements the connector calls the bot makes and keeps every activity it receives."""

    def __init__(self) -> None:
        self.activities: list[dict[str, Any]] = []
        self.members: dict[str, dict[str, Any]] = {}
        self._ids = itertools.count(1)
        self._arrived = asyncio.Condition()
        self.server: TestServer | None = None

    @property
    def service_url(self) -> str:
        assert self.server is not None
        return str(self.server.make_url("/")).rstrip("/") + "/"

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v3/conversations/{conversation}/activities", self._send)
        app.router.add_post("/v3/conversations/{conversation}/activities/{reply_to}", self._send)
        app.router.add_get("/v3/conversations/{conversation}/members/{member}", self._member)
        return app

    async def _send(self, request: web.Request) -> web.Response:
        activity = await request.json()
        activity["_conversation"] = request.match_info["conversation"]
        activity_id = f"sent-{next(self._ids)}"
        activity["_id"] = activity_id
        async with self._arrived:
            self.activities.append(activity)
            self._arrived.notify_all()
        return web.json_response({"id": activity_id})

    async def _member(self, request: web.Request) -> web.Response:
        member = self.members.get(request.match_info["member"])
        if member is None:
            return web.json_response({"error": {"code": "MemberNotFound"}}, status=404)
        return web.json_response(member)

    async def wait_for(self, count: int, within: float = 10) -> list[dict[str, Any]]:
        """Wait until at least `count` activities have arrived."""
        async with self._arrived:
            await asyncio.wait_for(
                self._arrived.wait_for(lambda: len(self.activities) >= count), within
            )
        return list(self.activities)


@asynccontextmanager
async def running_connector() -> AsyncIterator[FakeBotConnector]:
    connector = FakeBotConnector()
    connector.server = TestServer(connector.app(), host="127.0.0.1")
    await connector.server.start_server()
    try:
        yield connector
    finally:
        await connector.server.close()
