"""A fake Teams Bot Connector (REST API v3) on 127.0.0.1 with Teams' rate limits and errors."""

from __future__ import annotations

import asyncio
import collections
import hashlib
import itertools
import json
import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

#: How long a test waits at most for what the bot sends (seconds): a guard against a hang, which
#: a starved CI machine, slower by far than an idle one, must never reach.
WITHIN = 60.0

#: Teams' documented per-conversation limits: (messages, seconds).
TEAMS_CONVERSATION_LIMITS: list[tuple[int, float]] = [(7, 1.0), (8, 2.0), (60, 30.0)]

#: Error codes that mean the user cannot be reached, with Teams-like messages.
UNREACHABLE_MESSAGES: dict[str, str] = {
    "ConversationBlockedByUser": "User blocked the conversation with the bot.",
    "BotNotInConversationRoster": "The bot is not part of the conversation roster.",
    "BotDisabledByAdmin": "The bot is disabled by the tenant admin.",
    "ForbiddenOperationException": "The bot is not allowed to perform this operation.",
    "ConversationNotFound": "Conversation not found.",
}

#: Error codes and messages the fake answers for statuses injected with `fail_next`.
STATUS_ERRORS: dict[int, tuple[str, str]] = {
    400: ("BadArgument", "Bad request."),
    401: ("Unauthorized", "Authorization has been denied for this request."),
    403: ("ForbiddenOperationException", "The bot is not allowed to perform this operation."),
    404: ("ConversationNotFound", "Conversation not found."),
    412: ("PreconditionFailed", "Precondition failed, please try again."),
    429: ("Throttled", "Too many requests, please retry after some time."),
    500: ("InternalServerError", "An internal error occurred."),
    502: ("BadGateway", "Bad gateway, please try again."),
    503: ("ServiceUnavailable", "The service is unavailable, please try again."),
    504: ("GatewayTimeout", "The gateway timed out, please try again."),
}

_WRITES = frozenset({"send", "reply", "update", "create"})
_TO_CONVERSATION = frozenset({"send", "reply", "update"})


def error_body(code: str, message: str) -> dict[str, Any]:
    """The JSON body the Bot Connector answers with on an error."""
    return {"error": {"code": code, "message": message}}


def in_place(conversation: str, card_id: str, content: dict[str, Any]) -> dict[str, Any]:
    """The record of a card shown in place of a pressed one, as a sent activity is recorded
    but marked `_in_place` (it never reaches a connector: it is an invoke's answer)."""
    attachment = {"contentType": "application/vnd.microsoft.card.adaptive", "content": content}
    return {
        "type": "message",
        "attachments": [attachment],
        "_conversation": conversation,
        "_id": card_id,
        "_in_place": True,
    }


def conversation_id_for(member_id: str) -> str:
    """The stable personal conversation id the fake creates for a member."""
    return "a:" + hashlib.sha256(member_id.encode()).hexdigest()[:32]


def teams_member(
    member_id: str,
    *,
    name: str = "",
    aad_object_id: str | None = None,
    email: str | None = None,
    user_principal_name: str | None = None,
    tenant_id: str | None = None,
    user_role: str = "user",
) -> dict[str, Any]:
    """A TeamsChannelAccount as the connector returns it."""
    return {
        "id": member_id,
        "name": name,
        "aadObjectId": aad_object_id,
        "email": email,
        "userPrincipalName": user_principal_name,
        "tenantId": tenant_id,
        "userRole": user_role,
    }


@dataclass
class _Answer:
    """What the fake decided to answer for one request."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    code: str | None = None

    @classmethod
    def error(cls, status: int, code: str, message: str, retry_after: str | None = None) -> _Answer:
        headers = {"Retry-After": retry_after} if retry_after is not None else {}
        return cls(status, error_body(code, message), headers, code)

    def response(self) -> web.Response:
        if self.body is None:
            return web.Response(status=self.status, headers=self.headers)
        return web.json_response(self.body, status=self.status, headers=self.headers)


class FakeBotConnector:
    """A Bot Connector that records every request and can block, throttle and fail on demand."""

    def __init__(
        self,
        *,
        blocked: dict[str, str] | None = None,
        tenant_rate: float | None = None,
        tenant_retry_after: str = "1",
        tenant_counts_creates: bool = True,
        conversation_limits: list[tuple[int, float]] | None = None,
        fail_next: list[int] | None = None,
        latency: float = 0.0,
        require_tenant: bool = True,
        members: dict[str, dict[str, Any]] | None = None,
    ) -> None:
        # knobs: plain attributes a test may change at any time
        self.blocked: dict[str, str] = dict(blocked or {})
        self.tenant_rate: float | None = tenant_rate
        self.tenant_retry_after: str = tenant_retry_after
        self.tenant_counts_creates: bool = tenant_counts_creates
        self.conversation_limits: list[tuple[int, float]] = list(
            TEAMS_CONVERSATION_LIMITS if conversation_limits is None else conversation_limits
        )
        self.fail_next: list[int] = list(fail_next or [])
        self.latency: float = latency
        self.require_tenant: bool = require_tenant
        self.members: dict[str, dict[str, Any]] = dict(members or {})
        self.throttled_until: float | None = None
        # tenants throttled on their own (`throttle(..., tenant=)`): until when
        self.throttled_tenants: dict[str, float] = {}
        # the tenant of each conversation, as Teams knows it (the SDK's sends do not say):
        # the conversations the fake created, and those a test registers
        self.conversation_tenants: dict[str, str] = {}
        # records
        self.activities: list[dict[str, Any]] = []
        self.updates: list[dict[str, Any]] = []
        self.deleted: list[dict[str, Any]] = []
        self.created: list[dict[str, Any]] = []
        self.attempts: list[dict[str, Any]] = []
        self.throttles: list[tuple[float, float]] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.server: TestServer | None = None
        self._ids = itertools.count(1)
        self._changed = asyncio.Condition()
        # Teams' limit is per app and tenant: the accepted requests of each tenant
        self._tenant_accepted: dict[str, collections.deque[float]] = {}
        self._conversation_accepted: dict[str, collections.deque[float]] = {}
        self._conversation_member: dict[str, str] = {}

    # ---- setup -----------------------------------------------------------------------------

    @property
    def service_url(self) -> str:
        """The base URL to use as the activity's serviceUrl (ends with a slash)."""
        assert self.server is not None, "the connector is not running"
        return str(self.server.make_url("/")).rstrip("/") + "/"

    def app(self) -> web.Application:
        """The aiohttp application serving the connector routes."""
        app = web.Application()
        base = "/v3/conversations"
        activity = base + "/{conversation}/activities/{activity}"
        routes: list[tuple[str, str, str]] = [
            ("POST", base, "create"),
            ("POST", base + "/{conversation}/activities", "send"),
            ("POST", activity, "reply"),
            ("PUT", activity, "update"),
            ("DELETE", activity, "delete"),
            ("GET", base + "/{conversation}/members", "members"),
            ("GET", base + "/{conversation}/members/{member}", "member"),
            ("GET", base + "/{conversation}/pagedmembers", "pagedmembers"),
        ]
        for method, path, kind in routes:
            app.router.add_route(method, path, self._handler(kind))
        app.router.add_route("*", "/{tail:.*}", self._handler("unknown"))
        return app

    def add_member(self, member_id: str, **fields: Any) -> dict[str, Any]:
        """Add a member (keyword arguments as for `teams_member`) and return it."""
        member = teams_member(member_id, **fields)
        self.members[member_id] = member
        return member

    def throttle(self, seconds: float, *, tenant: str | None = None) -> None:
        """Answer every request (or only the tenant's) with 429 for the next `seconds`."""
        start = time.monotonic()
        if tenant is not None:
            self.throttled_tenants[tenant] = start + seconds
            self.throttles.append((start, start + seconds))
            return
        self.throttled_until = start + seconds
        self.throttles.append((start, self.throttled_until))

    # ---- waiting and assertions ------------------------------------------------------------

    async def wait_until(self, predicate: Callable[[], bool], within: float = WITHIN) -> None:
        """Wait until `predicate()` holds; it is checked after every request. `within` is a
        guard against a hang, not a measure: a starved machine must never reach it."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(predicate), within)

    async def wait_for(self, count: int, within: float = WITHIN) -> list[dict[str, Any]]:
        """Wait until at least `count` activities have been accepted."""
        await self.wait_until(lambda: len(self.activities) >= count, within)
        return list(self.activities)

    async def wait_for_attempts(self, count: int, within: float = WITHIN) -> list[dict[str, Any]]:
        """Wait until at least `count` requests have been answered."""
        await self.wait_until(lambda: len(self.attempts) >= count, within)
        return list(self.attempts)

    def shown_in_place(self, conversation: str, card_id: str, content: dict[str, Any]) -> None:
        """What Teams shows once a Universal Action's invoke is answered with a card: that card
        where the pressed one was (recorded for the tests' view of the chat, marked
        `_in_place`: it never reached the connector)."""
        record = in_place(conversation, card_id, content)
        self.activities.append({**record, "_at": asyncio.get_running_loop().time()})

    def max_in_window(self, window: float = 1.0, *, conversation: str | None = None) -> int:
        """The most accepted sends and updates whose `_at` fall within any `window` seconds."""
        times = sorted(
            item["_at"]
            for item in itertools.chain(self.activities, self.updates)
            if (conversation is None or item["_conversation"] == conversation)
            and not item.get("_in_place")
        )
        return _max_in_window(times, window)

    def max_requests_in_window(self, tenant: str, window: float = 1.0) -> int:
        """The most requests to one tenant (whatever their answer) within any `window` seconds."""
        times = sorted(a["at"] for a in self.attempts if a["tenant"] == tenant)
        return _max_in_window(times, window)

    def statuses(self, method: str | None = None) -> collections.Counter[int]:
        """How many requests got each status (optionally only for one HTTP method)."""
        return collections.Counter(
            a["status"] for a in self.attempts if method is None or a["method"] == method
        )

    def delivered_to(self, conversation: str) -> list[dict[str, Any]]:
        """The activities accepted for one conversation, in order."""
        return [
            a
            for a in self.activities
            if a["_conversation"] == conversation and not a.get("_in_place")
        ]

    # ---- request handling ------------------------------------------------------------------

    def _handler(self, kind: str) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def handle(request: web.Request) -> web.StreamResponse:
            return await self._handle(kind, request)

        return handle

    async def _handle(self, kind: str, request: web.Request) -> web.StreamResponse:
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            raw = await request.read()
            if self.latency > 0:
                await asyncio.sleep(self.latency)
            # from here on nothing awaits: deciding and recording is atomic on the event loop
            now = time.monotonic()
            body: Any = None
            answer: _Answer | None = None
            if raw:
                try:
                    body = json.loads(raw)
                except ValueError:
                    answer = _Answer.error(400, "BadArgument", "The body is not valid JSON.")
            conversation = request.match_info.get("conversation")
            if kind == "create" and isinstance(body, dict):
                conversation = _first_member_conversation(body)
            tenant = _request_tenant(body) or self.conversation_tenants.get(conversation or "", "")
            if answer is None:
                answer = self._decide(kind, request, body, conversation, tenant, now)
            self.attempts.append(
                {
                    "method": request.method,
                    "path": request.path,
                    "kind": kind,
                    "conversation": conversation,
                    "tenant": tenant,
                    "status": answer.status,
                    "code": answer.code,
                    "retry_after": answer.headers.get("Retry-After"),
                    "at": now,
                    "body": body,
                    "authorization": request.headers.get("Authorization"),
                }
            )
        finally:
            self.in_flight -= 1
        async with self._changed:
            self._changed.notify_all()
        return answer.response()

    def _decide(
        self,
        kind: str,
        request: web.Request,
        body: Any,
        conversation: str | None,
        tenant: str,
        now: float,
    ) -> _Answer:
        until = max(self.throttled_until or 0.0, self.throttled_tenants.get(tenant, 0.0))
        if now < until:
            retry = max(1, math.ceil(until - now))
            code, message = STATUS_ERRORS[429]
            return _Answer.error(429, code, message, str(retry))
        if kind == "unknown":
            return _Answer.error(404, "NotFound", f"No route for {request.method} {request.path}.")
        if kind in _WRITES and self.fail_next:
            status = self.fail_next.pop(0)
            code, message = STATUS_ERRORS.get(status, ("Error", f"Injected status {status}."))
            return _Answer.error(status, code, message, "1" if status == 429 else None)
        if kind == "member":
            member = self.members.get(request.match_info["member"])
            if member is None:
                return _Answer.error(404, "MemberNotFound", "The member was not found.")
            return _Answer(200, member)
        if kind == "members":
            return _Answer(200, list(self.members.values()))
        if kind == "pagedmembers":
            return self._paged_members(request)
        if kind == "create":
            return self._create(body, conversation, tenant, now)
        assert conversation is not None
        refused = self._blocked_answer([conversation, self._conversation_member.get(conversation)])
        if refused is not None:
            return refused
        if kind == "delete":
            self.deleted.append(
                {"_conversation": conversation, "_id": request.match_info["activity"], "_at": now}
            )
            return _Answer(200)
        if not isinstance(body, dict) or not isinstance(body.get("type"), str):
            return _Answer.error(400, "BadArgument", "The activity must be an object with a type.")
        refused = self._rate_answer(conversation, tenant, now)
        if refused is not None:
            return refused
        self._count(conversation, tenant, now)
        record = {**body, "_conversation": conversation, "_at": now}
        if kind == "update":
            record["_id"] = request.match_info["activity"]
            self.updates.append(record)
            return _Answer(200, {"id": record["_id"]})
        record["_id"] = f"sent-{next(self._ids)}"
        if kind == "reply":
            record["_reply_to"] = request.match_info["activity"]
        self.activities.append(record)
        return _Answer(200, {"id": record["_id"]})

    def _create(self, body: Any, conversation: str | None, tenant: str, now: float) -> _Answer:
        if not isinstance(body, dict) or conversation is None:
            return _Answer.error(400, "BadArgument", "Members are required.")
        if self.require_tenant and not _tenant_of(body):
            return _Answer.error(400, "BadSyntax", "Incorrect conversation creation parameters")
        member_ids = [str(m.get("id")) for m in body["members"] if isinstance(m, dict)]
        refused = self._blocked_answer([conversation, *member_ids])
        if refused is not None:
            return refused
        refused = self._tenant_answer(tenant, now) if self.tenant_counts_creates else None
        if refused is not None:
            return refused
        if self.tenant_counts_creates:
            self._tenant_deque(tenant).append(now)
        self._conversation_member[conversation] = member_ids[0]
        if tenant:
            self.conversation_tenants[conversation] = tenant
        self.created.append({**body, "_id": conversation, "_at": now})
        result: dict[str, Any] = {"id": conversation}
        activity = body.get("activity")
        if isinstance(activity, dict):
            activity_id = f"sent-{next(self._ids)}"
            self.activities.append(
                {**activity, "_conversation": conversation, "_id": activity_id, "_at": now}
            )
            self._conversation_deque(conversation).append(now)
            result["activityId"] = activity_id
        return _Answer(201, result)

    def _paged_members(self, request: web.Request) -> _Answer:
        members = list(self.members.values())
        try:
            start = int(request.query.get("continuationToken") or 0)
            size = int(request.query.get("pageSize") or len(members) or 1)
        except ValueError:
            return _Answer.error(400, "BadArgument", "Bad pageSize or continuationToken.")
        page = members[start : start + size]
        token = str(start + size) if start + size < len(members) else None
        return _Answer(200, {"members": page, "continuationToken": token})

    def _blocked_answer(self, keys: Iterable[str | None]) -> _Answer | None:
        wanted = {key for key in keys if key is not None}
        for key, code in self.blocked.items():
            # a blocked member also blocks the personal conversation the fake made for them
            if key in wanted or conversation_id_for(key) in wanted:
                status = 404 if code == "ConversationNotFound" else 403
                message = UNREACHABLE_MESSAGES.get(code, "The user cannot be reached.")
                return _Answer.error(status, code, message)
        return None

    def _tenant_answer(self, tenant: str, now: float) -> _Answer | None:
        if self.tenant_rate is None:
            return None
        accepted = self._tenant_deque(tenant)
        # a rate below one a second means one per 1/rate seconds
        limit, window = (
            (int(self.tenant_rate), 1.0) if self.tenant_rate >= 1 else (1, 1 / self.tenant_rate)
        )
        while accepted and accepted[0] <= now - window:
            accepted.popleft()
        if len(accepted) >= limit:
            code, message = STATUS_ERRORS[429]
            return _Answer.error(429, code, message, self.tenant_retry_after)
        return None

    def _rate_answer(self, conversation: str, tenant: str, now: float) -> _Answer | None:
        refused = self._tenant_answer(tenant, now)
        if refused is not None:
            return refused
        accepted = self._conversation_deque(conversation)
        longest = max((w for _, w in self.conversation_limits), default=0.0)
        while accepted and accepted[0] <= now - longest:
            accepted.popleft()
        for limit, window in self.conversation_limits:
            if sum(1 for t in accepted if t > now - window) >= limit:
                code, message = STATUS_ERRORS[429]
                return _Answer.error(429, code, message, "1")
        return None

    def _count(self, conversation: str, tenant: str, now: float) -> None:
        self._tenant_deque(tenant).append(now)
        self._conversation_deque(conversation).append(now)

    def _tenant_deque(self, tenant: str) -> collections.deque[float]:
        return self._tenant_accepted.setdefault(tenant, collections.deque())

    def _conversation_deque(self, conversation: str) -> collections.deque[float]:
        return self._conversation_accepted.setdefault(conversation, collections.deque())


def _first_member_conversation(body: dict[str, Any]) -> str | None:
    members = body.get("members")
    if not isinstance(members, list) or not members:
        return None
    first = members[0]
    if not isinstance(first, dict) or not isinstance(first.get("id"), str):
        return None
    return conversation_id_for(first["id"])


def _tenant_of(body: dict[str, Any]) -> str | None:
    # the SDK's ConversationParameters serialises tenant_id as "tenantID"
    tenant = body.get("tenantId") or body.get("tenantID")
    channel_data = body.get("channelData")
    if not tenant and isinstance(channel_data, dict):
        channel_tenant = channel_data.get("tenant")
        if isinstance(channel_tenant, dict):
            tenant = channel_tenant.get("id")
    return tenant if isinstance(tenant, str) and tenant else None


def _request_tenant(body: Any) -> str:
    """The tenant a request names: a new conversation's, or the activity's conversation's
    ("" when it names none)."""
    if not isinstance(body, dict):
        return ""
    conversation = body.get("conversation")
    if isinstance(conversation, dict):
        for key in ("tenantId", "tenantID"):
            if isinstance(conversation.get(key), str) and conversation[key]:
                return str(conversation[key])
    return _tenant_of(body) or ""


def _max_in_window(times: list[float], window: float) -> int:
    best = 0
    start = 0
    for end, t in enumerate(times):
        while t - times[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


@asynccontextmanager
async def running_connector(
    *,
    blocked: dict[str, str] | None = None,
    tenant_rate: float | None = None,
    tenant_retry_after: str = "1",
    tenant_counts_creates: bool = True,
    conversation_limits: list[tuple[int, float]] | None = None,
    fail_next: list[int] | None = None,
    latency: float = 0.0,
    require_tenant: bool = True,
    members: dict[str, dict[str, Any]] | None = None,
) -> AsyncIterator[FakeBotConnector]:
    """Run a FakeBotConnector on 127.0.0.1 (knobs as for its constructor) and close it after."""
    connector = FakeBotConnector(
        blocked=blocked,
        tenant_rate=tenant_rate,
        tenant_retry_after=tenant_retry_after,
        tenant_counts_creates=tenant_counts_creates,
        conversation_limits=conversation_limits,
        fail_next=fail_next,
        latency=latency,
        require_tenant=require_tenant,
        members=members,
    )
    connector.server = TestServer(connector.app(), host="127.0.0.1")
    await connector.server.start_server()
    try:
        yield connector
    finally:
        await connector.server.close()
