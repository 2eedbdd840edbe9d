"""HR in Teams: rounds made, opened, followed, reminded, extended and closed from cards (the
whole of it also through the real endpoint, downloads included); every HR command and card
refused for a chef and for another organisation."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlmodel import col, select

from dialogs.formatting import local
from followup.policy import Policy
from followup.rounds.lifecycle import chosen_departments, create_round, open_round
from followup.rounds.progress import set_on_leave
from followup.rounds.workdays import working_day_from
from storage.database import Database
from storage.models import (
    AuditEvent,
    Chef,
    Department,
    HrRole,
    Invitation,
    OutboxMessage,
    Programme,
    Role,
    Round,
)
from storage.organisation_store import OrganisationStore
from storage.role_store import RoleStore
from storage.types import utcnow
from tests.cards import assert_valid_cards
from tests.dialogs.checkin_world import (
    KARIN,
    MARIA,
    Client,
    Connector,
    activity,
    add_person,
    button,
    card_action,
    cards_to,
    db_of,
    deliver_outbox,
    inputs,
    install,
    open_a_round,
    organisation,
    post,
    pressed_in,
    submit_data,
    texts_to,
)
from tests.dialogs.conftest import at_work
from tests.dialogs.downloads import digest_buttons, download_buttons, fresh_link, path_of
from tests.dialogs.test_check_in_dialog import answer_steps

OTHER_TENANT = "0f0e0d0c-0b0a-4909-8807-060504030201"
# HR admin of another municipality, which has its own Ledarpuls organisation
OUTSIDER = {
    "id": "29:olle",
    "aadObjectId": "0f0e0d0c-0000-4000-8000-00000000000a",
    "upn": "olle.hr@grannkommun.se",
    "name": "Olle Grann",
    "conv": "a:olle",
}
JOHAN = "johan.lindqvist@demo.ledarpuls.se"


@pytest.fixture
def app_clock() -> Callable[[], datetime]:
    """HR's "påminn" sends at once in working hours (outside them it asks first): these
    tests run the app at work, whatever the hour they run at."""
    return at_work


@pytest.fixture
def connector(world: tuple[Client, Connector]) -> Connector:
    """The world's connector, where the outsider from another municipality is known too."""
    fake = world[1]
    add_person(fake, OUTSIDER, tenant_id=OTHER_TENANT)
    return fake


def from_person(connector: Connector, person: dict[str, str], **extra: Any) -> dict[str, Any]:
    body = activity(connector, person, **extra)
    if person is OUTSIDER:
        body["conversation"]["tenantId"] = OTHER_TENANT
        body["channelData"] = {"tenant": {"id": OTHER_TENANT}}
    return body


async def say(
    client: Client,
    connector: Connector,
    person: dict[str, str],
    text: str,
    locale: str = "sv-SE",
) -> None:
    await post(client, from_person(connector, person, text=text, textFormat="plain", locale=locale))


async def press(
    client: Client,
    connector: Connector,
    person: dict[str, str],
    card: dict[str, Any],
    action: str,
    values: dict[str, Any] | None = None,
) -> dict[str, Any] | None:
    """The person presses the card's button for `action` (a Universal Action, or Action.Submit
    on an old card): the card Teams then shows in its place, if any (recorded, see
    `checkin_world.press`)."""
    # as Teams does: every input's value (its default unless filled in) beside the data
    defaults = {k: str(e["value"]) for k, e in inputs(card).items() if "value" in e}
    body = card_action(
        connector,
        person,
        button(card, action),
        {**defaults, **(values or {})},
        reply_to=card.get("_id"),
    )
    if person is OUTSIDER:
        body["conversation"]["tenantId"] = OTHER_TENANT
        body["channelData"] = {"tenant": {"id": OTHER_TENANT}}
    return await pressed_in(client, connector, person, card, body)


def last_card(connector: Connector, person: dict[str, str]) -> dict[str, Any]:
    return cards_to(connector, person)[-1]


def last_sent_card(connector: Connector, person: dict[str, str]) -> dict[str, Any]:
    """The last card that came as a message of its own (not in place of a pressed one)."""
    sent = [
        {**a["attachments"][0]["content"], "_id": a["_id"]}
        for a in connector.activities
        if a["_conversation"] == person["conv"] and a.get("attachments") and not a.get("_in_place")
    ]
    return sent[-1]


def last_text(connector: Connector, person: dict[str, str]) -> str:
    return texts_to(connector, person)[-1]


def updated(connector: Connector) -> dict[str, Any]:
    """The card last shown in place of a pressed one."""
    [*_, last] = [a for a in connector.activities if a.get("_in_place")]
    content: dict[str, Any] = last["attachments"][0]["content"]
    return content


async def make_ifo_lead(db: Database, org: int, person: dict[str, str]) -> None:
    """The person (by their UPN) leads the demo's IFO department."""
    async with db.session() as s:
        ifo = (await s.exec(select(Department).where(Department.code == "IFO"))).one()
    await RoleStore(db).grant(
        organisation_id=org,
        principal=person["upn"],
        role=Role.DEPARTMENT_LEAD,
        department_id=ifo.id,
        created_by="test",
        now=utcnow(),
    )


async def demo(client: Client, connector: Connector) -> tuple[int, int]:
    """The demo organisation with Karin as HR admin, Karin and Maria installed, nobody on leave
    but Johan; and the outsider's own organisation where he is HR admin."""
    db = db_of(client)
    org, programme = await organisation(db)
    now = utcnow()
    await RoleStore(db).grant(
        organisation_id=org,
        principal=KARIN["aadObjectId"],
        role=Role.HR_ADMIN,
        created_by="test",
        now=now,
    )
    other = await OrganisationStore(db).create(
        tenant_id=OTHER_TENANT, name="Grannkommunen", default_k=Policy().k
    )
    assert other.id is not None
    await RoleStore(db).grant(
        organisation_id=other.id,
        principal=OUTSIDER["upn"],
        role=Role.HR_ADMIN,
        created_by="test",
        now=now,
    )
    # the demo's leave ends on a fixed day; keep Johan away for as long as the test runs
    await set_on_leave(
        db,
        organisation_id=org,
        upn=JOHAN,
        until=local(now, zone=Policy().zone).date() + timedelta(days=60),
        now=now,
        policy=Policy(),
    )
    for person in (KARIN, MARIA):
        await install(client, connector, person)
    return org, programme


async def audit_actions(db: Database) -> list[tuple[str, str, int | None]]:
    async with db.session() as s:
        events = (await s.exec(select(AuditEvent).order_by(col(AuditEvent.id)))).all()
    return [(e.actor, e.action, e.round_id) for e in events]


async def rounds(db: Database) -> list[Round]:
    async with db.session() as s:
        return list((await s.exec(select(Round).order_by(col(Round.id)))).all())


@pytest.mark.parametrize("world", ["endpoint"], indirect=True)  # downloads the digest too
async def test_hr_creates_opens_follows_reminds_and_closes_a_round_in_teams(
    client: Client, connector: Connector
) -> None:
    db = db_of(client)
    await demo(client, connector)

    await say(client, connector, KARIN, "ny omgång")
    form = last_card(connector, KARIN)
    assert set(inputs(form)) >= {"title", "departments", "opens", "deadline", "reminders", "k"}
    assert "11 chefer nås i dag och 1 är frånvarande" in str(form)  # the preview of its reach
    assert "Äldreomsorg (3 chefer)" in str(form)
    deadline = (local(utcnow(), zone=Policy().zone).date() + timedelta(days=14)).isoformat()
    await press(
        client,
        connector,
        KARIN,
        form,
        "create",
        {"title": "Delår 2 2026", "deadline": deadline, "reminders": "7, 2", "k": "3"},
    )
    [round_] = await rounds(db)
    assert (round_.title, round_.state, round_.created_by) == (
        "Delår 2 2026",
        "draft",
        KARIN["upn"],
    )
    # the form became the round, so it cannot be sent twice
    created = {**updated(connector), "_id": form["_id"]}
    assert last_card(connector, KARIN)["_id"] == form["_id"]
    assert "Når 11 chefer" in str(created) and "Johan Lindqvist" in str(created)
    assert "Öppna nu" in str(created)

    # Öppna nu: the round's card, in its place, is the open round's
    opened = await press(client, connector, KARIN, created, "open")
    assert opened is not None and last_card(connector, KARIN)["_id"] == form["_id"]
    assert "11 chefer får en inbjudan nu, 1 är frånvarande" in str(opened)
    assert "Öppna nu" not in str(opened) and "Hoppa över" not in str(opened)
    assert "Påminn" in str(opened) and "Stäng" in str(opened) and "öppen" in str(opened)
    await deliver_outbox(client)
    assert any("Starta" in str(c) for c in cards_to(connector, MARIA))

    summary = await answer_steps(client, connector, MARIA)
    await post(
        client,
        activity(connector, MARIA, value=submit_data(summary, "submit"), replyToId=summary["_id"]),
    )

    await say(client, connector, KARIN, "status")
    status = last_card(connector, KARIN)
    assert "1 av 11 har svarat (9 %)" in str(status)
    assert "Har inte skickat in (10)" in str(status)
    assert "Maria Åkesson" not in str(status) and "Mikael Björk" in str(status)
    assert "har inte installerat appen" in str(status)  # the nine who never installed it

    await say(client, connector, KARIN, "påminn")
    # only Karin can be reached and has not answered; the other nine never installed the app
    assert last_text(connector, KARIN).startswith("1 påminnelse skickas nu.")
    async with db.session() as s:
        reminders = (
            await s.exec(select(OutboxMessage).where(OutboxMessage.kind == "reminder"))
        ).all()
    assert [m.chef_id for m in reminders] == [await chef_id(db, KARIN["upn"])]

    await say(client, connector, KARIN, "stäng")
    confirm = last_card(connector, KARIN)
    assert "Stänga Delår 2 2026?" in str(confirm) and "1 av 11 har skickat in" in str(confirm)
    closed = await press(client, connector, KARIN, confirm, "close")
    assert closed is not None and "stängd" in str(closed)  # the question became the status
    assert last_text(connector, KARIN) == "Omgången är stängd."
    assert (await rounds(db))[0].state == "closed"
    # closing compiled the digest and handed it to Karin, with a button per file
    digest = last_sent_card(connector, KARIN)
    assert "I omgången Delår 2 2026 svarade 1 av 11 enhetschefer (9 %)." in str(digest)
    assert download_buttons(digest) == digest_buttons()
    path = path_of(await fresh_link(client, connector, KARIN, digest, "xlsx"))[1:]
    download = await client.get("/" + path)
    assert download.status == 200 and (await download.read())[:2] == b"PK"
    assert "attachment" in download.headers["Content-Disposition"]
    forged = await client.get("/" + path[:-4] + "AAAA")
    assert forged.status == 404
    await press(client, connector, KARIN, confirm, "close")  # the old card, pressed again
    assert last_text(connector, KARIN) == "Omgången är redan stängd."

    actions = [(actor, action) for actor, action, _ in await audit_actions(db)]
    for action in (
        "round.create",
        "round.open",
        "round.status",
        "round.remind",
        "round.close",
        "digest.view",
    ):
        assert (KARIN["upn"], action) in actions
    assert ("karin.sjoberg@demo.ledarpuls.se", "digest.download") in actions
    # the workbook names who answered what: that read is on record of its own
    assert ("karin.sjoberg@demo.ledarpuls.se", "digest.identified.export") in actions
    assert_valid_cards([form, created, opened, status, confirm, closed, digest])


async def chef_id(db: Database, upn: str) -> int:
    async with db.session() as s:
        chef = (await s.exec(select(Chef).where(Chef.upn == upn))).one()
    assert chef.id is not None
    return chef.id


# every typed HR command, and every action on HR's cards
HR_WORDS = [
    "ny omgång",
    "omgångar",
    "status",
    "påminn",
    "förläng",
    "stäng",
    "frånvarande",
    "lägg till hr",
    "sammanställning",
    "svar per chef",
    "kalender",
    "analys",
]
HR_ACTIONS = [
    "create",
    "open",
    "status",
    "remind",
    "extend_form",
    "extend",
    "close_form",
    "close",
    "leave",
    "add_hr",
    "digest",
    "identified",
    "skip",
    "change_form",
    "change",
    "calendar",
    "analysis_form",
    "analysis",
]


async def hr_cards(
    client: Client, connector: Connector, round_id: int
) -> dict[str, dict[str, Any]]:
    """Every HR card, as Karin got them, by the action each button does."""
    cards: dict[str, dict[str, Any]] = {}
    for word in ("ny omgång", "frånvarande", "lägg till hr", "förläng", "stäng", "status"):
        await say(client, connector, KARIN, f"{word} {round_id}" if word != "ny omgång" else word)
        card = last_card(connector, KARIN)
        for element in str(card).split("'action': '")[1:]:
            cards.setdefault(element.split("'")[0], card)
    # closed rounds carry it; a forger needs no card at all, only its data
    cards["digest"] = {
        "actions": [
            {
                "type": "Action.Submit",
                "data": {"ledarpuls": "hr", "action": "digest", "round": round_id, "lang": "sv"},
            }
        ]
    }
    cards["analysis_form"] = {
        "actions": [
            {
                "type": "Action.Submit",
                "data": {"ledarpuls": "hr", "action": "analysis_form", "round": round_id},
            }
        ]
    }
    await say(client, connector, KARIN, f"analys {round_id}")  # an open round's may be begun
    cards["analysis"] = last_card(connector, KARIN)
    cards["identified"] = {
        "actions": [
            {
                "type": "Action.Submit",
                "data": {
                    "ledarpuls": "hr",
                    "action": "identified",
                    "round": round_id,
                    "department": 1,
                    "lang": "sv",
                },
            }
        ]
    }
    # a draft, for its Open now
    deadline = (local(utcnow(), zone=Policy().zone).date() + timedelta(days=30)).isoformat()
    await press(
        client,
        connector,
        KARIN,
        cards["create"],
        "create",
        {"title": "Utkast", "deadline": deadline},
    )
    cards["open"] = cards["skip"] = cards["change_form"] = updated(connector)
    await press(client, connector, KARIN, cards["open"], "change_form")  # in its place
    cards["change"] = last_card(connector, KARIN)
    await say(client, connector, KARIN, "kalender")
    cards["calendar"] = last_card(connector, KARIN)
    return cards


def filled(action: str, chef: int, department: int) -> dict[str, Any]:
    """What a forger would fill in: valid values for the card's inputs."""
    deadline = (local(utcnow(), zone=Policy().zone).date() + timedelta(days=40)).isoformat()
    return {
        "create": {"title": "Smygrunda", "deadline": deadline},
        "extend": {"deadline": deadline},
        "change": {"deadline": deadline, "opens": ""},
        "calendar": {"opens": "05-02", "answer_days": "9"},
        "leave": {"chef": str(chef), "until": deadline},
        "add_hr": {"principal": "smyg@example.se", "role": f"lead:{department}"},
        "analysis": {"analysis": "Smygtext", "next_steps": "Smygsteg"},
    }.get(action, {})


async def state_of(db: Database) -> tuple[Any, ...]:
    """Everything an HR action could change."""
    async with db.session() as s:
        return (
            [
                (r.id, r.state, r.deadline, r.title, r.analysis, r.next_steps)
                for r in (await s.exec(select(Round))).all()
            ],
            len((await s.exec(select(Invitation))).all()),
            len((await s.exec(select(OutboxMessage))).all()),
            [(c.id, c.on_leave_until) for c in (await s.exec(select(Chef))).all()],
            len((await s.exec(select(HrRole))).all()),
            [(p.round_opens, p.answer_days) for p in (await s.exec(select(Programme))).all()],
        )


@pytest.mark.parametrize("who", ["chef", "outsider"])
async def test_every_hr_command_and_card_is_refused_for_a_chef_and_another_organisation(
    client: Client, connector: Connector, who: str
) -> None:
    db = db_of(client)
    org, programme = await demo(client, connector)
    person = MARIA if who == "chef" else OUTSIDER
    round_id = await open_a_round(db, org, programme)
    cards = await hr_cards(client, connector, round_id)
    assert set(HR_ACTIONS) <= set(cards)
    async with db.session() as s:
        department = (await s.exec(select(Department))).first()
    assert department is not None and department.id is not None
    maria = await chef_id(db, MARIA["upn"])
    before = await state_of(db)
    sent = len(connector.activities)

    for word in HR_WORDS:
        await say(client, connector, person, word)
        if who == "chef":
            assert last_text(connector, person).startswith("Det här kan bara HR")
    for action in HR_ACTIONS:
        # the card forwarded (or its data copied) to someone who is not HR here
        await press(
            client, connector, person, cards[action], action, filled(action, maria, department.id)
        )
        if who == "chef":
            assert last_text(connector, person).startswith("Det här kortet är till för HR")

    assert await state_of(db) == before  # nothing changed in Karin's organisation
    assert all(a["_conversation"] == person["conv"] for a in connector.activities[sent:])
    replies = " ".join(texts_to(connector, person) + [str(c) for c in cards_to(connector, person)])
    assert "Delår 1" not in replies and "Mikael Björk" not in replies  # nothing of Karin's
    events = [e for e in await audit_actions(db) if e[0] == person["upn"]]
    if who == "chef":
        # each refusal is on record, so a forwarded card is visible to whoever reads the log
        assert [action for _, action, _ in events] == ["hr.refused"] * (
            len(HR_WORDS) + len(HR_ACTIONS)
        )
    else:
        # an HR admin elsewhere: nothing they did touched Karin's round
        assert events and all(rid is None for _, _, rid in events)


@pytest.mark.parametrize("world", ["endpoint"], indirect=True)  # downloads the digest too
async def test_a_department_lead_follows_only_their_departments(
    client: Client, connector: Connector
) -> None:
    db = db_of(client)
    org, programme = await demo(client, connector)
    await make_ifo_lead(db, org, MARIA)
    await open_a_round(db, org, programme)

    await say(client, connector, MARIA, "status")
    status = last_card(connector, MARIA)
    assert "Individ- och familjeomsorg" in str(status) and "Äldreomsorg" not in str(status)
    assert "0 av 2 har svarat" in str(status)  # Johan is on leave
    assert "Leila Haddad" in str(status) and "Karin Sjöberg" not in str(status)
    assert "actions" not in status  # no reminding or closing from a lead's card
    await say(client, connector, MARIA, "påminn")
    assert last_text(connector, MARIA).startswith("Det här kan bara HR")
    await say(client, connector, MARIA, "sammanställning")
    digest = last_card(connector, MARIA)  # her departments' only, downloads included
    assert "svarade 0 av 2 enhetschefer" in str(digest)  # IFO's three, but Johan on leave
    download = await client.get(path_of(await fresh_link(client, connector, MARIA, digest, "md")))
    text = (await download.read()).decode()
    assert "Individ- och familjeomsorg" in text and "Äldreomsorg" not in text
    await say(client, connector, MARIA, "hjälp")
    assert "Som avdelningschef" in last_text(connector, MARIA)
    assert_valid_cards([status, digest])


async def test_the_new_round_form_is_read_strictly_and_changes_nothing_when_wrong(
    client: Client, connector: Connector
) -> None:
    db = db_of(client)
    await demo(client, connector)
    await say(client, connector, KARIN, "ny omgång")
    form = last_card(connector, KARIN)

    await press(
        client,
        connector,
        KARIN,
        form,
        "create",
        {
            "title": "  ",
            "deadline": "31/12",
            "reminders": "sju",
            "k": "tre",
            "departments": "999",
            "section_confidence": "public",
        },
    )
    errors = last_text(connector, KARIN)
    assert errors.startswith("Omgången är inte skapad")
    for words in (
        "Titel måste fyllas i",
        "Sista dag: ”31/12” är inget datum",
        "Påminnelser ska vara heltal",
        "Minsta gruppstorlek ska vara ett heltal",
        "Avdelningar: välj något av alternativen",
        "Trygghet i rollen: välj något av alternativen",
    ):
        assert words in errors
    deadline = (local(utcnow(), zone=Policy().zone).date() + timedelta(days=14)).isoformat()
    every_section_left_out = {
        f"section_{s}": "skip"
        for s in ("activity_status", "strengths_needs", "principles", "confidence")
    }
    await press(
        client,
        connector,
        KARIN,
        form,
        "create",
        {"title": "X", "deadline": deadline, **every_section_left_out},
    )
    assert last_text(connector, KARIN) == "Omgången behöver minst ett avsnitt."
    await press(
        client, connector, KARIN, form, "create", {"title": "X", "deadline": deadline, "k": "1"}
    )
    assert last_text(connector, KARIN).startswith("k måste vara mellan 2 och 50")
    assert await rounds(db) == []

    await press(
        client, connector, KARIN, form, "create", {"title": "Delår 2", "deadline": deadline}
    )
    await press(
        client, connector, KARIN, form, "create", {"title": "delår 2", "deadline": deadline}
    )
    assert last_text(connector, KARIN).startswith("Det finns redan en omgång som heter")
    assert len(await rounds(db)) == 1  # a double press does not make two rounds


async def test_extending_leave_and_a_new_hr_admin_from_cards(
    client: Client, connector: Connector
) -> None:
    db = db_of(client)
    org, programme = await demo(client, connector)
    round_id = await open_a_round(db, org, programme)
    [before] = await rounds(db)

    await say(client, connector, KARIN, "förläng")
    extend = last_card(connector, KARIN)
    # a week later, on a working day (what day that is depends on the day the test runs)
    week_later = local(before.deadline, zone=Policy().zone).date() + timedelta(days=7)
    new_day = working_day_from(week_later).isoformat()
    assert inputs(extend)["deadline"]["value"] == new_day
    await press(client, connector, KARIN, extend, "extend", {"deadline": new_day})
    [after] = await rounds(db)
    assert local(after.deadline, zone=Policy().zone).date().isoformat() == new_day
    assert "Påminnelserna flyttas med" in str(updated(connector))
    await press(client, connector, KARIN, extend, "extend", {"deadline": "2020-01-01"})
    assert last_text(connector, KARIN).startswith("Den nya sista dagen måste komma efter")

    await say(client, connector, KARIN, "frånvarande")
    leave = last_card(connector, KARIN)
    assert "Johan Lindqvist, till och med" in str(leave)
    maria = await chef_id(db, MARIA["upn"])
    until = (local(utcnow(), zone=Policy().zone).date() + timedelta(days=30)).isoformat()
    await press(client, connector, KARIN, leave, "leave", {"chef": str(maria), "until": until})
    assert last_text(connector, KARIN).startswith("Maria Åkesson är frånvarande till och med")
    await press(client, connector, KARIN, leave, "leave", {"chef": str(maria)})
    assert last_text(connector, KARIN) == "Maria Åkesson är inte längre frånvarande."

    await say(client, connector, KARIN, "lägg till hr")
    add = last_card(connector, KARIN)
    await press(client, connector, KARIN, add, "add_hr", {"principal": "inte en adress"})
    assert "Skriv en e-postadress (UPN) eller ett objekt-id" in last_text(connector, KARIN)
    await press(
        client, connector, KARIN, add, "add_hr", {"principal": "Eva.Lindgren@demo.ledarpuls.se"}
    )
    assert last_text(connector, KARIN) == "eva.lindgren@demo.ledarpuls.se är nu HR-administratör."
    roles = await RoleStore(db).roles_of(
        organisation_id=org, aad_object_id=None, upn="eva.lindgren@demo.ledarpuls.se"
    )
    assert [r.role for r in roles] == ["hr_admin"]

    actions = [
        (action, rid) for actor, action, rid in await audit_actions(db) if actor == KARIN["upn"]
    ]
    assert ("round.extend", round_id) in actions
    assert [a for a, _ in actions].count("chef.on_leave") == 2 and ("hr.add", None) in actions
    assert_valid_cards([extend, leave, add, updated(connector)])


async def test_the_rounds_list_unknown_numbers_help_and_english(
    client: Client, connector: Connector
) -> None:
    db = db_of(client)
    org, programme = await demo(client, connector)
    await open_a_round(db, org, programme, title="Delår 1")
    await say(client, connector, KARIN, "omgångar")
    listing = last_card(connector, KARIN)
    assert "Delår 1" in str(listing) and "öppen · 0 % har svarat" in str(listing)
    await say(client, connector, KARIN, "status 999")
    assert last_text(connector, KARIN) == "Omgång 999 finns inte."
    await say(client, connector, KARIN, "hjälp")
    assert "**ny omgång**" in last_text(connector, KARIN)
    await say(client, connector, MARIA, "hjälp")
    assert "ny omgång" not in last_text(connector, MARIA)
    await say(client, connector, KARIN, "language english")
    await say(client, connector, KARIN, "rounds", locale="en-GB")
    english = last_card(connector, KARIN)
    assert "Rounds" in str(english) and "open · 0 % answered" in str(english)
    await say(client, connector, KARIN, "new round", locale="en-GB")
    assert_valid_cards([listing, english, last_card(connector, KARIN)])


def hr_button(action: str, round_id: int) -> dict[str, Any]:
    """A card with one of HR's buttons for a round, as the heads-up and the round card have."""
    data = {"ledarpuls": "hr", "action": action, "round": round_id, "lang": "sv"}
    return {"actions": [{"type": "Action.Submit", "data": data}]}


async def test_hr_moves_a_planned_round_and_changes_its_audience(
    client: Client, connector: Connector
) -> None:
    db = db_of(client)
    org, programme = await demo(client, connector)
    today = local(utcnow(), zone=Policy().zone).date()
    round_ = await create_round(
        db,
        organisation_id=org,
        programme_id=programme,
        title="Uppföljning hösten",
        opens_at=Policy().opening(today + timedelta(days=7)),
        deadline=Policy().last_moment(today + timedelta(days=28)),
        now=utcnow(),
        created_by="calendar",
        policy=Policy(),
    )
    assert round_.id is not None
    async with db.session() as s:
        elderly = (await s.exec(select(Department).where(Department.name == "Äldreomsorg"))).one()

    await press(client, connector, KARIN, hr_button("change_form", round_.id), "change_form")
    form = last_card(connector, KARIN)
    assert inputs(form)["opens"]["value"] == (today + timedelta(days=7)).isoformat()
    assert inputs(form)["deadline"]["value"] == (today + timedelta(days=28)).isoformat()
    assert "value" not in inputs(form)["departments"]  # everyone

    await press(client, connector, KARIN, form, "change", {"opens": "2020-01-01"})
    assert "Dagen att öppna har redan passerat" in last_text(connector, KARIN)
    await press(
        client,
        connector,
        KARIN,
        form,
        "change",
        {"opens": (today + timedelta(days=20)).isoformat(), "deadline": today.isoformat()},
    )
    assert last_text(connector, KARIN) == "Sista dagen måste komma efter att omgången öppnar."
    await press(client, connector, KARIN, form, "change", {"departments": "99999"})
    assert "Avdelningar: välj något av alternativen." in last_text(connector, KARIN)
    [unchanged] = await rounds(db)
    assert (unchanged.opens_at, unchanged.audience_all) == (round_.opens_at, True)

    opens, deadline = today + timedelta(days=10), today + timedelta(days=40)
    await press(
        client,
        connector,
        KARIN,
        form,
        "change",
        {
            "opens": opens.isoformat(),
            "deadline": deadline.isoformat(),
            "departments": str(elderly.id),
        },
    )
    [changed] = await rounds(db)
    assert (
        changed.opens_at is not None and local(changed.opens_at, zone=Policy().zone).date() == opens
    )
    assert (
        local(changed.deadline, zone=Policy().zone).date() == deadline
        and changed.state == "scheduled"
    )
    assert await chosen_departments(db, round_=changed) == [elderly.id]
    card = updated(connector)  # the form became the round as it is now
    assert "Ändringarna är sparade" in str(card) and "Äldreomsorg" in str(card)
    assert "Når 3 chefer" in str(card)

    # an open round keeps its opening day: its last day moves with "förläng"
    await open_round(db, round_id=round_.id, now=utcnow() + timedelta(days=10), policy=Policy())
    await press(client, connector, KARIN, form, "change", {"opens": opens.isoformat()})
    assert last_text(connector, KARIN).startswith("Omgången har redan öppnat (den är öppen)")
    assert ("round.change", round_.id) in [(a, r) for _, a, r in await audit_actions(db)]
    assert_valid_cards([form, card])


async def test_hr_changes_the_programme_calendar_in_teams(
    client: Client, connector: Connector
) -> None:
    db = db_of(client)
    _, programme = await demo(client, connector)

    await say(client, connector, KARIN, "kalender")
    calendar = last_card(connector, KARIN)
    assert "15 april, 15 oktober" in str(calendar) and "21 dagar på sig" in str(calendar)
    assert inputs(calendar)["opens"]["value"] == "04-15, 10-15"

    await press(client, connector, KARIN, calendar, "calendar", {"opens": "04-15, 05-01"})
    assert "högst en dag på våren" in last_text(connector, KARIN)
    await press(client, connector, KARIN, calendar, "calendar", {"opens": "13-01"})
    assert "”13-01” är ingen dag" in last_text(connector, KARIN)
    await press(client, connector, KARIN, calendar, "calendar", {"answer_days": "400"})
    assert "Dagar att svara ska vara mellan 1 och 120." in last_text(connector, KARIN)
    async with db.session() as s:
        unchanged = await s.get(Programme, programme)
    assert unchanged is not None and unchanged.round_opens == ["04-15", "10-15"]

    await press(
        client, connector, KARIN, calendar, "calendar", {"opens": "5-2, 10-1", "answer_days": "14"}
    )
    assert last_text(connector, KARIN).startswith(
        "Kalendern är sparad: omgångarna öppnar 2 maj, 1 oktober och cheferna har 14 dagar"
    )
    async with db.session() as s:
        saved = await s.get(Programme, programme)
    assert saved is not None and (saved.round_opens, saved.answer_days) == (["05-02", "10-01"], 14)
    assert "programme.calendar" in [a for _, a, _ in await audit_actions(db)]

    await say(client, connector, KARIN, "language english")
    await say(client, connector, KARIN, "calendar")
    english = last_card(connector, KARIN)
    assert "2 May, 1 October" in str(english)
    assert_valid_cards([calendar, english])
