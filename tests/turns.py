"""Turns without the HTTP server: the bot that `create_app` wires, run by a recording adapter in
the style of botbuilder's own `TestAdapter`.

For tests where the endpoint is not the point. What the bot sends, updates and deletes — in a
turn or from the outbox — is recorded as the fake Bot Connector records it, so the same helpers
read both; the tests that cross /api/messages keep the real server and the fake connector."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from aiohttp import web
from botbuilder.core import BotAdapter, TurnContext
from botbuilder.schema import (
    Activity,
    ActivityTypes,
    ConversationAccount,
    ConversationParameters,
    ConversationReference,
    ResourceResponse,
)
from botbuilder.schema.teams import TeamsChannelAccount

from bot.app import ADAPTER, BOT, DATABASE, create_app
from bot.settings import Settings
from bot.teams_bot import on_turn_error
from storage.database import Database
from storage.types import utcnow
from tests.fakes.bot_connector import conversation_id_for, in_place, teams_member

SERVICE_URL = "https://smba.trafficmanager.net/emea/"


class MemberNotFound(Exception):
    """What the Bot Connector answers (404) for someone not in the conversation."""


class _Conversations:
    """The one connector operation a turn makes: looking up who sent it."""

    def __init__(self, members: dict[str, dict[str, Any]]) -> None:
        self._members = members

    async def get_conversation_member(
        self, conversation_id: str, member_id: str
    ) -> TeamsChannelAccount:
        member = self._members.get(member_id)
        if member is None:
            raise MemberNotFound(member_id)
        return TeamsChannelAccount().deserialize(member)


class _Roster:
    """Stands in the turn state where TeamsInfo looks for the connector client."""

    def __init__(self, members: dict[str, dict[str, Any]]) -> None:
        self.conversations = _Conversations(members)


class RecordingAdapter(BotAdapter):
    """Runs turns in this process and records every activity the bot sends, updates or deletes."""

    def __init__(self) -> None:
        super().__init__(on_turn_error)
        self.service_url = SERVICE_URL
        self.members: dict[str, dict[str, Any]] = {}
        self.activities: list[dict[str, Any]] = []
        self.updates: list[dict[str, Any]] = []
        self.deleted: list[dict[str, Any]] = []
        self.created: list[dict[str, Any]] = []
        self.invoke_responses: list[Any] = []
        self._ids = itertools.count(1)

    def add_member(self, member_id: str, **fields: Any) -> dict[str, Any]:
        """Someone the member lookup knows (keyword arguments as for `teams_member`)."""
        member = teams_member(member_id, **fields)
        self.members[member_id] = member
        return member

    async def process(
        self, body: dict[str, Any], logic: Callable[[TurnContext], Awaitable[None]]
    ) -> dict[str, Any] | None:
        """One inbound activity, as the endpoint would hand it to the adapter; an invoke's
        answer (its body, as /api/messages would return it)."""
        context = TurnContext(self, Activity().deserialize(body))
        context.turn_state[self.BOT_CONNECTOR_CLIENT_KEY] = _Roster(self.members)
        answered = len(self.invoke_responses)
        await self.run_pipeline(context, logic)
        if len(self.invoke_responses) == answered:
            return None
        response = self.invoke_responses[-1]
        body_out: dict[str, Any] | None = getattr(response, "body", None)
        return body_out

    def shown_in_place(self, conversation: str, card_id: str, content: dict[str, Any]) -> None:
        """The card an invoke's answer puts in place of the pressed one (the fake connector's
        record of the same)."""
        self.activities.append(in_place(conversation, card_id, content))

    async def send_activities(
        self, context: TurnContext, activities: list[Activity]
    ) -> list[ResourceResponse]:
        responses = []
        for activity in activities:
            if activity.type == ActivityTypes.invoke_response:
                self.invoke_responses.append(activity.value)
                responses.append(ResourceResponse())
                continue
            if activity.type in ("delay", ActivityTypes.trace):
                responses.append(ResourceResponse())
                continue
            record = self._record(activity, f"sent-{next(self._ids)}")
            if activity.reply_to_id:
                record["_reply_to"] = activity.reply_to_id
            self.activities.append(record)
            responses.append(ResourceResponse(id=record["_id"]))
        return responses

    async def update_activity(self, context: TurnContext, activity: Activity) -> ResourceResponse:
        self.updates.append(self._record(activity, activity.id))
        return ResourceResponse(id=activity.id)

    async def delete_activity(self, context: TurnContext, reference: ConversationReference) -> None:
        conversation = reference.conversation.id if reference.conversation else None
        self.deleted.append({"_conversation": conversation, "_id": reference.activity_id})

    async def create_conversation(
        self,
        bot_app_id: str | None,
        callback: Callable[[TurnContext], Awaitable[None]],
        conversation_parameters: ConversationParameters,
        channel_id: str,
        service_url: str,
        audience: str | None = None,
    ) -> None:
        """A new personal conversation with the first member, as Teams makes it."""
        member = conversation_parameters.members[0].id
        conversation = conversation_id_for(member)
        self.created.append({"_id": conversation, "member": member})
        reference = ConversationReference(
            channel_id=channel_id,
            service_url=service_url,
            conversation=ConversationAccount(
                id=conversation, tenant_id=conversation_parameters.tenant_id
            ),
        )
        context = TurnContext(self, reference.get_continuation_activity())
        await self.run_pipeline(context, callback)

    @staticmethod
    def _record(activity: Activity, activity_id: str | None) -> dict[str, Any]:
        body: dict[str, Any] = activity.serialize()
        body.pop("id", None)
        conversation = activity.conversation.id if activity.conversation else None
        return {**body, "_conversation": conversation, "_id": activity_id}


class Teams(RecordingAdapter):
    """The whole bot of `create_app(settings)` started without a server; proactive messages
    from its outbox reach this adapter too."""

    def __init__(self, app: web.Application) -> None:
        super().__init__()
        self.app = app

    @property
    def db(self) -> Database:
        database: Database = self.app[DATABASE]
        return database

    async def send(self, body: dict[str, Any]) -> dict[str, Any] | None:
        """Run the turn of one activity (a dict as Teams posts it); an invoke's answer."""
        return await self.process(body, self.app[BOT].on_turn)


@asynccontextmanager
async def running_teams(
    settings: Settings, *, clock: Callable[[], datetime] = utcnow
) -> AsyncIterator[Teams]:
    """Start the app's resources (database, bot, outbox) with this adapter in place of the
    Bot Framework's, and shut them down after, in the app's own order; `clock`: the app's."""
    app = create_app(settings, clock=clock)
    teams = Teams(app)

    async def recording_adapter(app: web.Application) -> AsyncIterator[None]:
        app[ADAPTER] = teams  # type: ignore[assignment]  # what the outbox sends through
        yield

    names = [getattr(ctx, "__name__", "") for ctx in app.cleanup_ctx]
    app.cleanup_ctx.insert(names.index("dispatcher_ctx"), recording_adapter)
    # as aiohttp's AppRunner does, less the server
    app.pre_freeze()
    await app.startup()
    app.freeze()
    try:
        yield teams
    finally:
        await app.shutdown()
        await app.cleanup()
