"""The fake Bot Connector itself: routes, Teams' limits and errors, and the real SDK against it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from botbuilder.schema import (
    Activity,
    ChannelAccount,
    ConversationParameters,
    ErrorResponseException,
)
from botframework.connector.aio import ConnectorClient
from botframework.connector.auth import MicrosoftAppCredentials

from tests.fakes.bot_connector import (
    FakeBotConnector,
    conversation_id_for,
    running_connector,
)


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotConnector]:
    async with running_connector() as connector:
        yield connector


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def call(
    http: aiohttp.ClientSession,
    fake: FakeBotConnector,
    method: str,
    path: str,
    body: Any = None,
) -> tuple[int, Any, str | None]:
    """One request to the fake: status, JSON body (or None) and the Retry-After header."""
    url = fake.service_url + path.lstrip("/")
    async with http.request(method, url, json=body) as response:
        payload = await response.json() if response.content_type == "application/json" else None
        return response.status, payload, response.headers.get("Retry-After")


async def send(
    http: aiohttp.ClientSession,
    fake: FakeBotConnector,
    conversation: str,
    text: str = "hej",
    *,
    tenant: str = "t1",
) -> tuple[int, Any, str | None]:
    # as the SDK sends it: the conversation of the stored reference, with its tenant
    activity = {
        "type": "message",
        "text": text,
        "conversation": {"id": conversation, "tenantId": tenant},
    }
    return await call(http, fake, "POST", f"v3/conversations/{conversation}/activities", activity)


def create_body(member_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "bot": {"id": "28:bot"},
        "members": [{"id": member_id}],
        "tenantId": "t1",
        "channelData": {"tenant": {"id": "t1"}},
        "isGroup": False,
        **extra,
    }


def sdk_client(fake: FakeBotConnector) -> ConnectorClient:
    """The connector client the bot uses; use it with `async with` so its session is closed."""
    return ConnectorClient(MicrosoftAppCredentials.empty(), base_url=fake.service_url)


def read_error(exc: ErrorResponseException) -> tuple[int, str | None, str | None]:
    """Status, Bot Connector error code and Retry-After from the SDK's exception."""
    status: int = exc.response.status_code  # a requests.Response
    code = getattr(getattr(exc.error, "error", None), "code", None)  # ErrorResponse.error.code
    retry_after = exc.response.headers.get("Retry-After")  # case-insensitive, a string
    return status, code, retry_after


# ---- plain HTTP --------------------------------------------------------------------------------


async def test_sends_and_replies_are_recorded_with_new_ids(
    fake: FakeBotConnector, http: aiohttp.ClientSession
) -> None:
    before = time.monotonic()
    status, body, _ = await send(http, fake, "a:one", "första")
    assert status == 200
    first_id = body["id"]
    status, body, _ = await call(
        http,
        fake,
        "POST",
        f"v3/conversations/a:one/activities/{first_id}",
        {"type": "message", "text": "svar"},
    )
    assert status == 200
    assert body["id"] != first_id
    first, reply = await fake.wait_for(2)
    assert (first["_conversation"], first["_id"], first["text"]) == ("a:one", first_id, "första")
    assert reply["_reply_to"] == first_id
    assert before <= first["_at"] <= reply["_at"] <= time.monotonic()
    assert fake.delivered_to("a:one") == [first, reply]
    assert fake.delivered_to("a:other") == []
    assert [a["status"] for a in await fake.wait_for_attempts(2)] == [200, 200]
    assert fake.attempts[0]["method"] == "POST"
    assert fake.attempts[0]["path"] == "/v3/conversations/a:one/activities"
    assert fake.attempts[0]["body"]["text"] == "första"


async def test_updates_and_deletes_are_recorded(
    fake: FakeBotConnector, http: aiohttp.ClientSession
) -> None:
    path = "v3/conversations/a:one/activities/sent-9"
    status, body, _ = await call(http, fake, "PUT", path, {"type": "message", "text": "ny"})
    assert (status, body) == (200, {"id": "sent-9"})
    [update] = fake.updates
    assert (update["_conversation"], update["_id"], update["text"]) == ("a:one", "sent-9", "ny")
    assert fake.activities == []
    status, _, _ = await call(http, fake, "DELETE", path)
    assert status == 200
    assert [(d["_conversation"], d["_id"]) for d in fake.deleted] == [("a:one", "sent-9")]


async def test_bad_requests_and_unknown_routes(
    fake: FakeBotConnector, http: aiohttp.ClientSession
) -> None:
    url = fake.service_url + "v3/conversations/a:one/activities"
    async with http.post(url, data=b"{nope", headers={"Content-Type": "application/json"}) as r:
        assert r.status == 400
    status, body, _ = await call(http, fake, "POST", "v3/conversations/a:one/activities", {})
    assert (status, body["error"]["code"]) == (400, "BadArgument")
    status, body, _ = await call(http, fake, "GET", "v3/nothing/here")
    assert (status, body["error"]["code"]) == (404, "NotFound")
    assert fake.statuses() == {400: 2, 404: 1}
    assert fake.activities == []


async def test_create_conversation_is_stable_per_member_and_needs_a_tenant(
    fake: FakeBotConnector, http: aiohttp.ClientSession
) -> None:
    status, body, _ = await call(http, fake, "POST", "v3/conversations", create_body("29:anna"))
    assert status == 201
    assert body == {"id": conversation_id_for("29:anna")}
    assert body["id"].startswith("a:")
    _, again, _ = await call(http, fake, "POST", "v3/conversations", create_body("29:anna"))
    _, other, _ = await call(http, fake, "POST", "v3/conversations", create_body("29:bo"))
    assert again == body != other
    assert [c["_id"] for c in fake.created] == [body["id"], body["id"], other["id"]]
    assert fake.created[0]["members"] == [{"id": "29:anna"}]

    with_activity = create_body("29:cia", activity={"type": "message", "text": "hej"})
    status, created, _ = await call(http, fake, "POST", "v3/conversations", with_activity)
    assert status == 201
    [activity] = fake.delivered_to(created["id"])
    assert created["activityId"] == activity["_id"]

    no_tenant = {"bot": {"id": "28:bot"}, "members": [{"id": "29:dan"}], "isGroup": False}
    status, body, _ = await call(http, fake, "POST", "v3/conversations", no_tenant)
    assert (status, body["error"]["code"]) == (400, "BadSyntax")
    fake.require_tenant = False
    status, _, _ = await call(http, fake, "POST", "v3/conversations", no_tenant)
    assert status == 201


async def test_members_one_all_and_paged(
    fake: FakeBotConnector, http: aiohttp.ClientSession
) -> None:
    anna = fake.add_member(
        "29:anna",
        name="Anna Lind",
        aad_object_id="aad-anna",
        email="anna@example.se",
        user_principal_name="anna@example.se",
        tenant_id="t1",
    )
    bo = fake.add_member("29:bo", name="Bo")
    status, body, _ = await call(http, fake, "GET", "v3/conversations/a:x/members/29:anna")
    assert (status, body) == (200, anna)
    assert body["userRole"] == "user"
    status, body, _ = await call(http, fake, "GET", "v3/conversations/a:x/members/29:nobody")
    assert (status, body["error"]["code"]) == (404, "MemberNotFound")
    _, body, _ = await call(http, fake, "GET", "v3/conversations/a:x/members")
    assert body == [anna, bo]
    _, body, _ = await call(http, fake, "GET", "v3/conversations/a:x/pagedmembers")
    assert body == {"members": [anna, bo], "continuationToken": None}
    _, page, _ = await call(http, fake, "GET", "v3/conversations/a:x/pagedmembers?pageSize=1")
    assert page["members"] == [anna]
    token = page["continuationToken"]
    path = f"v3/conversations/a:x/pagedmembers?pageSize=1&continuationToken={token}"
    _, page, _ = await call(http, fake, "GET", path)
    assert page == {"members": [bo], "continuationToken": None}


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("ConversationBlockedByUser", 403),
        ("BotNotInConversationRoster", 403),
        ("BotDisabledByAdmin", 403),
        ("ForbiddenOperationException", 403),
        ("ConversationNotFound", 404),
    ],
)
async def test_blocked_conversations_cannot_be_reached(
    http: aiohttp.ClientSession, code: str, status: int
) -> None:
    async with running_connector(blocked={"a:gone": code}) as fake:
        answer, body, _ = await send(http, fake, "a:gone")
        assert (answer, body["error"]["code"]) == (status, code)
        assert body["error"]["message"]
        path = "v3/conversations/a:gone/activities/sent-1"
        answer, body, _ = await call(http, fake, "PUT", path, {"type": "message"})
        assert (answer, body["error"]["code"]) == (status, code)
        assert (await send(http, fake, "a:fine"))[0] == 200
        assert [a["_conversation"] for a in fake.activities] == ["a:fine"]
        assert fake.updates == []


async def test_a_blocked_member_blocks_create_and_their_conversation(
    fake: FakeBotConnector, http: aiohttp.ClientSession
) -> None:
    fake.blocked["29:anna"] = "ConversationBlockedByUser"
    status, body, _ = await call(http, fake, "POST", "v3/conversations", create_body("29:anna"))
    assert (status, body["error"]["code"]) == (403, "ConversationBlockedByUser")
    assert fake.created == []
    status, body, _ = await send(http, fake, conversation_id_for("29:anna"))
    assert (status, body["error"]["code"]) == (403, "ConversationBlockedByUser")
    del fake.blocked["29:anna"]
    assert (await send(http, fake, conversation_id_for("29:anna")))[0] == 200


# ---- limits and failures -------------------------------------------------------------------


async def test_tenant_rate_answers_429_beyond_the_rate(http: aiohttp.ClientSession) -> None:
    async with running_connector(
        tenant_rate=5, tenant_retry_after="2", conversation_limits=[]
    ) as fake:
        burst = await asyncio.gather(*(send(http, fake, f"a:{i}") for i in range(12)))
        assert sorted(status for status, _, _ in burst) == [200] * 5 + [429] * 7
        assert {retry for status, _, retry in burst if status == 429} == {"2"}
        assert fake.max_in_window(1.0) == 5
        # a steady stream faster than the rate: never more than 5 accepted in any second
        fake.tenant_rate = 10
        deadline = time.monotonic() + 1.3
        i = 0
        while time.monotonic() < deadline:
            await send(http, fake, f"a:steady-{i % 4}")
            i += 1
            await asyncio.sleep(0.02)
        assert fake.max_in_window(1.0) <= 10
        assert fake.statuses()[429] > 7
        assert len(fake.activities) >= 5 + 10


async def test_creates_count_toward_the_tenant_rate_unless_turned_off(
    http: aiohttp.ClientSession,
) -> None:
    async with running_connector(tenant_rate=2) as fake:
        statuses = [
            (await call(http, fake, "POST", "v3/conversations", create_body(f"29:{i}")))[0]
            for i in range(3)
        ]
        assert statuses == [201, 201, 429]
        assert (await send(http, fake, "a:x"))[0] == 429
    async with running_connector(tenant_rate=2, tenant_counts_creates=False) as fake:
        for i in range(3):
            assert (await call(http, fake, "POST", "v3/conversations", create_body(f"29:{i}")))[
                0
            ] == 201
        assert [(await send(http, fake, "a:x"))[0] for _ in range(3)] == [200, 200, 429]


async def test_the_rate_and_a_throttle_are_each_tenants_own(http: aiohttp.ClientSession) -> None:
    async with running_connector(tenant_rate=3, conversation_limits=[]) as fake:
        first = [(await send(http, fake, f"a:{i}", tenant="t1"))[0] for i in range(4)]
        other = [(await send(http, fake, f"b:{i}", tenant="t2"))[0] for i in range(3)]
        assert (first, other) == ([200, 200, 200, 429], [200, 200, 200])
        assert fake.max_requests_in_window("t1") == 4  # the refused one was a request too
        fake.throttle(5, tenant="t2")
        status, _, retry = await send(http, fake, "b:x", tenant="t2")
        assert (status, retry) == (429, "5")
        assert (await send(http, fake, "c:0", tenant="t3"))[0] == 200


async def test_teams_conversation_limits_7_per_second_and_8_per_2_seconds(
    fake: FakeBotConnector, http: aiohttp.ClientSession
) -> None:
    burst = await asyncio.gather(*(send(http, fake, "a:one") for _ in range(10)))
    assert sorted(status for status, _, _ in burst) == [200] * 7 + [429] * 3
    assert {retry for status, _, retry in burst if status == 429} == {"1"}
    # other conversations have their own limits
    assert (await send(http, fake, "a:two"))[0] == 200
    await asyncio.sleep(1.05)
    # the last second is free again, but only one more fits in two seconds
    later = [(await send(http, fake, "a:one"))[0] for _ in range(3)]
    assert later == [200, 429, 429]
    assert fake.max_in_window(1.0, conversation="a:one") == 7
    assert fake.max_in_window(2.0, conversation="a:one") == 8
    assert len(fake.delivered_to("a:one")) == 8


async def test_conversation_limits_can_be_changed_or_turned_off(
    http: aiohttp.ClientSession,
) -> None:
    async with running_connector(conversation_limits=[]) as fake:
        burst = await asyncio.gather(*(send(http, fake, "a:one") for _ in range(20)))
        assert {status for status, _, _ in burst} == {200}
    async with running_connector(conversation_limits=[(2, 0.2)]) as fake:
        assert [(await send(http, fake, "a:one"))[0] for _ in range(3)] == [200, 200, 429]
        await asyncio.sleep(0.25)
        assert (await send(http, fake, "a:one"))[0] == 200


async def test_updates_count_toward_the_same_limits(http: aiohttp.ClientSession) -> None:
    async with running_connector(conversation_limits=[(2, 1.0)]) as fake:
        _, sent, _ = await send(http, fake, "a:one")
        path = f"v3/conversations/a:one/activities/{sent['id']}"
        statuses = [
            (await call(http, fake, "PUT", path, {"type": "message", "text": str(i)}))[0]
            for i in range(2)
        ]
        assert statuses == [200, 429]
        assert fake.max_in_window(1.0) == 2
        assert len(fake.updates) == 1


async def test_throttle_answers_every_request_with_429_until_it_ends(
    fake: FakeBotConnector, http: aiohttp.ClientSession
) -> None:
    fake.add_member("29:anna")
    fake.throttle(1.5)
    assert fake.throttled_until is not None
    status, body, retry = await send(http, fake, "a:one")
    assert (status, body["error"]["code"], retry) == (429, "Throttled", "2")
    status, _, retry = await call(http, fake, "GET", "v3/conversations/a:one/members/29:anna")
    assert (status, retry) == (429, "2")
    fake.throttle(0.2)
    assert (await send(http, fake, "a:one"))[2] == "1"
    await asyncio.sleep(0.25)
    assert (await send(http, fake, "a:one"))[0] == 200
    [(start, end)] = fake.throttles[1:]
    assert end == pytest.approx(start + 0.2)
    assert fake.statuses() == {429: 3, 200: 1}


async def test_fail_next_answers_the_queued_statuses_in_order(
    fake: FakeBotConnector, http: aiohttp.ClientSession
) -> None:
    fake.fail_next = [503, 429, 412, 502, 504]
    answers = [await send(http, fake, "a:one") for _ in range(5)]
    assert [status for status, _, _ in answers] == [503, 429, 412, 502, 504]
    assert [retry for _, _, retry in answers] == [None, "1", None, None, None]
    assert all(body["error"]["code"] for _, body, _ in answers)
    assert fake.fail_next == []
    assert fake.activities == []
    assert (await send(http, fake, "a:one"))[0] == 200
    fake.fail_next = [500]
    status, _, _ = await call(http, fake, "POST", "v3/conversations", create_body("29:anna"))
    assert status == 500
    assert fake.created == []


async def test_latency_delays_answers_without_serialising_them(
    http: aiohttp.ClientSession,
) -> None:
    async with running_connector(latency=0.2) as fake:
        started = time.monotonic()
        burst = await asyncio.gather(*(send(http, fake, f"a:{i}") for i in range(5)))
        elapsed = time.monotonic() - started
        assert {status for status, _, _ in burst} == {200}
        assert 0.2 <= elapsed < 0.6
        assert fake.max_in_flight == 5
        assert fake.in_flight == 0


async def test_max_in_window_counts_sends_and_updates() -> None:
    fake = FakeBotConnector()
    fake.activities = [{"_conversation": "a", "_at": t} for t in (0.0, 0.5, 0.99, 1.2, 5.0)]
    fake.updates = [{"_conversation": "b", "_at": 1.0}]
    assert fake.max_in_window(1.0) == 4  # 0.5, 0.99, 1.0, 1.2
    assert fake.max_in_window(1.0, conversation="a") == 3
    assert fake.max_in_window(0.1) == 2
    assert fake.max_in_window(10.0, conversation="b") == 1
    assert fake.max_in_window(conversation="nobody") == 0


async def test_waiting_times_out(fake: FakeBotConnector) -> None:
    with pytest.raises(TimeoutError):
        await fake.wait_for(1, within=0.05)
    with pytest.raises(TimeoutError):
        await fake.wait_for_attempts(1, within=0.05)


# ---- the real Bot Framework SDK ------------------------------------------------------------


async def test_the_sdk_sends_replies_updates_and_reads_members(fake: FakeBotConnector) -> None:
    fake.add_member("29:anna", name="Anna Lind", aad_object_id="aad-anna", tenant_id="t1")
    async with sdk_client(fake) as client:
        conversations = client.conversations
        sent = await conversations.send_to_conversation(
            "a:one", Activity(type="message", text="hej")
        )
        assert sent.id == fake.activities[0]["_id"]
        assert fake.activities[0]["text"] == "hej"
        reply = await conversations.reply_to_activity(
            "a:one", sent.id, Activity(type="message", text="svar")
        )
        assert fake.activities[1]["_id"] == reply.id
        assert fake.activities[1]["_reply_to"] == sent.id
        updated = await conversations.update_activity(
            "a:one", sent.id, Activity(type="message", text="ändrad")
        )
        assert updated.id == sent.id
        assert fake.updates[0]["text"] == "ändrad"
        await conversations.delete_activity("a:one", reply.id)
        assert fake.deleted[0]["_id"] == reply.id
        member = await conversations.get_conversation_member("a:one", "29:anna")
        assert (member.id, member.name, member.aad_object_id) == (
            "29:anna",
            "Anna Lind",
            "aad-anna",
        )
        paged = await conversations.get_conversation_paged_members("a:one")
        assert [m.id for m in paged.members] == ["29:anna"]


async def test_the_sdk_creates_a_conversation(fake: FakeBotConnector) -> None:
    parameters = ConversationParameters(
        is_group=False,
        bot=ChannelAccount(id="28:bot"),
        members=[ChannelAccount(id="29:anna")],
        tenant_id="t1",  # the SDK sends it as "tenantID"
        channel_data={"tenant": {"id": "t1"}},
    )
    async with sdk_client(fake) as client:
        created = await client.conversations.create_conversation(parameters)
        again = await client.conversations.create_conversation(parameters)
    assert created.id == again.id == conversation_id_for("29:anna")
    assert len(fake.created) == 2
    assert fake.statuses() == {201: 2}


async def test_the_sdk_exception_carries_status_code_and_retry_after(
    fake: FakeBotConnector,
) -> None:
    fake.blocked = {"a:blocked": "ConversationBlockedByUser", "a:gone": "ConversationNotFound"}
    hej = Activity(type="message", text="hej")
    async with sdk_client(fake) as client:
        with pytest.raises(ErrorResponseException) as blocked:
            await client.conversations.send_to_conversation("a:blocked", hej)
        assert read_error(blocked.value) == (403, "ConversationBlockedByUser", None)
        assert blocked.value.error.error.message == "User blocked the conversation with the bot."

        with pytest.raises(ErrorResponseException) as gone:
            await client.conversations.send_to_conversation("a:gone", hej)
        assert read_error(gone.value) == (404, "ConversationNotFound", None)

        fake.blocked["29:anna"] = "BotNotInConversationRoster"
        parameters = ConversationParameters(
            bot=ChannelAccount(id="28:bot"), members=[ChannelAccount(id="29:anna")], tenant_id="t1"
        )
        with pytest.raises(ErrorResponseException) as roster:
            await client.conversations.create_conversation(parameters)
        assert read_error(roster.value) == (403, "BotNotInConversationRoster", None)

        fake.fail_next = [429]
        with pytest.raises(ErrorResponseException) as throttled:
            await client.conversations.send_to_conversation("a:one", hej)
        assert read_error(throttled.value) == (429, "Throttled", "1")

        fake.throttle(2.5)
        with pytest.raises(ErrorResponseException) as throttled:
            await client.conversations.send_to_conversation("a:one", hej)
        assert read_error(throttled.value) == (429, "Throttled", "3")

        fake.throttled_until = None
        fake.fail_next = [503]
        with pytest.raises(ErrorResponseException) as unavailable:
            await client.conversations.send_to_conversation("a:one", hej)
        assert read_error(unavailable.value) == (503, "ServiceUnavailable", None)
    assert fake.activities == []


async def test_the_sdk_silently_retries_5xx_on_put_but_not_on_post(fake: FakeBotConnector) -> None:
    """msrest's urllib3 retry policy retries PUT/DELETE on 5xx (not 501/505); POST it does not."""
    hej = Activity(type="message", text="hej")
    async with sdk_client(fake) as client:
        fake.fail_next = [503]
        with pytest.raises(ErrorResponseException):
            await client.conversations.send_to_conversation("a:one", hej)
        fake.fail_next = [503]
        updated = await client.conversations.update_activity("a:one", "sent-1", hej)
    assert updated.id == "sent-1"
    assert [a["status"] for a in fake.attempts] == [503, 503, 200]
