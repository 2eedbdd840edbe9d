"""The answers per chef in Teams: the command and the digest card's buttons lead to a card per
department with each chef's statuses and comments; a lead sees their own departments only, and
a long department is split over cards that each stay within Teams' size limit."""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import col, select

from dialogs.identified_cards import MAX_CARD_BYTES, department_cards
from followup.digest.identified import ActivityAnswer, ChefAnswers, DepartmentAnswers, Identified
from storage.models import AuditEvent, Department, Role, Round
from storage.role_store import RoleStore
from storage.types import utcnow
from tests.cards import assert_valid_cards, walk
from tests.dialogs.checkin_world import KARIN, MARIA, Client, Connector, db_of, post
from tests.dialogs.test_hr_dialog import demo, from_person, last_card, last_text, say
from tests.followup.digest.test_compile import AO, IFO, LSS, Answer, a_round


def buttons(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The card's department buttons: title → what pressing it sends."""
    return {
        e["title"]: e["data"]
        for e in walk(card)
        if e.get("type") == "Action.Execute" and e["data"].get("action") == "identified"
    }


async def press_data(
    client: Client, connector: Connector, person: dict[str, str], data: dict[str, Any]
) -> None:
    """A button pressed (or its data forged): what Teams sends for a Universal Action."""
    action = {"type": "Action.Execute", "verb": data.get("action"), "data": data}
    value = {"action": action, "trigger": "manual"}
    invoke = from_person(connector, person, kind="invoke", name="adaptiveCard/action", value=value)
    await post(client, invoke)


def runs(card: dict[str, Any]) -> str:
    return "\n".join(e["text"] for e in walk(card) if e.get("type") == "TextRun")


async def answered(client: Client, connector: Connector) -> tuple[int, int]:
    db = db_of(client)
    org, programme = await demo(client, connector)
    round_id = await a_round(
        db,
        org,
        programme,
        "Delår 1",
        20,
        {
            "Maria": Answer(3, status=("done", "Klart i mars")),
            "Leila": Answer(4, status=("delayed", "Vikarier saknas")),
            "Karin": Answer(5, status=("in_progress", "")),
            "Erik": Answer(2, status=("not_started", "")),
        },
    )
    return org, round_id


async def test_hr_chooses_a_department_and_sees_each_chefs_statuses_and_comments(
    client: Client, connector: Connector
) -> None:
    _, round_id = await answered(client, connector)
    await say(client, connector, KARIN, "svar per chef")
    picker = last_card(connector, KARIN)
    assert list(buttons(picker)) == [LSS, IFO, AO]  # the departments with answers
    await press_data(client, connector, KARIN, buttons(picker)[IFO])
    ifo = last_card(connector, KARIN)
    shown = runs(ifo)
    assert f"Svar per chef – {IFO}" in shown and "2 enhetschefer har svarat" in shown
    assert "Leila Haddad" in shown and "Försenad" in shown and "Vikarier saknas" in shown
    assert "Maria Åkesson" in shown and "Genomförd" in shown and "Klart i mars" in shown
    assert "Karin" not in shown  # ÄO's
    # one Container per chef, for a phone
    assert [
        c["items"][0]["inlines"][0]["text"] for c in walk(ifo) if c.get("type") == "Container"
    ] == [
        "Leila Haddad",
        "Maria Åkesson",
    ]

    # from the digest card: a button per department
    await say(client, connector, KARIN, f"sammanställning {round_id}")
    digest = last_card(connector, KARIN)
    assert list(buttons(digest)) == [LSS, IFO, AO]
    await press_data(client, connector, KARIN, buttons(digest)[AO])
    ao = last_card(connector, KARIN)
    assert "Karin Sjöberg" in runs(ao) and "Pågår" in runs(ao) and "Leila" not in runs(ao)
    assert_valid_cards([picker, ifo, digest, ao])

    async with db_of(client).session() as s:
        events = (await s.exec(select(AuditEvent).order_by(col(AuditEvent.id)))).all()
        ids = {d.name: d.id for d in (await s.exec(select(Department))).all()}
    reads = [
        (e.action, e.round_id, e.detail.get("department"))
        for e in events
        if "identified" in e.action
    ]
    assert reads == [
        ("digest.identified.view", round_id, None),
        ("digest.identified.view", round_id, ids[IFO]),
        ("digest.identified.view", round_id, ids[AO]),
    ]


async def test_a_lead_sees_their_department_and_is_refused_another(
    client: Client, connector: Connector
) -> None:
    db = db_of(client)
    org, round_id = await answered(client, connector)
    async with db.session() as s:
        ids = {d.name: d.id for d in (await s.exec(select(Department))).all()}
    await RoleStore(db).grant(
        organisation_id=org,
        principal=MARIA["upn"],
        role=Role.DEPARTMENT_LEAD,
        department_id=ids[IFO],
        created_by="test",
        now=utcnow(),
    )
    await say(client, connector, MARIA, "svar per chef")
    card = last_card(connector, MARIA)  # one department: its card straight away
    assert "Leila Haddad" in runs(card) and "Karin" not in runs(card)

    forged = {"ledarpuls": "hr", "action": "identified", "round": round_id, "department": ids[AO]}
    sent = len(connector.activities)
    await press_data(client, connector, MARIA, forged)
    assert last_text(connector, MARIA) == (
        "Du kan bara se svar från dina egna avdelningar, så jag har inte visat något."
    )
    assert len(connector.activities) == sent + 1 and "Karin" not in str(connector.activities[-1])
    await say(client, connector, MARIA, "hjälp")
    assert "**svar per chef**" in last_text(connector, MARIA)


async def test_in_english_and_for_a_round_that_keeps_its_statuses_confidential(
    client: Client, connector: Connector
) -> None:
    db = db_of(client)
    org, programme = await demo(client, connector)
    await say(client, connector, KARIN, "language english")
    await say(client, connector, KARIN, "answers per manager", locale="en-GB")
    assert last_text(connector, KARIN).startswith("There is no open round")  # nothing yet
    confidential = {"activity_status": "confidential", "confidence": "confidential"}
    round_id = await a_round(
        db,
        org,
        programme,
        "Delår 1",
        20,
        {"Maria": Answer(3, status=("done", "Hemligt"))},
        confidential,
    )
    await say(client, connector, KARIN, f"answers per manager {round_id}", locale="en-GB")
    assert last_text(connector, KARIN) == (
        "In the round Delår 1 the activity statuses are not given with names, so there are no"
        " answers per manager to show."
    )
    await say(client, connector, KARIN, f"sammanställning {round_id}")
    assert buttons(last_card(connector, KARIN)) == {}
    async with db.session() as s:
        assert (await s.get(Round, round_id)) is not None


def test_a_long_department_is_split_over_cards_within_teams_limit() -> None:
    comment = "Vi väntar på lokaler och vikarier – " * 27  # near the 1,000 characters allowed
    chefs = tuple(
        ChefAnswers(
            f"Chef {n:02d}",
            tuple(
                ActivityAnswer(f"A{i:02d}", f"Aktivitet {i}", "delayed", comment) for i in range(12)
            ),
        )
        for n in range(8)
    )
    department = DepartmentAnswers(1, IFO, chefs)
    round_ = Round(
        id=7,
        organisation_id=1,
        programme_id=1,
        title="Delår 1",
        state="open",
        deadline=utcnow(),
        reminder_offsets=[],
        reminder_cap=0,
        sections={"activity_status": "identified"},
        k=3,
    )
    cards = department_cards(Identified(round_, [department], {1: IFO}), department, "sv")
    assert len(cards) > 3
    for number, card in enumerate(cards, start=1):
        assert len(json.dumps(card).encode()) <= MAX_CARD_BYTES
        assert f"Del {number} av {len(cards)}" in runs(card)
    # every chef's every activity, once, in order
    lines = [
        e["inlines"][0]["text"]
        for c in cards
        for e in walk(c)
        if e.get("type") == "RichTextBlock" and len(e["inlines"]) == 3
    ]
    assert lines == [f"A{i:02d} Aktivitet {i}" for _ in range(8) for i in range(12)]
    assert_valid_cards(cards[:2])
