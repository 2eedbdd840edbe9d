"""Two programmes in Teams: HR's new round asks which, and HR ends one from its calendar card
(asked first; a chef's press of a forwarded card is refused and on record)."""

from __future__ import annotations

from pathlib import Path

import yaml
from sqlmodel import col, select

from followup.imports.plan import import_plan
from storage.models import AuditEvent, Programme, Round
from tests.cards import assert_valid_cards
from tests.dialogs import test_hr_dialog
from tests.dialogs.checkin_world import KARIN, MARIA, Client, Connector, db_of, inputs
from tests.dialogs.test_hr_dialog import demo, last_card, last_text, press, say, updated
from tests.followup.hr.test_programmes import B_TITLE, PLAN_B

# the HR test world's connector, which also knows the HR admin of the next municipality
connector = test_hr_dialog.connector


async def second_programme(client: Client, org: int, folder: Path) -> int:
    db = db_of(client)
    path = folder / "plan-b.yaml"
    path.write_text(yaml.safe_dump(PLAN_B, allow_unicode=True), encoding="utf-8")
    await import_plan(db, organisation_id=org, path=path)
    async with db.session() as s:
        b = (await s.exec(select(Programme).where(Programme.code == "ledarlyft-ao"))).one()
    assert b.id is not None
    return b.id


async def test_a_new_round_asks_which_programme_when_there_are_two(
    client: Client, connector: Connector, tmp_path: Path
) -> None:
    db = db_of(client)
    org, a = await demo(client, connector)
    await say(client, connector, KARIN, "ny omgång")
    one = last_card(connector, KARIN)
    assert "programme" not in inputs(one)  # one programme: nothing to ask

    b = await second_programme(client, org, tmp_path)
    await say(client, connector, KARIN, "ny omgång")
    form = last_card(connector, KARIN)
    choice = inputs(form)["programme"]
    assert choice["isRequired"] is True and "value" not in choice  # HR chooses, no guess
    assert [c["title"] for c in choice["choices"]] == [
        "Programmet för att stärka enhetscheferna som trygga förändringsledare 2024–2027",
        B_TITLE,
    ]
    assert_valid_cards([one, form])

    deadline = "2099-06-12"
    # a form without the programme (a client that skips the check) makes nothing
    await press(
        client, connector, KARIN, form, "create", {"title": "Ledarlyft 1", "deadline": deadline}
    )
    assert last_text(connector, KARIN).startswith("Omgången är inte skapad.")
    async with db.session() as s:
        assert (await s.exec(select(Round))).all() == []
    await press(
        client,
        connector,
        KARIN,
        form,
        "create",
        {"title": "Ledarlyft 1", "deadline": deadline, "programme": str(b)},
    )
    async with db.session() as s:
        [round_] = (await s.exec(select(Round))).all()
    assert (round_.title, round_.programme_id) == ("Ledarlyft 1", b)
    assert a != b


async def test_hr_ends_a_programme_from_its_calendar_card(
    client: Client, connector: Connector, tmp_path: Path
) -> None:
    db = db_of(client)
    org, a = await demo(client, connector)
    b = await second_programme(client, org, tmp_path)

    await say(client, connector, KARIN, "kalender")
    calendar = last_card(connector, KARIN)  # the last programme's: B
    assert B_TITLE in str(calendar)
    await press(client, connector, KARIN, calendar, "programme_end_form")
    confirm = last_card(connector, KARIN)
    assert f"Avsluta ”{B_TITLE}”?" in str(confirm)
    assert "Avdelningar, chefer och andra program ändras inte." in str(confirm)

    # a chef who got the card forwarded: refused, nothing changes, on record
    await press(client, connector, MARIA, confirm, "programme_end")
    assert "Det här kortet är till för HR i din organisation" in last_text(connector, MARIA)
    async with db.session() as s:
        assert (await s.get(Programme, b)).active is True  # type: ignore[union-attr]

    await press(client, connector, KARIN, confirm, "programme_end")
    outcome = updated(connector)
    assert f"Programmet ”{B_TITLE}” är avslutat." in str(outcome)
    async with db.session() as s:
        active = {p.id: p.active for p in (await s.exec(select(Programme))).all()}
        events = (await s.exec(select(AuditEvent).order_by(col(AuditEvent.id)))).all()
    assert active == {a: True, b: False}
    ends = [
        (e.action, e.detail.get("command"))
        for e in events
        if e.action == "programme.end" or e.detail.get("command") == "programme_end"
    ]
    assert ends == [("hr.refused", "programme_end"), ("programme.end", None)]

    # the old card pressed again: it has ended, and says so
    await press(client, connector, KARIN, confirm, "programme_end")
    assert "är avslutat, så det får inga nya omgångar" in last_text(connector, KARIN)
    assert_valid_cards([calendar, confirm, outcome])
