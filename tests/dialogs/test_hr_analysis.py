"""HR writes a round's analysis and next steps for the board's report in Teams: Skriv analys on
a closed round's card brings the form in its place (each text's limit in its label), Spara keeps
the texts with the round (a new app reads them back, the command line too) and says what
changed; a lead or a chef is refused, an over-long text is refused whole with its length and
nothing is written, a stale form never overwrites another HR admin's text, and rounds that
never opened or whose answers retention cleared cannot be written."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import col, select

from bot.cli import run
from bot.settings import Settings
from dialogs.formatting import number
from followup.policy import Policy
from followup.rounds.lifecycle import close_round, create_round, open_round
from storage.database import Database
from storage.models import AuditEvent, Round
from storage.round_store import RoundStore
from storage.types import utcnow
from tests.cards import assert_valid_cards
from tests.conftest import PATIENT
from tests.dialogs import test_hr_dialog
from tests.dialogs.checkin_world import (
    KARIN,
    MARIA,
    TENANT,
    Client,
    Connector,
    db_of,
    inputs,
    install,
    open_a_round,
)
from tests.dialogs.test_fronts_agree import CLI_TENANT, world
from tests.dialogs.test_hr_cards_in_place import buttons
from tests.dialogs.test_hr_dialog import (
    OUTSIDER,
    demo,
    last_card,
    last_text,
    make_ifo_lead,
    press,
    say,
)

connector = test_hr_dialog.connector

ANALYSIS = (
    "Svarsfrekvensen steg från 71 till 84 procent.\r\n\r\n"
    "Tryggheten i rollen ökade i Individ- och familjeomsorgen men inte i Äldreomsorgen."
)
NEXT_STEPS = "Ett nätverk för enhetschefer i äldreomsorgen startar i januari; HR följer upp i maj."


async def closed_round(db: Database, org: int, programme: int) -> int:
    round_id = await open_a_round(db, org, programme)
    await close_round(db, round_id=round_id, now=utcnow())
    return round_id


async def kept(db: Database, round_id: int) -> Round:
    round_ = await RoundStore(db).get(round_id)
    assert round_ is not None
    return round_


async def events(db: Database, action: str) -> list[AuditEvent]:
    async with db.session() as s:
        found = await s.exec(
            select(AuditEvent).where(AuditEvent.action == action).order_by(col(AuditEvent.id))
        )
        return list(found.all())


async def texts_on_record(db: Database) -> str:
    """Everything the audit log holds, as one text: HR's words must never be in it."""
    async with db.session() as s:
        return " ".join(str(e.detail) for e in (await s.exec(select(AuditEvent))).all())


async def cli(capsys: pytest.CaptureFixture[str], url: str, *args: str) -> tuple[int, str, str]:
    """`ledarpuls …` in this process against the same database (a new engine: a restart);
    for the HR world's organisation unless the arguments name one."""
    settings = Settings(_env_file=None, database_url=url, run_scheduler=False)  # type: ignore[call-arg]
    org = [] if "--org" in args else ["--org", TENANT]
    code = await asyncio.to_thread(run, [*args, *org], settings)
    out, err = capsys.readouterr()
    return code, out, err


async def form_of(client: Client, connector: Connector, round_id: int) -> dict[str, Any]:
    await say(client, connector, KARIN, f"analys {round_id}")
    return last_card(connector, KARIN)


async def test_hr_writes_the_analysis_on_a_closed_rounds_card_and_the_round_keeps_it(
    client: Client,
    connector: Connector,
    database_url: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    db = db_of(client)
    org, programme = await demo(client, connector)
    round_id = await closed_round(db, org, programme)
    await say(client, connector, KARIN, f"status {round_id}")
    status = last_card(connector, KARIN)
    assert buttons(status) == ["Sammanställning", "Status", "Skriv analys"]

    # the form in the card's place: each text's limit in its label before anything is typed
    form = await press(client, connector, KARIN, status, "analysis_form")
    assert form is not None and last_card(connector, KARIN)["_id"] == status["_id"]
    form = last_card(connector, KARIN)
    fields = inputs(form)
    limit = number(4000, "sv")
    assert fields["analysis"]["label"] == f"Analys (högst {limit} tecken)"
    assert fields["next_steps"]["label"] == f"Nästa steg (högst {limit} tecken)"
    assert all(fields[name]["isMultiline"] for name in ("analysis", "next_steps"))
    # a client would cut a pasted text at maxLength without a word: the server says no instead
    assert not any("maxLength" in field for field in fields.values())
    assert "nämndens rapport" in str(form) and "aldrig om en enskild chef" in str(form)
    assert buttons(form) == ["Spara", "Tillbaka"]

    saved = await press(
        client, connector, KARIN, form, "analysis", {"analysis": ANALYSIS, "next_steps": NEXT_STEPS}
    )
    assert saved is not None and last_card(connector, KARIN)["_id"] == status["_id"]
    assert "Analysen är sparad. Nästa steg är sparade." in str(saved)
    assert "Analys och nästa steg – senast sparade" in str(saved)
    assert "Ändra analys" in buttons(saved)
    assert_valid_cards([status, form, saved])

    round_ = await kept(db, round_id)
    assert round_.analysis == ANALYSIS.replace("\r\n", "\n")
    assert round_.next_steps == NEXT_STEPS and round_.analysis_at is not None
    [event] = await events(db, "round.analysis")
    assert (event.actor, event.round_id) == (KARIN["upn"], round_id)
    assert event.detail == {
        "changed": ["analysis", "next_steps"],
        "analysis_length": len(round_.analysis),
        "next_steps_length": len(NEXT_STEPS),
        "via": "teams",
    }
    assert "procent" not in await texts_on_record(db) and "nätverk" not in await texts_on_record(db)

    # a new app on the same database: the texts are the round's, in the form and on the CLI
    restarted = Database(database_url, timeouts=PATIENT)
    try:
        again = await RoundStore(restarted).get(round_id)
        assert again is not None and (again.analysis, again.next_steps) == (
            round_.analysis,
            NEXT_STEPS,
        )
    finally:
        await restarted.dispose()
    code, out, _ = await cli(capsys, database_url, "round", "analysis", str(round_id))
    assert code == 0 and "Svarsfrekvensen steg" in out and NEXT_STEPS in out
    form = await form_of(client, connector, round_id)
    assert inputs(form)["analysis"]["value"] == round_.analysis
    assert inputs(form)["next_steps"]["value"] == NEXT_STEPS

    # Spara again as it is: nothing changes, and the log does not grow
    same = await press(client, connector, KARIN, form, "analysis")
    assert same is not None and "Inget ändrades" in str(same)
    assert len(await events(db, "round.analysis")) == 1

    # an empty field clears its text; the other stays
    form = await form_of(client, connector, round_id)
    cleared = await press(client, connector, KARIN, form, "analysis", {"analysis": "  \n "})
    assert cleared is not None and "Analysen är borttagen." in str(cleared)
    assert "Nästa steg är sparade" not in str(cleared)
    assert "Nästa steg – senast sparade" in str(cleared)
    round_ = await kept(db, round_id)
    assert (round_.analysis, round_.next_steps) == (None, NEXT_STEPS)
    assert (await events(db, "round.analysis"))[-1].detail["changed"] == ["analysis"]


async def test_a_lead_a_chef_and_another_organisation_are_refused_and_nothing_is_written(
    client: Client, connector: Connector
) -> None:
    db = db_of(client)
    org, programme = await demo(client, connector)
    round_id = await closed_round(db, org, programme)
    await say(client, connector, KARIN, f"status {round_id}")
    status = last_card(connector, KARIN)
    form = await form_of(client, connector, round_id)
    await make_ifo_lead(db, org, MARIA)

    # a department lead (who follows the round's digest) asks, and presses a forwarded form
    await say(client, connector, MARIA, f"analys {round_id}")
    assert last_text(connector, MARIA).startswith("Det här kan bara HR")
    written = {"analysis": "Smygtext", "next_steps": "Smygsteg"}
    assert await press(client, connector, MARIA, form, "analysis", written) is None
    assert last_text(connector, MARIA).startswith("Det här kortet är till för HR")
    assert await press(client, connector, MARIA, status, "analysis_form") is None
    # HR of another municipality with the same card: no such round there
    assert await press(client, connector, OUTSIDER, form, "analysis", written) is None

    round_ = await kept(db, round_id)
    assert (round_.analysis, round_.next_steps, round_.analysis_at) == (None, None, None)
    assert await events(db, "round.analysis") == []
    refused = [e for e in await events(db, "hr.refused") if e.actor == MARIA["upn"]]
    assert [(e.detail["command"], e.detail["reason"]) for e in refused] == [
        ("analysis", "not_permitted"),
        ("analysis", "not_permitted"),
        ("analysis_form", "not_permitted"),
    ]
    assert "Smyg" not in await texts_on_record(db)


async def test_an_over_long_text_is_refused_whole_with_its_length_and_nothing_is_written(
    client: Client, connector: Connector
) -> None:
    db = db_of(client)
    org, programme = await demo(client, connector)
    round_id = await closed_round(db, org, programme)
    form = await form_of(client, connector, round_id)

    too_long = "åäö " * 1000 + "x"  # 4,001 characters
    answer = await press(
        client, connector, KARIN, form, "analysis", {"analysis": too_long, "next_steps": "Kort."}
    )
    # the form stays as it is, with what HR typed in it; a message says what to shorten
    assert answer is None
    said = last_text(connector, KARIN)
    assert said.startswith("Inget sparades.")
    assert f"Analys: {number(4001, 'sv')} tecken, men högst {number(4000, 'sv')} får plats." in said
    round_ = await kept(db, round_id)
    assert (round_.analysis, round_.next_steps, round_.analysis_at) == (None, None, None)
    assert await events(db, "round.analysis") == []
    [refused] = await events(db, "hr.refused")
    assert refused.detail["reason"] == "invalid_form"
    assert refused.detail["fields"] == ["analysis:text_too_long"]
    assert "åäö" not in await texts_on_record(db)

    # exactly the limit fits, and is kept exactly
    fits = too_long[:-1]
    saved = await press(client, connector, KARIN, form, "analysis", {"analysis": fits})
    assert saved is not None and "Analysen är sparad." in str(saved)
    assert (await kept(db, round_id)).analysis == fits.strip()


async def test_a_form_shown_before_someone_saved_does_not_overwrite_their_text(
    client: Client, connector: Connector
) -> None:
    db = db_of(client)
    org, programme = await demo(client, connector)
    round_id = await closed_round(db, org, programme)
    older = await form_of(client, connector, round_id)
    newer = await form_of(client, connector, round_id)
    assert await press(client, connector, KARIN, newer, "analysis", {"analysis": ANALYSIS})

    answer = await press(client, connector, KARIN, older, "analysis", {"analysis": "Äldre."})
    assert answer is None
    assert "Någon annan har sparat analysen" in last_text(connector, KARIN)
    assert f"skriv **analys {round_id}**" in last_text(connector, KARIN)
    assert (await kept(db, round_id)).analysis == ANALYSIS.replace("\r\n", "\n")
    assert (await events(db, "hr.refused"))[-1].detail["reason"] == "analysis_changed"


async def test_which_rounds_take_an_analysis(client: Client, connector: Connector) -> None:
    db = db_of(client)
    org, programme = await demo(client, connector)
    now = utcnow()
    draft = await create_round(
        db,
        organisation_id=org,
        programme_id=programme,
        title="Utkast",
        opens_at=None,
        deadline=now + timedelta(days=30),
        now=now,
        policy=Policy(),
    )
    # a round not yet opened has nothing to analyse
    await say(client, connector, KARIN, f"analys {draft.id}")
    assert last_text(connector, KARIN).startswith("Omgången har inte öppnat än")

    # an open one may be started early, with a word that its figures may still change
    open_id = await open_a_round(db, org, programme, title="Delår 2")
    form = await form_of(client, connector, open_id)
    assert "fortfarande öppen" in str(form)
    assert await press(client, connector, KARIN, form, "analysis", {"next_steps": NEXT_STEPS})
    assert (await kept(db, open_id)).next_steps == NEXT_STEPS

    # once retention has cleared its answers, the round's record is settled: the texts stay,
    # no button offers to change them, and a form from before is refused
    await close_round(db, round_id=open_id, now=utcnow())
    form = await form_of(client, connector, open_id)
    async with db.session() as s, s.begin():
        retained = await s.get(Round, open_id)
        assert retained is not None
        retained.retained_at = utcnow()
    await say(client, connector, KARIN, f"status {open_id}")
    assert buttons(last_card(connector, KARIN)) == ["Sammanställning", "Status"]
    assert await press(client, connector, KARIN, form, "analysis", {"next_steps": ""}) is None
    assert last_text(connector, KARIN).startswith("Omgångens svar är gallrade")
    assert (await kept(db, open_id)).next_steps == NEXT_STEPS

    # English, as the person chose it
    await say(client, connector, KARIN, "language english")
    await say(client, connector, KARIN, f"analysis {open_id}")
    assert "can no longer be changed" in last_text(connector, KARIN)


async def test_the_command_line_writes_the_same_way_as_teams(
    client: Client,
    connector: Connector,
    database_url: str,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    db = db_of(client)
    _, teams_round = await world(db, TENANT)
    _, cli_round = await world(db, CLI_TENANT)
    await install(client, connector, KARIN)
    for round_id in (teams_round, cli_round):
        await open_round(db, round_id=round_id, now=utcnow(), policy=Policy())
        await close_round(db, round_id=round_id, now=utcnow())
    analysis, next_steps = tmp_path / "analys.txt", tmp_path / "nasta-steg.txt"
    analysis.write_text(ANALYSIS, encoding="utf-8")
    next_steps.write_text(NEXT_STEPS + "\n", encoding="utf-8")

    # Teams: Karin writes both texts, then empties the next steps
    form = await form_of(client, connector, teams_round)
    await press(
        client, connector, KARIN, form, "analysis", {"analysis": ANALYSIS, "next_steps": NEXT_STEPS}
    )
    form = await form_of(client, connector, teams_round)
    await press(client, connector, KARIN, form, "analysis", {"next_steps": ""})

    # the command line, in its twin: the same from files, and an empty file
    def twin(*args: str) -> list[str]:
        return [*args, "--org", CLI_TENANT]

    code, out, _ = await cli(capsys, database_url, *twin("round", "analysis", str(cli_round)))
    assert code == 0 and "ingen analys" in out
    saved = twin(
        "round",
        "analysis",
        str(cli_round),
        "--analysis-file",
        str(analysis),
        "--next-steps-file",
        str(next_steps),
    )
    code, out, _ = await cli(capsys, database_url, *saved)
    assert code == 0 and out.splitlines() == ["Analysen är sparad.", "Nästa steg är sparade."]
    empty = tmp_path / "tom.txt"
    empty.write_text("", encoding="utf-8")
    code, out, _ = await cli(
        capsys,
        database_url,
        *twin("round", "analysis", str(cli_round), "--next-steps-file", str(empty)),
    )
    assert code == 0 and out.strip() == "Nästa steg är borttagna."

    teams, cli_side = await kept(db, teams_round), await kept(db, cli_round)
    assert (teams.analysis, teams.next_steps) == (cli_side.analysis, cli_side.next_steps)
    assert cli_side.next_steps is None and cli_side.analysis == ANALYSIS.replace("\r\n", "\n")
    # the same lines in the audit log, each front's own twice (only "via" differs)
    on_record = [
        ({k: v for k, v in e.detail.items() if k != "via"}, e.detail["via"], e.round_id)
        for e in await events(db, "round.analysis")
    ]
    assert [(detail, via) for detail, via, _ in on_record] == [
        (on_record[0][0], "teams"),
        (on_record[1][0], "teams"),
        (on_record[0][0], "cli"),
        (on_record[1][0], "cli"),
    ]
    assert [round_id for *_, round_id in on_record] == [teams_round] * 2 + [cli_round] * 2

    # too long from a file: refused whole, with the length, exit 1, nothing written
    long_file = tmp_path / "lang.txt"
    long_file.write_text("ö" * 4001, encoding="utf-8")
    code, out, err = await cli(
        capsys,
        database_url,
        *twin("round", "analysis", str(cli_round), "--analysis-file", str(long_file)),
    )
    assert code == 1 and out == ""
    assert f"Analys: {number(4001, 'sv')} tecken, men högst {number(4000, 'sv')}" in err
    assert (await kept(db, cli_round)).analysis == cli_side.analysis
    refused = (await events(db, "hr.refused"))[-1]
    assert refused.detail == {
        "command": "analysis",
        "reason": "invalid_form",
        "fields": ["analysis:text_too_long"],
        "via": "cli",
    }
    # --clear with a file is a contradiction: refused before anything is read
    code, _, err = await cli(
        capsys,
        database_url,
        *twin("round", "analysis", str(cli_round), "--clear", "--analysis-file", str(analysis)),
    )
    assert code == 1 and "--clear" in err
    code, out, _ = await cli(
        capsys, database_url, *twin("round", "analysis", str(cli_round), "--clear")
    )
    assert code == 0 and out.splitlines() == ["Analysen är borttagen."]
