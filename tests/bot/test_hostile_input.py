"""Hostile input at /api/messages: thousands of generated malformed requests get a 4xx, never a
5xx, write nothing, and the bot still answers a good message afterwards.

Hypothesis drives each property from a worker thread while the app runs on the test's event
loop: the app (and its database) is built once per test, which is what the property needs — it
must stay unchanged across every example — and no function-scoped fixture is shared behind
Hypothesis' back."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import logging
import math
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

import pytest
from aiohttp.test_utils import TestClient
from aiohttp.web import Application
from botbuilder.schema import ActivityTypes
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func
from sqlmodel import SQLModel, select

from bot.activity_check import CARD_ACTION, MAX_DEPTH, MAX_TEXT
from bot.app import MAX_BODY_BYTES, create_app
from bot.settings import Settings
from bot.token_check import plausible_bearer
from dialogs.cards import card_id
from dialogs.check_in_dialog import ACTIONS as CHECK_IN_ACTIONS
from dialogs.check_in_dialog import MARKER as CHECK_IN
from dialogs.hr_cards import SUBMIT_KIND as HR
from dialogs.my_data_cards import SUBMIT_KIND as MY_DATA
from dialogs.routes import teams_routes
from dialogs.texts import t
from followup.policy import Policy
from storage.database import Database
from storage.models import AuditEvent, Invitation, Round
from tests.dialogs.checkin_world import (
    KARIN,
    MARIA,
    activity,
    add_members,
    db_of,
    deliver_outbox,
    install,
    make_hr_admin,
    open_a_round,
    organisation,
)
from tests.fakes.bot_connector import FakeBotConnector, running_connector

ClientFactory = Callable[[Application], Awaitable[TestClient[Any, Any]]]
T = TypeVar("T")

APP_ID = "7f0e3c2a-1111-2222-3333-444455556666"
APOLOGIES = {t(language, "error.turn") for language in ("sv", "en")}  # after a failed turn

# Deterministic for CI (the same examples every run, no example database), no per-example time
# limit (a machine shared by several test runs is slow at times), enough examples to mean it.
# `make hostile` runs the invoke properties with HOSTILE_EXAMPLES=10000 each (several minutes)
EXAMPLES = int(os.environ.get("HOSTILE_EXAMPLES", "0"))


def scaled(examples: int) -> int:
    """The normal suite's number of examples, or HOSTILE_EXAMPLES when that is set."""
    return EXAMPLES or examples


HOSTILE = settings(
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


async def holds(
    strategy: st.SearchStrategy[T], prop: Callable[[T], Awaitable[None]], *, examples: int
) -> None:
    """Check the async property `prop` for `examples` values of `strategy` (shrinking a failure
    to its simplest form), each run on this test's event loop, against the app it runs."""
    loop = asyncio.get_running_loop()

    @settings(HOSTILE, max_examples=examples)
    @given(strategy)
    def check(value: T) -> None:
        asyncio.run_coroutine_threadsafe(prop(value), loop).result(timeout=120)

    await asyncio.to_thread(check)


# --- what a body can be made of --------------------------------------------------------------

# one surrogate between letters: never half of a pair, so never Unicode
lone_surrogates = st.tuples(
    st.text("ab ", max_size=3),
    st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF),
    st.text("ab ", max_size=3),
).map("".join)
finite = st.booleans() | st.integers() | st.integers(min_value=2**63)
numbers = finite | st.floats()


def json_garbage(
    texts: st.SearchStrategy[str], numbers: st.SearchStrategy[Any]
) -> st.SearchStrategy[Any]:
    """Any JSON value: scalars, and lists and objects of them, a few levels deep."""
    return st.recursive(
        st.none() | numbers | texts,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3),
        max_leaves=8,
    )


texts = st.text(max_size=20) | lone_surrogates
garbage = json_garbage(texts, numbers)
# what an encoder that keeps to JSON writes: no NaN, no lone surrogates (the edge refuses both)
card_garbage = json_garbage(
    st.text(max_size=20), finite | st.floats(allow_nan=False, allow_infinity=False)
)
# what no input of ours can hold: neither text nor a number
junk = card_garbage.filter(lambda v: isinstance(v, bool | list | dict))
FAR = 1000  # ids at least this far are in no table of the test's world
lists = st.lists(garbage, max_size=3)
objects = st.dictionaries(texts, garbage, max_size=3)
not_str = numbers | lists | objects
not_dict = numbers | texts | lists
not_list = numbers | texts | objects
huge = st.integers(min_value=MAX_TEXT + 1, max_value=MAX_TEXT + 5000).map(lambda n: "x" * n)
known_types = {kind.value for kind in ActivityTypes}


def stranger_message(service_url: str) -> dict[str, Any]:
    """A well-formed message from someone in an unknown tenant: the base every damage starts
    from, so anything the edge let through would show as a greeting and a new organisation."""
    return {
        "type": "message",
        "id": "m1",
        "text": "hjälp",
        "locale": "sv-SE",
        "channelId": "msteams",
        "serviceUrl": service_url,
        "from": {"id": "29:stranger", "name": "Sam Främling", "aadObjectId": "aad-stranger"},
        "recipient": {"id": "28:bot", "name": "Ledarpuls"},
        "conversation": {"id": "a:stranger", "conversationType": "personal", "tenantId": "t-x"},
        "channelData": {"tenant": {"id": "t-x"}},
    }


def _set(body: dict[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    node = body
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return body


def _drop(body: dict[str, Any], path: tuple[str, ...]) -> dict[str, Any]:
    node = body
    for key in path[:-1]:
        node = node[key]
    node.pop(path[-1], None)
    return body


# Each damage makes the activity malformed for certain: (path, values it may take).
_REQUIRED = (("type",), ("serviceUrl",), ("channelId",), ("from",), ("conversation",))
_DAMAGES: list[tuple[tuple[str, ...], st.SearchStrategy[Any]]] = [
    (("type",), not_str | st.just("")),
    (("type",), st.text(min_size=1, max_size=20).filter(lambda s: s not in known_types)),
    (("type",), huge),
    (("serviceUrl",), not_str | st.just("") | st.sampled_from(["ftp://x/", "javascript:x", "//x"])),
    (("channelId",), not_str | st.just("")),
    (("from",), not_dict),
    (("from", "id"), not_str | st.just("")),
    (("conversation",), not_dict),
    (("conversation", "id"), not_str | st.just("")),
    (("conversation", "tenantId"), not_str),
    (("conversation", "conversationType"), not_str),
    (("recipient",), not_dict),
    (("recipient", "name"), not_str),
    (("from", "aadObjectId"), not_str),
    (("from", "name"), not_str),
    (("channelData",), not_dict),
    (("channelData", "tenant"), not_dict),
    (("channelData", "tenant", "id"), not_str),
    (("entities",), not_list),
    (("entities",), st.lists(not_dict, min_size=1, max_size=3)),
    (("attachments",), not_list),
    (("attachments",), st.lists(not_dict, min_size=1, max_size=3)),
    (("membersAdded",), not_list),
    (("membersAdded",), st.lists(not_dict | st.fixed_dictionaries({"id": not_str}), min_size=1)),
    (("membersRemoved",), not_list),
    (("text",), not_str),
    (("text",), huge),
    (("locale",), not_str),
    (("id",), not_str),
    (("replyToId",), not_str),
    (("timestamp",), not_str | st.text(min_size=1, max_size=10)),
    (("localTimezone",), not_str),
    (("textFormat",), not_str),
    (("text",), lone_surrogates),
    (("value",), st.sampled_from([math.nan, math.inf, -math.inf]).map(lambda x: {"a": [x]})),
    (("value",), st.integers(MAX_DEPTH, 3 * MAX_DEPTH).map(lambda n: deep_value(n))),
]


def deep_value(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = {"a": value}
    return value


@st.composite
def malformed_activities(draw: st.DrawFn, service_url: str) -> dict[str, Any]:
    """A message damaged in one to three ways, each enough on its own to make it malformed, with
    garbage beside it (a card's `value`, unknown fields) that must not matter."""
    body = stranger_message(service_url)
    damages = draw(
        st.lists(st.integers(0, len(_DAMAGES) + len(_REQUIRED) - 1), min_size=1, max_size=3)
    )
    for index in damages:
        if index >= len(_DAMAGES):
            _drop(body, _REQUIRED[index - len(_DAMAGES)])
            continue
        path, values = _DAMAGES[index]
        parent = body
        for key in path[:-1]:
            if not isinstance(parent.get(key), dict):
                parent[key] = {}
            parent = parent[key]
        _set(body, path, draw(values))
    if draw(st.booleans()):
        body.setdefault("value", draw(garbage))
    extra = draw(st.dictionaries(st.text(max_size=10), garbage, max_size=2))
    body.update({"x-" + key: value for key, value in extra.items()})
    return body


def encode(body: Any) -> bytes:
    """JSON as a careless client writes it: NaN, lone surrogates and big numbers included."""
    return json.dumps(body).encode()


# raw bodies no JSON parser should accept, or that are not what an activity is
broken_json = st.one_of(
    st.binary(max_size=200),
    st.text(max_size=200).map(str.encode),
    st.integers(1, 40).map(lambda n: encode({"type": "message", "text": "x"})[:-n]),
    st.sampled_from([b"", b"{", b"[", b'{"type":', b"\xff\xfe{}", b"\xc3\x28", b"NaN", b"-"]),
)


def nested(kind: str, depth: int) -> bytes:
    """JSON nested `depth` deep: arrays, or objects in an activity's `value`."""
    if kind == "arrays":
        return b"[" * depth + b"]" * depth
    return b'{"type": "message", "value": ' + b'{"a":' * depth + b"1" + b"}" * (depth + 1)


def oversized(size: int, good: bytes) -> bytes:
    """A well-formed activity whose text makes the body `size` bytes."""
    return good[:-1] + b', "name": "' + b"x" * (size - len(good) - 11) + b'"}'


non_objects = st.one_of(st.none(), numbers, texts, lists).map(encode)
content_types = st.sampled_from(
    [
        "text/plain",
        "application/xml",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/jsonx",
        "json",
        "",
    ]
)


# --- the app under attack ---------------------------------------------------------------------


@pytest.fixture
async def connector() -> AsyncIterator[FakeBotConnector]:
    # no per-conversation throttling: a polite answer must never be a 429 away from an apology
    async with running_connector(conversation_limits=[]) as fake:
        add_members(fake)
        yield fake


async def app_client(
    aiohttp_client: ClientFactory, database_url: str, **extra: Any
) -> TestClient[Any, Any]:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, database_url=database_url, run_scheduler=False, **extra
    )
    return await aiohttp_client(create_app(settings))


async def row_counts(db: Database) -> dict[str, int]:
    """How many rows every table holds."""
    tables = list(SQLModel.metadata.sorted_tables)
    counts = [select(func.count()).select_from(table).scalar_subquery() for table in tables]
    async with db.session() as session:
        row = (await session.exec(select(*counts))).one()  # type: ignore[call-overload]
    return {table.name: n for table, n in zip(tables, row, strict=True)}


async def post(
    client: TestClient[Any, Any],
    data: bytes,
    *,
    content_type: str | None = "application/json",
    headers: dict[str, str] | None = None,
) -> int:
    all_headers = {"Content-Type": content_type} if content_type is not None else {}
    all_headers.update(headers or {})
    # a stream, as a big upload comes: aiohttp wants no large bytes object in one piece
    response = await client.post("/api/messages", data=io.BytesIO(data), headers=all_headers)
    await response.read()
    return response.status


async def still_answers(client: TestClient[Any, Any], connector: FakeBotConnector) -> None:
    """A good message after the storm gets its answer."""
    before = len(connector.activities)
    body = stranger_message(connector.service_url)
    assert await post(client, encode(body)) in (200, 201)
    replies = await connector.wait_for(before + 1)
    assert any("förändringsledare" in (a.get("text") or "") for a in replies[before:]), replies


# --- the properties ---------------------------------------------------------------------------


async def test_malformed_activities_get_400_and_write_nothing(
    aiohttp_client: ClientFactory, database_url: str, connector: FakeBotConnector
) -> None:
    client = await app_client(aiohttp_client, database_url)
    db = db_of(client)
    empty = await row_counts(db)

    async def rejected(body: dict[str, Any]) -> None:
        assert await post(client, encode(body)) == 400
        assert await row_counts(db) == empty

    await holds(malformed_activities(connector.service_url), rejected, examples=800)
    assert connector.activities == []
    await still_answers(client, connector)


async def test_broken_json_non_objects_wrong_types_and_big_bodies_are_refused(
    aiohttp_client: ClientFactory, database_url: str, connector: FakeBotConnector
) -> None:
    client = await app_client(aiohttp_client, database_url)
    db = db_of(client)
    empty = await row_counts(db)

    good = encode(stranger_message(connector.service_url))

    async def refused(case: tuple[str, Any, str | None]) -> None:
        kind, data, content_type = case
        if kind == "deep":
            data = nested(*data)
        elif kind == "big":
            data = oversized(data, good)
        status = await post(client, data, content_type=content_type)
        expected = {"type": {415}, "big": {413}}.get(kind, {400})
        assert status in expected, (kind, status)
        assert await row_counts(db) == empty

    json_type = st.just("application/json")
    cases = st.one_of(
        st.tuples(st.just("json"), broken_json, json_type),
        st.tuples(st.just("json"), non_objects, st.just("application/json; charset=utf-8")),
        st.tuples(
            st.just("deep"),
            st.tuples(st.sampled_from(["arrays", "objects"]), st.integers(MAX_DEPTH + 1, 100_000)),
            json_type,
        ),
        st.tuples(st.just("type"), st.just(good), content_types | st.none()),
        st.tuples(
            st.just("big"), st.integers(MAX_BODY_BYTES + 1, MAX_BODY_BYTES + 9999), json_type
        ),
    )
    await holds(cases, refused, examples=500)
    assert connector.activities == []
    await still_answers(client, connector)


def _b64(part: Any) -> str:
    raw = part if isinstance(part, bytes) else json.dumps(part).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@st.composite
def bad_authorizations(draw: st.DrawFn) -> str:
    """Authorization headers that cannot be a Bot Framework token for this app."""
    kind = draw(st.sampled_from(["text", "scheme", "jwt"]))
    if kind == "text":
        return draw(st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=80))
    if kind == "scheme":
        scheme = draw(st.sampled_from(["Bearer", "bearer", "Basic", "Bearer  ", "Token"]))
        return f"{scheme} {draw(st.text(st.characters(min_codepoint=33, max_codepoint=126)))}"
    header = draw(
        st.fixed_dictionaries(
            {},
            optional={
                "alg": st.sampled_from(["RS256", "HS256", "none", "ES256"]) | garbage,
                "kid": garbage,
                "typ": garbage,
            },
        )
    )
    claims = draw(
        st.fixed_dictionaries(
            {},
            optional={
                "aud": garbage | st.just("some-other-app"),
                "exp": garbage,
                "iss": garbage,
            },
        )
    )
    signature = draw(st.binary(max_size=64))
    return f"Bearer {_b64(header)}.{_b64(claims)}.{_b64(signature)}"


async def test_with_an_app_id_forged_tokens_get_401_and_write_nothing(
    aiohttp_client: ClientFactory, database_url: str, connector: FakeBotConnector
) -> None:
    client = await app_client(
        aiohttp_client,
        database_url,
        APP_ID=APP_ID,
        APP_PASSWORD="not-a-real-secret",
        APP_TYPE="MultiTenant",
    )
    db = db_of(client)
    empty = await row_counts(db)
    good = encode(stranger_message(connector.service_url))

    async def unauthorised(case: tuple[str, bool]) -> None:
        authorization, malformed = case
        # a token that could pass the first look would send the SDK to fetch Microsoft's keys
        assert not plausible_bearer(authorization, app_id=APP_ID)
        data = b'{"type": 5}' if malformed else good
        status = await post(client, data, headers={"Authorization": authorization})
        assert status == (400 if malformed else 401)
        assert await row_counts(db) == empty

    await holds(st.tuples(bad_authorizations(), st.booleans()), unauthorised, examples=400)
    assert connector.activities == []


# --- invokes ---------------------------------------------------------------------------------

# invoke names Teams can send, none of which the bot serves but Universal Actions
OTHER_INVOKES = [
    "task/fetch",
    "task/submit",
    "composeExtension/query",
    "composeExtension/submitAction",
    "fileConsent/invoke",
    "signin/verifyState",
    "signin/tokenExchange",
    "actionableMessage/executeAction",
    "config/fetch",
    "tab/fetch",
    "healthCheck",
    "adaptiveCard/Action",
]
not_str_json = card_garbage.filter(lambda v: v is not None and not isinstance(v, str))
not_dict_json = card_garbage.filter(lambda v: not isinstance(v, dict))


@st.composite
def card_action_values(draw: st.DrawFn) -> Any:
    """An `adaptiveCard/action` value: anything at all, an Action.Execute damaged in one to
    three places, or a well-formed one whose verb and data are garbage."""
    kind = draw(st.sampled_from(["anything", "damaged", "wellformed"]))
    if kind == "anything":
        return draw(card_garbage)
    value: dict[str, Any] = {
        "action": {
            "type": "Action.Execute",
            "verb": draw(st.text(max_size=20)),
            "id": draw(st.text(max_size=8)),
            "data": draw(st.dictionaries(st.text(max_size=8), card_garbage, max_size=3)),
        },
        "trigger": draw(st.sampled_from(["manual", "automatic"])),
    }
    if kind == "damaged":
        damages = [
            ("action", not_dict_json),
            ("action.type", card_garbage.filter(lambda v: v != "Action.Execute")),
            ("action.type", st.sampled_from(["Action.Submit", "Action.OpenUrl", ""])),
            ("action.verb", not_str_json),
            ("action.id", not_str_json),
            ("action.title", not_str_json),
            ("action.data", not_dict_json.filter(lambda v: v is not None)),
            ("trigger", not_str_json),
            ("state", not_str_json),
            ("authentication", not_dict_json.filter(lambda v: v is not None)),
        ]
        for index in draw(st.lists(st.integers(0, len(damages) - 1), min_size=1, max_size=3)):
            path, values = damages[index]
            if path.startswith("action.") and not isinstance(value.get("action"), dict):
                continue  # the action is already broken
            node = value["action"] if path.startswith("action.") else value
            node[path.removeprefix("action.")] = draw(values)
    value.update(draw(st.dictionaries(st.text(max_size=8), card_garbage, max_size=2)))
    return value


def invokes(base: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """Invokes built on `base`: mostly Universal Actions with any value (or none), and other
    names Teams uses, and made-up ones."""
    names = st.sampled_from([CARD_ACTION, *OTHER_INVOKES]) | st.text(min_size=1, max_size=20)
    values = card_action_values() | st.just("absent")

    def build(case: tuple[str, Any]) -> dict[str, Any]:
        name, value = case
        body = {**base, "type": "invoke", "name": name}
        body.pop("text", None)
        if value != "absent":
            body["value"] = value
        return body

    return st.tuples(st.just(CARD_ACTION) | names, values).map(build)


async def test_invokes_with_garbage_get_an_invoke_answer_never_5xx_and_write_nothing(
    aiohttp_client: ClientFactory, database_url: str, connector: FakeBotConnector
) -> None:
    client = await app_client(aiohttp_client, database_url)
    db = db_of(client)
    empty = await row_counts(db)
    statuses: dict[int, int] = {}

    async def answered(body: dict[str, Any]) -> None:
        response = await client.post("/api/messages", json=body)
        answer = await response.json()
        statuses[response.status] = statuses.get(response.status, 0) + 1
        assert response.status < 500, (body, answer)
        if body["name"] == CARD_ACTION:
            # an Adaptive Card error, which Teams shows on the card: the value is malformed
            # (HTTP 400) or an Action.Execute with a verb the bot does not serve
            assert answer["type"] == "application/vnd.microsoft.error"
            assert answer["statusCode"] == 400, answer
            assert answer["value"]["code"] in ("BadRequest", "NotSupported"), answer
        assert await row_counts(db) == empty

    await holds(invokes(stranger_message(connector.service_url)), answered, examples=scaled(400))
    assert statuses.keys() <= {200, 400}, statuses
    assert connector.activities == []  # no apology for a failed turn, nothing sent at all
    await still_answers(client, connector)


async def test_invokes_with_garbage_from_people_the_bot_knows_change_nothing(
    aiohttp_client: ClientFactory,
    database_url: str,
    connector: FakeBotConnector,
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = await app_client(aiohttp_client, database_url)
    db = db_of(client)
    org, programme = await organisation(db)
    await open_a_round(db, org, programme)
    for person in (KARIN, MARIA):
        await install(client, connector, person)
    await deliver_outbox(client)
    before = await unchanging(db)
    sent = len(connector.activities)
    caplog.set_level(logging.ERROR)

    async def answered(body: dict[str, Any]) -> None:
        response = await client.post("/api/messages", json=body)
        await response.read()
        assert response.status in (200, 400), body
        assert await unchanging(db) == before

    people = st.sampled_from([MARIA, KARIN]).map(lambda person: activity(connector, person))
    await holds(people.flatmap(invokes), answered, examples=scaled(200))
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert len(connector.activities) == sent
    await post(client, encode(activity(connector, MARIA, text="hjälp")))
    assert "förändringsledare" in (await connector.wait_for(sent + 1))[-1]["text"]


# --- card submits with garbage from people the bot knows ----------------------------------------


# what anyone may type after a command word that only reads (HR's reads are audited)
typed_texts = st.tuples(
    st.sampled_from(["status", "sammanställning", "digest", "omgångar", "hjälp", ""]),
    st.text(max_size=30)
    | st.text("0123456789²³¹٣۴०१", min_size=1, max_size=25)
    | st.integers(min_value=FAR).map(str),
).map(" ".join)


@st.composite
def garbage_submits(
    draw: st.DrawFn, invitation_id: int, round_id: int, hr_actions: frozenset[str]
) -> Any:
    """What a forged or damaged card could send as `value`: anything at all, or our own data
    with wrong types, unknown actions, rounds and invitations that are not there, and inputs
    that cannot be answers (never a complete, valid step)."""
    kind = draw(st.sampled_from(["anything", "checkin", "hr", "mydata"]))
    if kind == "anything":
        return draw(
            card_garbage | st.dictionaries(st.sampled_from(["ledarpuls", "action"]), card_garbage)
        )
    big_ids = st.integers(min_value=2**31) | st.integers(max_value=-1)
    # never an id the world has (a small number is one): those would be real requests
    ids = st.one_of(card_garbage, big_ids, st.just(invitation_id + 1000), st.just(round_id + 1000))
    ids = ids.filter(lambda v: (card_id(v) or FAR) >= FAR)
    if kind == "checkin":
        value: dict[str, Any] = {
            "ledarpuls": CHECK_IN,
            "action": draw(st.sampled_from(sorted(CHECK_IN_ACTIONS)) | card_garbage),
            "invitation": draw(ids),
        }
        if value["action"] in ("save", "goto") and draw(st.booleans()):
            # the chef's own invitation, with a step or inputs that make no sense
            value["invitation"] = invitation_id
            value["step"] = draw(
                card_garbage | st.sampled_from(["confidence", "consent", "area:1"])
            )
            value["goto_step"] = draw(card_garbage)
            fields = st.sampled_from(
                ["confidence", "consent", "strengths", "principle", "status:1", "comment:1"]
            )
            value.update(draw(st.dictionaries(fields, junk, max_size=4)))
    elif kind == "mydata":
        value = {
            "ledarpuls": MY_DATA,
            "action": draw(st.sampled_from(["erase", "cancel"]) | card_garbage),
            "chef": draw(ids),
            "plan": draw(card_garbage),
            "issued": draw(card_garbage),
        }
    else:
        value = {
            "ledarpuls": HR,
            "action": draw(st.sampled_from(sorted(hr_actions)) | card_garbage),
            "round": draw(ids | st.integers(min_value=2**63).map(str)),
            "lang": draw(card_garbage | st.sampled_from(["sv", "en"])),
        }
        keys = st.sampled_from(["deadline", "chef", "until", "principal", "role", "title"])
        value.update(draw(st.dictionaries(keys, junk, max_size=4)))
    value.update(draw(st.dictionaries(st.text(max_size=8), card_garbage, max_size=2)))
    return value


async def test_card_submits_with_garbage_are_answered_politely_and_change_nothing(
    aiohttp_client: ClientFactory,
    database_url: str,
    connector: FakeBotConnector,
    caplog: pytest.LogCaptureFixture,
) -> None:
    client, invitation_id, round_id = await known_world(aiohttp_client, database_url, connector)
    db = db_of(client)
    before = await unchanging(db)
    caplog.set_level(logging.ERROR)

    async def answered(case: tuple[dict[str, str], str, Any]) -> None:
        person, kind, payload = case
        sent, updated = len(connector.activities), len(connector.updates)
        if kind == "text":
            body = activity(connector, person, text=payload)
        else:
            body = activity(connector, person, value=payload, replyToId="card-1")
        assert await post(client, encode(body)) in (200, 201)
        # an answer (a message, or the pressed card changed in place), and not the apology for
        # a failed turn
        await connector.wait_until(
            lambda: len(connector.activities) > sent or len(connector.updates) > updated
        )
        assert not APOLOGIES & {r.get("text") for r in connector.activities[sent:]}
        assert await unchanging(db) == before

    # every action HR's cards can carry, as the bot routes them
    hr_actions = teams_routes(db, policy=Policy()).card_actions(HR)
    people = st.sampled_from([MARIA, KARIN])
    cases = st.one_of(
        st.tuples(people, st.just("value"), garbage_submits(invitation_id, round_id, hr_actions)),
        st.tuples(people, st.just("text"), typed_texts),
    )
    await holds(cases, answered, examples=300)
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    async with db.session() as s:
        audited = set((await s.exec(select(AuditEvent.action))).all())
    # refusals and HR's reads are on record by design; nothing else happened
    reads = {"round.list", "round.status", "digest.view"}
    refusals = {"hr.refused", "checkin.refused", "mydata.refused", "card.refused"}
    assert audited <= {*refusals, *reads}, audited
    sent = len(connector.activities)
    await post(client, encode(activity(connector, MARIA, text="hjälp")))
    assert "förändringsledare" in (await connector.wait_for(sent + 1))[-1]["text"]


@st.composite
def our_cards_pressed(
    draw: st.DrawFn, invitation_id: int, round_id: int, hr_actions: frozenset[str]
) -> dict[str, Any]:
    """A Universal Action as a forged or damaged card of ours would send it: the data of
    `garbage_submits`, its verb mostly the action it names (the one an invoke is routed on),
    else `refresh` or anything."""
    data = draw(garbage_submits(invitation_id, round_id, hr_actions))
    action = data.get("action") if isinstance(data, dict) else None
    verbs = st.sampled_from(["refresh"]) | st.text(max_size=12)
    if isinstance(action, str):
        verbs = st.just(action) | verbs
    return {
        "action": {"type": "Action.Execute", "verb": draw(verbs), "data": data},
        "trigger": draw(st.sampled_from(["manual", "automatic"])),
    }


async def test_invokes_of_our_own_cards_with_garbage_change_nothing_and_never_fail(
    aiohttp_client: ClientFactory,
    database_url: str,
    connector: FakeBotConnector,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Universal Actions routed as presses of our own cards (check-in, HR's, my data, their
    refreshes) with damaged data, from a chef and an HR admin the bot knows: each answered
    (a card, a message or an Adaptive Card error), none a 5xx, nothing changed."""
    client, invitation_id, round_id = await known_world(aiohttp_client, database_url, connector)
    db = db_of(client)
    before = await unchanging(db)
    caplog.set_level(logging.ERROR)

    async def answered(case: tuple[dict[str, str], dict[str, Any]]) -> None:
        person, value = case
        body = activity(
            connector, person, kind="invoke", name=CARD_ACTION, value=value, replyToId="card-1"
        )
        body.pop("text", None)
        response = await client.post(
            "/api/messages", data=encode(body), headers={"Content-Type": "application/json"}
        )
        answer = await response.json()
        # a malformed value is refused at the edge (400), the rest answered (200)
        assert response.status in (200, 400), (value, answer)
        assert answer["statusCode"] in (200, 400), answer
        assert await unchanging(db) == before

    hr_actions = teams_routes(db, policy=Policy()).card_actions(HR)
    people = st.sampled_from([MARIA, KARIN])
    cases = st.tuples(people, our_cards_pressed(invitation_id, round_id, hr_actions))
    await holds(cases, answered, examples=scaled(150))
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert not APOLOGIES & {a.get("text") for a in connector.activities}


async def known_world(
    aiohttp_client: ClientFactory, database_url: str, connector: FakeBotConnector
) -> tuple[TestClient[Any, Any], int, int]:
    """The app with an open round, Karin (HR admin and chef) and Maria installed and invited:
    the client, an invitation's id and the round's."""
    client = await app_client(aiohttp_client, database_url)
    db = db_of(client)
    org, programme = await organisation(db)
    await make_hr_admin(db, org, KARIN)
    round_id = await open_a_round(db, org, programme)
    for person in (KARIN, MARIA):
        await install(client, connector, person)
    await deliver_outbox(client)
    async with db.session() as s:
        invitation = (await s.exec(select(Invitation))).first()
    assert invitation is not None and invitation.id is not None
    return client, invitation.id, round_id


async def unchanging(db: Database) -> tuple[dict[str, int], list[Any]]:
    """What hostile input must leave as it is: how many rows each table holds (the audit trail
    aside, which records refusals), and the state of every round and invitation."""
    counts = await row_counts(db)
    counts.pop(AuditEvent.__tablename__)
    async with db.session() as s:
        rows = [*(await s.exec(select(Round))).all(), *(await s.exec(select(Invitation))).all()]
    return counts, [row.model_dump() for row in rows]
