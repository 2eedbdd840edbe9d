"""A demo organisation with an open round, chefs who installed the app, and card helpers.

The helpers take either world: the app behind /api/messages with the fake Bot Connector
(`client`, `connector`), or the bot in-process (`tests.turns.Teams`, passed as both)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from aiohttp.test_utils import TestClient
from sqlmodel import select

from bot.app import ADAPTER, DATABASE, DISPATCHER
from bot.outbox_dispatcher import OutboxDispatcher
from bot.teams_notifier import TeamsNotifier
from dialogs.outbox_renderer import OutboxRenderer
from followup.imports.plan import import_plan
from followup.imports.roster import import_roster
from followup.policy import Policy
from followup.rounds.lifecycle import create_round, open_round
from storage.database import Database
from storage.models import Programme, Role
from storage.organisation_store import OrganisationStore
from storage.role_store import RoleStore
from storage.types import utcnow
from tests.cards import walk
from tests.conftest import EXAMPLES
from tests.fakes.bot_connector import FakeBotConnector
from tests.turns import Teams

Client = TestClient[Any, Any] | Teams
Connector = FakeBotConnector | Teams

TENANT = "5f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f"
KARIN = {
    "id": "29:karin",
    "aadObjectId": "1a2b3c4d-0001-4000-8000-000000000004",
    "upn": "karin.sjoberg@demo.ledarpuls.se",
    "name": "Karin Sjöberg",
    "conv": "a:karin",
}
MARIA = {
    "id": "29:maria",
    "aadObjectId": "1a2b3c4d-0001-4000-8000-000000000001",
    "upn": "maria.akesson@demo.ledarpuls.se",
    "name": "Maria Åkesson",
    "conv": "a:maria",
}


def add_person(connector: Connector, person: dict[str, str], *, tenant_id: str = TENANT) -> None:
    """Someone Teams knows in the tenant (the member lookup finds them), from a person dict."""
    connector.add_member(
        person["id"],
        name=person["name"],
        aad_object_id=person["aadObjectId"],
        user_principal_name=person["upn"],
        email=person["upn"],
        tenant_id=tenant_id,
    )


async def make_hr_admin(db: Database, org: int, person: dict[str, str]) -> None:
    """The person (by their Entra object id) is an HR admin of the organisation."""
    await RoleStore(db).grant(
        organisation_id=org,
        principal=person["aadObjectId"],
        role=Role.HR_ADMIN,
        created_by="test",
        now=utcnow(),
    )


def add_members(connector: Connector) -> None:
    for person in (KARIN, MARIA):
        add_person(connector, person)


def activity(
    connector: Connector,
    person: dict[str, str],
    *,
    kind: str = "message",
    locale: str = "sv-SE",
    **extra: Any,
) -> dict[str, Any]:
    """What Teams posts for the person; in their own tenant when the person dict names one."""
    tenant = person.get("tenant", TENANT)
    return {
        "type": kind,
        "id": f"in-{kind}",
        "channelId": "msteams",
        "serviceUrl": connector.service_url,
        "from": {"id": person["id"], "aadObjectId": person["aadObjectId"]},
        "recipient": {"id": "28:ledarpuls", "name": "Ledarpuls"},
        "conversation": {"id": person["conv"], "conversationType": "personal", "tenantId": tenant},
        "channelData": {"tenant": {"id": tenant}},
        "locale": locale,
        **extra,
    }


async def organisation(db: Database, *, clock: Callable[[], datetime] = utcnow) -> tuple[int, int]:
    """The demo organisation with its plan and roster, imported at `clock`'s time."""
    org = await OrganisationStore(db).create(
        tenant_id=TENANT, name="Demokommunen", default_k=Policy().k
    )
    assert org.id is not None
    await import_plan(db, organisation_id=org.id, path=EXAMPLES / "demo-plan.yaml", clock=clock)
    await import_roster(db, organisation_id=org.id, path=EXAMPLES / "demo-roster.yaml", clock=clock)
    async with db.session() as s:
        programme = (await s.exec(select(Programme))).one()
    assert programme.id is not None
    return org.id, programme.id


async def open_a_round(
    db: Database,
    org: int,
    programme: int,
    *,
    title: str = "Delår 1",
    deadline: datetime | None = None,
) -> int:
    now = utcnow()
    round_ = await create_round(
        db,
        organisation_id=org,
        programme_id=programme,
        title=title,
        deadline=deadline or now + timedelta(days=21),
        now=now,
        policy=Policy(),
    )
    assert round_.id is not None
    await open_round(db, round_id=round_.id, now=now, policy=Policy())
    return round_.id


async def post(client: Client, body: dict[str, Any]) -> dict[str, Any] | None:
    """Deliver an activity from Teams: through /api/messages, or straight into a turn; an
    invoke's answer."""
    if isinstance(client, Teams):
        return await client.send(body)
    response = await client.post("/api/messages", json=body)
    assert response.status in (200, 201)
    if body.get("type") == "invoke":
        answer: dict[str, Any] = await response.json()
        return answer
    return None


async def install(
    client: Client,
    connector: Connector,
    person: dict[str, str],
    locale: str = "sv-SE",
) -> None:
    await post(
        client,
        activity(connector, person, kind="installationUpdate", action="add", locale=locale),
    )


async def deliver_outbox(client: Client, *, paced: bool = True) -> None:
    """Send what is due. `paced=False`: without the second between two messages to one chat
    (a test of what arrives, not of pacing, should not wait for the clock)."""
    dispatcher = client.app[DISPATCHER]
    if not paced:
        dispatcher = OutboxDispatcher(
            db=db_of(client),
            notifier=TeamsNotifier(client.app[ADAPTER], app_id=""),
            render=OutboxRenderer(db_of(client), policy=Policy()),
            conversation_interval=0,
        )
    while await dispatcher.dispatch_once():
        pass


def db_of(client: Client) -> Database:
    database: Database = client.app[DATABASE]
    return database


def cards_to(connector: Connector, person: dict[str, str]) -> list[dict[str, Any]]:
    return [
        {**a["attachments"][0]["content"], "_id": a["_id"]}
        for a in connector.activities
        if a["_conversation"] == person["conv"] and a.get("attachments")
    ]


def texts_to(
    connector: Connector, person: dict[str, str], *, with_cards: bool = False
) -> list[str]:
    """The texts the person got; `with_cards`: also the lines above cards."""
    return [
        a.get("text") or ""
        for a in connector.activities
        if a["_conversation"] == person["conv"] and (with_cards or not a.get("attachments"))
    ]


def inputs(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        e["id"]: e
        for e in walk(card.get("body", []))
        if str(e.get("type", "")).startswith("Input.")
    }


BUTTONS = ("Action.Execute", "Action.Submit")


def submit_data(card: dict[str, Any], action: str) -> dict[str, Any]:
    return dict(button(card, action)["data"])


def button(card: dict[str, Any], action: str) -> dict[str, Any]:
    """The card's button (Universal Action, or Action.Submit on an old card) for `action`."""
    for element in walk(card):
        data = element.get("data") if element.get("type") in BUTTONS else None
        if isinstance(data, dict) and data.get("action") == action:
            return element
    raise AssertionError(f"no {action} action on the card")


def card_action(
    connector: Connector,
    person: dict[str, str],
    action: dict[str, Any],
    values: dict[str, Any],
    *,
    reply_to: str | None,
    locale: str = "sv-SE",
) -> dict[str, Any]:
    """What Teams posts for a pressed button: an `adaptiveCard/action` invoke for a Universal
    Action, a message with the data for Action.Submit; either way the card's inputs merged in
    (each its default unless `values` says otherwise), unless the button takes none."""
    data = {**action["data"], **values}
    if action["type"] == "Action.Submit":
        return activity(connector, person, value=data, replyToId=reply_to, locale=locale)
    value = {
        "action": {"type": "Action.Execute", "verb": action["verb"], "data": data},
        "trigger": "manual",
    }
    return activity(
        connector,
        person,
        kind="invoke",
        name="adaptiveCard/action",
        value=value,
        replyToId=reply_to,
        locale=locale,
    )


async def refresh(
    client: Client, connector: Connector, person: dict[str, str], card: dict[str, Any]
) -> dict[str, Any] | None:
    """Teams shows `card` again (its `refresh`): the card it shows instead, if any."""
    action = card["refresh"]["action"]
    body = card_action(connector, person, action, {}, reply_to=card.get("_id"))
    body["value"]["trigger"] = "automatic"
    answer = await post(client, body)
    assert answer is not None
    return answer["value"] if answer.get("type") == CARD_TYPE else None


CARD_TYPE = "application/vnd.microsoft.card.adaptive"


def answer_all(card: dict[str, Any], *, text: str = "Ett svar") -> dict[str, Any]:
    """Fill in every input the way a chef would: a real choice, some text."""
    values: dict[str, Any] = {}
    for input_id, element in inputs(card).items():
        if element["type"] == "Input.ChoiceSet":
            choices = [c["value"] for c in element.get("choices", [])]
            values[input_id] = (
                choices[-1] if input_id == "confidence" else choices[min(2, len(choices) - 1)]
            )
        elif element["type"] == "Input.Text":
            values[input_id] = f"{text} ({input_id})"
    return values


async def press(
    client: Client,
    connector: Connector,
    person: dict[str, str],
    card: dict[str, Any],
    action: str,
    values: dict[str, Any] | None = None,
    *,
    locale: str = "sv-SE",
    **overrides: Any,
) -> dict[str, Any] | None:
    """The person presses the card's `action` button with `values` typed in (in a Teams that
    says `locale`): what Teams then shows in place of the card (a Universal Action's answer;
    recorded as the connector's `shown_in_place`), if anything."""
    pressed = button(card, action)
    defaults = (
        {}
        if pressed.get("associatedInputs") == "none"
        else {k: str(e["value"]) for k, e in inputs(card).items() if "value" in e}
    )
    body = card_action(
        connector,
        person,
        pressed,
        {**defaults, **(values or {}), **overrides},
        reply_to=card.get("_id"),
        locale=locale,
    )
    return await pressed_in(client, connector, person, card, body)


async def pressed_in(
    client: Client,
    connector: Connector,
    person: dict[str, str],
    card: dict[str, Any],
    body: dict[str, Any],
) -> dict[str, Any] | None:
    """Post the press `body` of `card`: the card Teams shows in its place, if any (recorded
    as the connector's `shown_in_place`)."""
    answer = await post(client, body)
    if answer is None or answer.get("type") != CARD_TYPE:
        return None
    content: dict[str, Any] = answer["value"]
    connector.shown_in_place(person["conv"], card.get("_id") or "", content)
    return content


async def say(
    client: Client,
    connector: Connector,
    person: dict[str, str],
    text: str,
    locale: str = "sv-SE",
) -> None:
    """The person types `text` in their personal chat."""
    await post(client, activity(connector, person, text=text, textFormat="plain", locale=locale))


def now() -> datetime:
    return utcnow()
