"""HR keeps the roster from Teams while a round is open, in two real Teams clients (Agents
Playgrounds): a roster file sent in the chat, previewed and applied; the roster card's edits;
and a late invitation.

A Playground has one user, so the chef who joins mid-round is the chef Playground's own: Karin
Sjöberg. HR's roster file leaves her out (she has left: the round opens without her), and HR puts
her back on the roster with the card while the round is open; the invitation reaches her Teams."""

from __future__ import annotations

import asyncio
import contextlib
import re
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import yaml
from aiohttp import web

from bot.demo import DEMO_NAME
from dialogs.formatting import short_day
from dialogs.texts import t
from followup.imports.workbooks import convert
from followup.policy import DEFAULT_TIMEZONE
from tests.cards import assert_valid_cards, walk
from tests.conftest import EXAMPLES
from tests.e2e.world import LANGUAGE, World, answers, either
from tests.playground import (
    Message,
    actions_of,
    card_of,
    free_port,
    has_card,
    texts,
    title_of,
)

pytestmark = pytest.mark.e2e

TITLE = "Hösten"
DEPARTMENT = "Äldreomsorg"
OTHER = "Individ- och familjeomsorg"
# the chef Playground's user, as the demo roster has her
KARIN = {
    "name": "Karin Sjöberg",
    "upn": "karin.sjoberg@demo.ledarpuls.se",
    "unit": "Hemtjänst Norr",
}
# a new chef in Äldreomsorg; she has no Teams here, so the bot cannot reach her yet
NORA = {"name": "Nora Lind", "upn": "nora.lind@demo.ledarpuls.se", "unit": "Hemtjänst Väster"}
GOOD = "chefslista.xlsx"
BAD = "chefslista-fel.xlsx"


@dataclass
class Files:
    """A small file host, as SharePoint is to Teams: a file at a secret address, each fetch
    recorded."""

    base: str
    paths: dict[str, str] = field(default_factory=dict)  # file name → its secret path
    fetched: list[str] = field(default_factory=list)  # file names, in the order fetched

    def url(self, name: str) -> str:
        return f"{self.base}{self.paths[name]}"


@contextlib.asynccontextmanager
async def file_host(files: dict[str, bytes]) -> AsyncIterator[Files]:
    port = free_port()
    host = Files(f"http://127.0.0.1:{port}")
    by_path = {}
    for name, content in files.items():
        path = f"/download/{secrets.token_urlsafe(16)}"
        host.paths[name] = path
        by_path[path] = (name, content)

    async def download(request: web.Request) -> web.Response:
        if request.path not in by_path:
            raise web.HTTPNotFound()
        name, content = by_path[request.path]
        host.fetched.append(name)
        return web.Response(body=content, content_type="application/octet-stream")

    app = web.Application()
    app.router.add_get("/download/{token}", download)
    runner = web.AppRunner(app)
    await runner.setup()
    try:
        await web.TCPSite(runner, "127.0.0.1", port).start()
        yield host
    finally:
        await runner.cleanup()


def roster_files(tmp_path: Path) -> dict[str, bytes]:
    """HR's roster workbook: the demo's, with Nora Lind new in ÄO and Karin Sjöberg gone from
    it; and the same with a mistake typed into it (a department that does not exist)."""
    roster = yaml.safe_load((EXAMPLES / "demo-roster.yaml").read_text(encoding="utf-8"))
    chefs = [c for c in roster["chefs"] if c["upn"] != KARIN["upn"]]
    chefs.append({**NORA, "department": "ÄO"})
    source = tmp_path / "chefslista.yaml"
    source.write_text(yaml.safe_dump({"chefs": chefs}, allow_unicode=True), encoding="utf-8")
    convert("roster", source, tmp_path / GOOD)
    workbook = openpyxl.load_workbook(tmp_path / GOOD)
    sheet = workbook["Chefer"]
    column = next(c.column for c in sheet[1] if c.value == "Avdelning")
    sheet.cell(row=sheet.max_row, column=column, value="Hemtjänsten")  # Nora's row
    workbook.save(tmp_path / BAD)
    return {name: (tmp_path / name).read_bytes() for name in (GOOD, BAD)}


def fact(message: Message, label: str) -> str:
    """The value shown beside `label` on a card (a chef's facts are label and value blocks)."""
    lines = texts(message)
    return lines[lines.index(label) + 1]


def status_row(message: Message, department: str) -> list[str]:
    """A department's figures in HR's status, on the line under its name: invited, reached,
    started, submitted, unreachable, on leave."""
    lines = texts(message)
    return re.findall(r"\d+", lines[lines.index(department) + 1])


def invited(message: Message) -> bool:
    """The round's invitation."""
    return title_of(message) == TITLE and "start" in actions_of(message)


def department_choice(message: Message, input_id: str, name: str = DEPARTMENT) -> str:
    """The value of a department (Äldreomsorg unless said) among a card's choices, shown
    cards' too."""
    inputs = (e for e in walk(card_of(message)) if e.get("type") == "Input.ChoiceSet")
    choices = next(e for e in inputs if e["id"] == input_id)["choices"]
    return str(next(c["value"] for c in choices if c["title"].startswith(name)))


async def test_hr_keeps_the_roster_in_teams_while_a_round_is_open(
    world: World, tmp_path: Path
) -> None:
    chef, hr = world.chef, world.hr
    await chef.install()
    await chef.expect(either("welcome.title", name="Karin"))
    await hr.install()
    await hr.expect(either("welcome.staff", name="Eva", organisation=DEMO_NAME))

    async with file_host(roster_files(tmp_path)) as files:
        # a roster file with a mistake: the mistake shown by row and column, nothing changed
        await hr.send_file(BAD, files.url(BAD))
        problems = await hr.expect(t(LANGUAGE, "import.rejected.title", file=BAD))
        unknown = t(LANGUAGE, "import.error.unknown_department", value="Hemtjänsten")
        assert any(unknown in line for line in texts(problems)), texts(problems)

        # the roster as a workbook sent in the chat: the preview says what would change (Nora
        # still to be added: the file with the mistake changed nothing)
        await hr.send_file(GOOD, files.url(GOOD))
        preview = await hr.expect(lambda m: "import_apply" in actions_of(m))
        assert title_of(preview) == t(LANGUAGE, "import.preview.title", file=GOOD)
        section = t(LANGUAGE, "section.chefs")
        counts = dict(section=section, added=1, changed=0, deactivated=1)
        assert t(LANGUAGE, "import.preview.section", **counts) in texts(preview)
        assert t(LANGUAGE, "import.preview.added", keys=NORA["upn"]) in texts(preview)
        assert t(LANGUAGE, "import.preview.deactivated", keys=KARIN["upn"]) in texts(preview)
        assert files.fetched == [BAD, GOOD]  # each once, when it was sent

    # Verkställ: the preview becomes what was done
    applied = await hr.press(preview, "import_apply")
    assert applied is not None
    assert title_of(applied) == t(LANGUAGE, "cli.import_done", file=GOOD)
    assert t(LANGUAGE, "import.applied.section", **counts) in texts(applied)
    assert t(LANGUAGE, "import.applied.added", keys=NORA["upn"]) in texts(applied)
    assert actions_of(applied) == set()

    # a round for Äldreomsorg, opened: Nora is in it, Karin (gone from the roster) is not
    await hr.say("ny omgång")
    form = await hr.expect(t("sv", "hr.new.title"))
    created = await hr.press(
        form, "create", title=TITLE, departments=department_choice(form, "departments")
    )
    assert created is not None
    assert t("sv", "hr.round.reach", count=3) in texts(created)
    opened = await hr.press(created, "open")
    assert opened is not None
    assert t("sv", "hr.opened", title=TITLE, count=3, on_leave=0) in texts(opened)

    # the roster card: Nora as the file put her there, and then on leave
    await hr.say("chefer")
    search = await hr.expect(t("sv", "roster.title"))
    await hr.press(search, "roster_find", query="Nora")
    nora = await hr.expect(lambda m: title_of(m) == NORA["name"])
    assert fact(nora, t("sv", "roster.department")) == DEPARTMENT
    assert fact(nora, t("sv", "roster.unit")) == NORA["unit"]
    assert fact(nora, t("sv", "roster.state")) == t("sv", "roster.state.present")
    today = datetime.now(ZoneInfo(DEFAULT_TIMEZONE)).date()
    until = today + timedelta(days=14)
    # (her card is changed in place, then the bot says what it did)
    on_leave = await hr.press(nora, "roster_leave", until=until.isoformat())
    assert on_leave is not None
    state = t("sv", "roster.state.on_leave", date=short_day(until, "sv", today=today))
    assert fact(on_leave, t("sv", "roster.state")) == state
    await hr.expect(
        t("sv", "hr.leave.set", name=NORA["name"], date=short_day(until, "sv", today=today))
    )
    assert "roster_leave" in actions_of(on_leave)

    # Mikael Björk moves to IFO with a unit of his own: the card shows him there; the round
    # still counts him in Äldreomsorg, where he was asked
    await hr.press(search, "roster_find", query="Mikael")
    mikael = await hr.expect(lambda m: title_of(m) == "Mikael Björk")
    ifo = department_choice(mikael, "department", OTHER)
    moved = await hr.press(mikael, "roster_move", department=ifo, unit="Mottagningen")
    assert moved is not None
    assert fact(moved, t("sv", "roster.department")) == OTHER
    assert fact(moved, t("sv", "roster.unit")) == "Mottagningen"
    await hr.expect(t("sv", "roster.moved", name="Mikael Björk"))

    # Karin, gone from the roster, was not invited: her Teams shows no invitation up to the
    # bot's answer to her `help` (a chat's messages arrive in order)
    await chef.say("help")
    await chef.expect(t(LANGUAGE, "help.body"))
    assert not any(invited(f.get("message", {})) for f in chef.received)

    # Karin back on the roster by the card, mid-round: invited to the open round at once
    await hr.press(search, "roster_add_form")
    add = await hr.expect(t("sv", "roster.add.title"))
    karin = await hr.press(
        add,
        "roster_add",
        name=KARIN["name"],
        upn=KARIN["upn"],
        department=department_choice(add, "department"),
        unit=KARIN["unit"],
    )
    assert karin is not None
    assert title_of(karin) == KARIN["name"]
    assert fact(karin, t("sv", "roster.state")) == t("sv", "roster.state.present")
    added = t("sv", "roster.added", name=KARIN["name"])
    await hr.expect(f"{added} {t('sv', 'roster.invited', count=1)}")

    # ... and the invitation reaches her in her own Teams; she answers the first step
    invitation = await chef.expect(invited)
    step = await chef.press(invitation, "start")
    assert step is not None and "save" in actions_of(step)
    following = await chef.press(step, "save", **answers(step))
    assert following is not None and {"save", "submit"} & actions_of(following)

    # status: three invited (Mikael Björk, moved since, Sara Nyström, Karin), Nora on leave and
    # so not counted as invited, Karin invited after the opening
    await hr.say("status")
    status = await hr.expect(t(LANGUAGE, "hr.status.title", title=TITLE))
    assert t(LANGUAGE, "hr.status.rate", submitted=0, invited=3, rate="0 %") in texts(status)
    assert t(LANGUAGE, "hr.status.roster_changes", left=0, late=1) in texts(status)
    # Äldreomsorg's row: invited, reached, started, submitted, unreachable (Mikael and Sara have
    # no Teams here), on leave; Mikael is counted where he was asked, not in IFO
    assert status_row(status, DEPARTMENT) == ["3", "1", "1", "0", "2", "1"]
    assert OTHER not in texts(status)

    sent = [f.get("message", {}) for c in (chef, hr) for f in c.received]
    await asyncio.to_thread(assert_valid_cards, [card_of(m) for m in sent if has_card(m)])
