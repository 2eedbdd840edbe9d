"""A municipal year, as HR and the chefs live it in Teams, on an injected clock.

HR starts a new organisation from the chat (plan and roster sent as files, a chef added by card),
makes and opens a round; during it one chef goes on leave, one leaves, one joins, one moves, one
opens her answers again and stops; HR reminds after hours; the scheduler closes the round and
sends the digest, whose buttons still give the file days later; the calendar's next round
carries the unfinished activity; a second programme arrives and the first stays whole.

The bot runs in this process (`tests.turns`), the scheduler's passes are ticked by hand and the
outbox is delivered by a dispatcher on the same clock."""

from __future__ import annotations

import io
import logging
import re
from collections.abc import AsyncIterator
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from aiohttp.test_utils import TestClient
from openpyxl import load_workbook
from sqlmodel import select

from bot.app import ADAPTER, create_app
from bot.outbox_dispatcher import OutboxDispatcher
from bot.scheduler import Scheduler
from bot.settings import Settings
from bot.teams_notifier import TeamsNotifier
from dialogs.formatting import stored_title_of
from dialogs.outbox_renderer import OutboxRenderer
from followup.policy import Policy
from followup.rounds.workdays import is_working_day
from storage.models import (
    Activity,
    Chef,
    Department,
    Invitation,
    Role,
    Round,
)
from storage.organisation_store import OrganisationStore
from storage.role_store import RoleStore
from tests.cards import assert_valid_cards, seen, walk
from tests.conftest import EXAMPLES
from tests.dialogs import test_hr_imports
from tests.dialogs.checkin_world import (
    KARIN,
    MARIA,
    TENANT,
    add_person,
    answer_all,
    cards_to,
    inputs,
    install,
    texts_to,
)
from tests.dialogs.checkin_world import press as card_press
from tests.dialogs.conftest import ClientFactory
from tests.dialogs.downloads import fresh_link, path_of
from tests.dialogs.test_check_in_dialog import change_confidence
from tests.dialogs.test_hr_dialog import audit_actions, last_card, last_text, say, updated
from tests.dialogs.test_hr_imports import FileServer, send_file
from tests.dialogs.test_hr_remind_later import Clock
from tests.dialogs.test_hr_remind_later import press as remind_press
from tests.dialogs.test_hr_roster import department_id
from tests.followup.hr.test_programmes import B_TITLE, PLAN_B
from tests.turns import Teams, running_teams

sharepoint = test_hr_imports.sharepoint  # the files HR sends, served as SharePoint would

SE = ZoneInfo("Europe/Stockholm")
SECRET = "y" * 40
A07 = "Dokumenterade chefsprocesser och översyn av delegationsordningen"
IFO, AO, LSS = "Individ- och familjeomsorg", "Äldreomsorg", "Funktionsstöd (LSS)"
CARRIED = "Fortsätter från förra omgången – senast: Försenad"


def person(key: str, name: str, number: int) -> dict[str, str]:
    return {
        "id": f"29:{key}",
        "aadObjectId": f"1a2b3c4d-0001-4000-8000-0000000001{number:02d}",
        "upn": f"{key}@demo.ledarpuls.se",
        "name": name,
        "conv": f"a:{key}",
    }


# chef A goes on leave, B leaves, C joins, D (Maria) moves, E opens her answers and stops
MIKAEL = person("mikael.bjork", "Mikael Björk", 1)  # A, Äldreomsorg
SARA = person("sara.nystrom", "Sara Nyström", 2)  # B, Äldreomsorg
NORA = person("nora.nilsson", "Nora Nilsson", 3)  # C, new in IFO
ERIK = person("erik.hakansson", "Erik Håkansson", 4)  # E, LSS
LENA = person("lena.ek", "Lena Ek", 5)  # LSS
AMIRA = person("amira.hassan", "Amira Hassan", 6)  # LSS
TOVE = person("tove.lund", "Tove Lund", 7)  # added by card before the round, Socialpsykiatri
CHEFS = (MARIA, MIKAEL, SARA, ERIK, LENA, AMIRA)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SE)


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        database_url=database_url,
        run_scheduler=False,
        public_url="http://127.0.0.1:3978",
        download_link_secret=SECRET,
    )


@pytest.fixture
def clock() -> Clock:
    return Clock(at(date(2026, 11, 2), 9))  # a Monday morning in November 2026


@pytest.fixture
async def teams(settings: Settings, clock: Clock) -> AsyncIterator[Teams]:
    async with running_teams(settings, clock=clock) as teams:
        for someone in (KARIN, *CHEFS, NORA, TOVE):
            add_person(teams, someone)
        yield teams


@pytest.fixture
async def replica(settings: Settings, clock: Clock, aiohttp_client: ClientFactory) -> Any:
    """Another replica of the bot behind the public address (the same secret), where the
    download links lead."""
    client: TestClient[Any, Any] = await aiohttp_client(create_app(settings, clock=clock))
    return client


class Year:
    """The world of the story: Teams, the clock, the scheduler and the files HR sends."""

    def __init__(self, teams: Teams, clock: Clock, files: FileServer) -> None:
        self.teams = teams
        self.clock = clock
        self.files = files
        self.scheduler = Scheduler(
            teams.db, policy=Policy(), title_of=stored_title_of(), clock=clock
        )

    async def tick(self, when: datetime) -> None:
        """The clock moves on; the scheduler's passes run once, and the outbox is delivered."""
        self.clock.now = when
        assert await self.scheduler.tick()
        await self.deliver()

    async def deliver(self) -> None:
        """What the app's outbox sends now (without its pause between two messages to one
        chat, which counts real seconds), download buttons on the cards as the app has them."""
        db = self.teams.db
        dispatcher = OutboxDispatcher(
            db=db,
            notifier=TeamsNotifier(self.teams.app[ADAPTER], app_id=""),
            render=OutboxRenderer(db, policy=Policy(), clock=self.clock, downloads=True),
            conversation_interval=0,
            clock=self.clock,
        )
        while await dispatcher.dispatch_once():
            pass

    async def say(self, who: dict[str, str], text: str) -> None:
        await say(self.teams, self.teams, who, text)
        await self.deliver()

    async def press(
        self,
        who: dict[str, str],
        card: dict[str, Any],
        action: str,
        values: dict[str, Any] | None = None,
    ) -> None:
        # as Teams presses it: a Universal Action, or Action.Submit on an older card
        await card_press(self.teams, self.teams, who, card, action, values)
        await self.deliver()

    async def send_file(self, name: str, content: bytes) -> dict[str, Any]:
        await send_file(self.teams, self.teams, KARIN, self.files, name, content)
        return last_card(self.teams, KARIN)

    def card(self, who: dict[str, str]) -> dict[str, Any]:
        return last_card(self.teams, who)

    def text(self, who: dict[str, str]) -> str:
        return last_text(self.teams, who)

    async def answer(
        self, who: dict[str, str], *, statuses: dict[int, str] | None = None
    ) -> list[dict[str, Any]]:
        """Starta, every step filled in (activities done unless `statuses` says otherwise,
        confidence 5) and sent in: the step cards the chef was shown."""
        invitation = [c for c in cards_to(self.teams, who) if "Starta" in str(c)][-1]
        await self.press(who, invitation, "start")
        steps: list[dict[str, Any]] = []
        for _ in range(20):  # a step refused would come back: never loop for ever
            card = self.card(who)
            if "Skicka in" in str(card) and "submit" in str(card):
                await self.press(who, card, "submit")
                return steps
            steps.append(card)
            values = answer_all(card)
            for key in values:
                if key.startswith("status:"):
                    values[key] = (statuses or {}).get(int(key.split(":")[1]), "done")
            await self.press(who, card, "save", values)
        raise AssertionError(f"{who['name']} never reached the summary")

    async def chef(self, who: dict[str, str]) -> Chef:
        async with self.teams.db.session() as s:
            return (await s.exec(select(Chef).where(Chef.upn == who["upn"]))).one()


def status_rows(card: dict[str, Any]) -> dict[str, list[str]]:
    """HR's status per department (or Totalt), each under its name: invited, reached, started,
    submitted, unreachable, on leave."""
    rows = {}
    for block in walk(card["body"]):
        items = block.get("items", [])
        if block.get("type") != "Container" or len(items) != 2:
            continue
        name, figures = items
        if name.get("type") == "RichTextBlock" and figures.get("type") == "TextBlock":
            runs = " ".join(run["text"] for run in name["inlines"])
            rows[runs] = re.findall(r"\d+", figures["text"])
    return rows


def reminded(teams: Teams, who: dict[str, str]) -> int:
    return sum(t.startswith("Påminnelse:") for t in texts_to(teams, who, with_cards=True))


def plan_file() -> bytes:
    return (EXAMPLES / "demo-plan.xlsx").read_bytes()


def roster_file() -> bytes:
    """The demo roster, with nobody on leave yet."""
    text = (EXAMPLES / "demo-roster.yaml").read_text(encoding="utf-8")
    return text.replace("    on_leave_until: 2026-12-31\n", "").encode()


@pytest.fixture
async def year(teams: Teams, clock: Clock, sharepoint: FileServer) -> AsyncIterator[Year]:
    year = Year(teams, clock, sharepoint)
    yield year
    await year.scheduler.stop()  # lets go of the leader's lock (a connection of its own)


async def test_a_municipal_year(
    year: Year,
    teams: Teams,
    clock: Clock,
    replica: TestClient[Any, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)
    db = teams.db

    # --- 1. a new organisation: the plan and the roster from Teams -------------------------
    org = await OrganisationStore(db).create(tenant_id=TENANT, name="Demokommunen", default_k=3)
    assert org.id is not None
    await RoleStore(db).grant(  # `ledarpuls hr add`: the first HR admin, from the server
        organisation_id=org.id,
        principal=KARIN["aadObjectId"],
        role=Role.HR_ADMIN,
        created_by="it",
        now=clock.now,
    )
    await install(teams, teams, KARIN)

    preview = await year.send_file("Programplan.xlsx", plan_file())
    assert "Förhandsgranskning av Programplan.xlsx" in str(preview)
    assert "Avdelningar: 4 läggs till, 0 ändras, 0 avaktiveras" in str(preview)
    assert "Aktiviteter: 18 läggs till" in str(preview)
    await year.press(KARIN, preview, "import_apply")
    applied = str(updated(teams))
    assert "Programplan.xlsx är importerad." in applied
    assert "Avdelningar: 4 har lagts till, 0 har ändrats, 0 har avaktiverats" in applied
    assert "Tillagda: IFO, ÄO, LSS, SPS" in applied

    # a roster with a department the plan does not have: the problem named, nothing changed
    broken = "E-post (UPN);Namn;Avdelning\ntove.lund@demo.ledarpuls.se;Tove Lund;HEMTJ\n"
    problems = await year.send_file("chefer.csv", broken.encode())
    assert "chefer.csv kunde inte läsas in – ingenting har ändrats" in str(problems)
    assert "chefer.csv, rad 2, kolumn 3 (Avdelning): Okänd avdelning ”HEMTJ”." in str(problems)
    async with db.session() as s:
        assert (await s.exec(select(Chef))).all() == []
    roster = await year.send_file("chefer.yaml", roster_file())
    assert "Enhetschefer: 12 läggs till, 0 ändras, 0 avaktiveras" in str(roster)
    await year.press(KARIN, roster, "import_apply")
    applied = str(updated(teams))
    assert "chefer.yaml är importerad." in applied
    assert "Enhetschefer: 12 har lagts till, 0 har ändrats, 0 har avaktiverats" in applied
    assert (await year.chef(MARIA)).active
    assert_valid_cards([preview, problems, roster, updated(teams)])

    # --- 2. a chef added by card -----------------------------------------------------------
    await year.say(KARIN, "chefer")
    await year.press(KARIN, year.card(KARIN), "roster_add_form")
    form = year.card(KARIN)
    sps = department_id(form, "Socialpsykiatri")
    await year.press(
        KARIN,
        form,
        "roster_add",
        {"upn": TOVE["upn"], "name": TOVE["name"], "department": sps, "unit": "Boendestöd Väst"},
    )
    assert year.text(KARIN).startswith("Tove Lund finns nu i registret.")
    tove = await year.chef(TOVE)
    assert tove.active and tove.unit == "Boendestöd Väst"
    for chef in CHEFS:  # they have the app before the round opens
        await install(teams, teams, chef)

    # --- 3. a round made with `ny omgång` and opened -----------------------------------------
    await year.say(KARIN, "ny omgång")
    form = year.card(KARIN)
    last_day = date.fromisoformat(inputs(form)["deadline"]["value"])
    # 21 days from Monday 2 November is Monday 23 November, whose reminder two days before
    # would fall on a Saturday: the form suggests Wednesday 25 November
    assert last_day == date(2026, 11, 25) and is_working_day(last_day)
    assert "13 chefer nås i dag och 0 är frånvarande" in str(form)
    # HR allows three reminders each, so that a påminn of her own still reaches someone
    await year.press(KARIN, form, "create", {"title": "Hösten 2026", "cap": "3"})
    created = updated(teams)
    assert "Når 13 chefer" in str(created)
    assert "Påminnelser: 18 november, 23 november" in seen(created)  # this year's: no year
    await year.press(KARIN, {**created, "_id": form["_id"]}, "open")
    opened = updated(teams)  # the round's card, opened, in its place: no Öppna nu left
    assert (
        "Hösten 2026 är öppnad. 13 chefer får en inbjudan nu, 0 är frånvarande och hoppas över."
        in str(opened)
    )
    assert "Öppna nu" not in str(opened)
    for chef in CHEFS:
        assert any("Starta" in str(c) for c in cards_to(teams, chef)), chef["name"]
    assert_valid_cards([form, created])
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]

    # D and the chefs of LSS answer at once; E says the delegation review (A07) is delayed
    async with db.session() as s:
        a07 = (await s.exec(select(Activity).where(Activity.code == "A07"))).one()
    assert a07.id is not None
    await year.answer(MARIA)
    steps = await year.answer(ERIK, statuses={a07.id: "delayed"})
    assert any(A07 in str(step) for step in steps)
    await year.answer(LENA)
    await year.answer(AMIRA)
    assert (
        "Tack! Dina svar i Hösten 2026 skickades in" in texts_to(teams, ERIK, with_cards=True)[-1]
    )

    # --- 4. the roster changes during the round ----------------------------------------------
    clock.now = at(date(2026, 11, 10), 10)  # Tuesday the week after
    await year.say(KARIN, "chefer")
    search = year.card(KARIN)
    await year.press(KARIN, search, "roster_find", {"query": "mikael"})
    await year.press(KARIN, year.card(KARIN), "roster_leave", {"until": "2026-12-31"})
    assert year.text(KARIN) == "Mikael Björk är frånvarande till och med 31 december."  # this year
    await year.press(KARIN, search, "roster_find", {"query": "nyström"})
    await year.press(KARIN, year.card(KARIN), "roster_end")
    assert year.text(KARIN).startswith("Sara Nyström har slutat")

    # Nora starts in IFO: she had the app before HR added her
    await install(teams, teams, NORA)
    assert "finns inte i listan" in texts_to(teams, NORA)[-1]
    await year.press(KARIN, search, "roster_add_form")
    form = year.card(KARIN)
    await year.press(
        KARIN,
        form,
        "roster_add",
        {"upn": NORA["upn"], "name": NORA["name"], "department": department_id(form, IFO)},
    )
    assert year.text(KARIN) == "Nora Nilsson finns nu i registret. Inbjuden till 1 öppen omgång."
    [nora_invitation] = [c for c in cards_to(teams, NORA) if "Starta" in str(c)]
    assert "Hösten 2026" in str(nora_invitation)

    # Thursday: Maria, who has answered, moves to Äldreomsorg
    clock.now = at(date(2026, 11, 12), 11)
    await year.press(KARIN, search, "roster_find", {"query": "maria"})
    maria_card = year.card(KARIN)
    await year.press(
        KARIN,
        maria_card,
        "roster_move",
        {"department": department_id(maria_card, AO), "unit": "Hemtjänst Syd"},
    )
    assert year.text(KARIN) == "Maria Åkesson är flyttad."

    await year.say(KARIN, "status")
    status = year.card(KARIN)
    rows = status_rows(status)
    shown = str(status)
    # Maria is counted where she was invited; Mikael on leave; Sara gone; Nora invited late
    assert rows[IFO] == ["4", "2", "1", "1", "2", "0"]  # Maria's answers stay in IFO
    assert rows[AO] == ["1", "1", "0", "0", "0", "1"]  # Karin; Mikael on leave
    assert rows["Totalt"] == ["12", "6", "4", "4", "6", "1"]
    assert "4 av 12 har svarat (33 %)." in shown
    assert (
        "Ändringar i registret under omgången: 1 har slutat, 1 har bjudits in i efterhand." in shown
    )
    assert "Sara Nyström" not in shown and "Mikael Björk" not in shown
    assert "Nora Nilsson" in shown and "Maria Åkesson" not in shown
    assert_valid_cards([search, form, maria_card, nora_invitation, status])

    # the first reminders (seven days before the last day, held to the next working morning):
    # Mikael on leave and Sara who left get none, nor those who answered
    await year.tick(at(date(2026, 11, 19), 9))
    assert {p["name"]: reminded(teams, p) for p in (KARIN, NORA, MIKAEL, SARA, MARIA, ERIK)} == {
        KARIN["name"]: 1,
        NORA["name"]: 1,
        MIKAEL["name"]: 0,
        SARA["name"]: 0,
        MARIA["name"]: 0,
        ERIK["name"]: 0,
    }

    # --- 5. Erik opens his answers, changes a step and stops ----------------------------------
    clock.now = at(date(2026, 11, 20), 14)
    changed = await change_confidence(teams, teams, ERIK, "1")
    assert "Ändringarna är inte inskickade än (Trygghet i rollen)" in str(changed)
    await year.say(KARIN, "status")
    assert "4 av 12 har svarat (33 %)." in str(year.card(KARIN))
    assert status_rows(year.card(KARIN))[LSS][3] == "3"  # Erik still counts as answered

    await year.tick(at(date(2026, 11, 24), 9))  # the second reminders: none for Erik
    assert [reminded(teams, p) for p in (KARIN, NORA, MIKAEL, SARA, ERIK)] == [2, 2, 0, 0, 0]

    # --- 6. HR's påminn at 22:00: sent the next working morning ------------------------------
    clock.now = at(date(2026, 11, 24), 22)
    await year.say(KARIN, "påminn")
    question = year.card(KARIN)
    titles = [a["title"] for a in question["actions"]]
    assert titles == ["Skicka nu", "Skicka senare"]
    assert "Väljer du senare skickas den onsdag 25 november kl. 08.00." in str(question)
    await remind_press(teams, teams, KARIN, question, "remind_later")
    [answer] = [u for u in teams.updates if u["_id"] == question["_id"]]
    assert "2 påminnelser skickas onsdag 25 november kl. 08.00." in str(answer)
    await year.deliver()
    assert [reminded(teams, p) for p in (KARIN, NORA)] == [2, 2]  # not in the night
    clock.now = at(date(2026, 11, 25), 8)
    await year.deliver()
    assert [reminded(teams, p) for p in (KARIN, NORA, MIKAEL, SARA, ERIK)] == [3, 3, 0, 0, 0]
    assert_valid_cards([changed, question])

    # --- 7. the round closes at its deadline; the digest ---------------------------------------
    await year.tick(at(date(2026, 11, 25), 16))  # the last day: still open
    async with db.session() as s:
        assert (await s.exec(select(Round.state))).one() == "open"
    await year.tick(at(date(2026, 11, 26), 0, 5))
    async with db.session() as s:
        assert (await s.exec(select(Round.state))).one() == "closed"
    clock.now = at(date(2026, 11, 26), 8, 30)
    await year.deliver()
    digest = year.card(KARIN)
    shown = str(digest)
    assert "I omgången Hösten 2026 svarade 4 av 12 enhetschefer (33 %)." in shown
    assert (
        "1 chef var frånvarande när omgången öppnades och fick inte frågorna. 6 chefer gick inte"
        " att nå i Teams och räknas som inte svarat."
    ) in shown
    assert "1 chef slutade under omgången utan att ha svarat och räknas inte med." in shown
    # Erik's change was never sent in: his 5 counts, not the 1 he tried
    assert "svarade cheferna i genomsnitt 5,0 på en skala från 1 till 5" in shown
    assert "Avdelningar: Genomförd 1, Försenad 1 · Chefer: Genomförd 3, Försenad 1" in shown
    assert "1 aktivitet är försenad i minst en avdelning." in shown
    async with db.session() as s:
        states = {
            c.upn: (i.state, i.department_id, c.department_id)
            for i, c in (
                await s.exec(select(Invitation, Chef).where(Invitation.chef_id == Chef.id))
            ).all()
        }
        ifo = (await s.exec(select(Department).where(Department.code == "IFO"))).one().id
        ao = (await s.exec(select(Department).where(Department.code == "ÄO"))).one().id
    assert states[MARIA["upn"]] == ("submitted", ifo, ao)  # asked in IFO, in ÄO since
    assert states[MIKAEL["upn"]][0] == "on_leave"
    assert states[SARA["upn"]][0] == "left"
    assert states[ERIK["upn"]][0] == "submitted"
    assert_valid_cards([digest])

    # two days later, Saturday: the button still gives the file, through a fresh link
    clock.now = at(date(2026, 11, 28), 10)
    link = await fresh_link(teams, teams, KARIN, digest, "xlsx")
    download = await replica.get(path_of(link))
    assert download.status == 200
    assert "filename*=UTF-8''" in download.headers["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(await download.read()))
    rates = [row for row in workbook["Svarsfrekvens"].iter_rows(min_row=3, values_only=True)]
    assert rates[:5] == [  # by the department each chef was invited in: Maria in IFO
        (LSS, 3, 3, 1),
        (IFO, 4, 1, 0.25),
        ("Socialpsykiatri", 4, 0, 0),
        (AO, 1, 0, 0),
        ("Alla", 12, 4, 4 / 12),
    ]

    # --- 8. spring: the calendar's round carries the delegation review for LSS only -----------
    await year.tick(at(date(2027, 3, 1), 9))  # 45 days ahead: the spring round is planned
    async with db.session() as s:
        planned = (await s.exec(select(Round).where(Round.state == "scheduled"))).one()
    assert planned.title == "Uppföljning våren 2027"
    await year.tick(at(date(2027, 4, 8), 9))  # a week ahead: HR hears of it
    heads_up = year.card(KARIN)
    shown = str(heads_up)
    assert "Om en vecka, torsdag 15 april, öppnar den här omgången av sig själv." in shown
    # 21 days on is Kristi himmelsfärd (Thursday 6 May): the last day is the Friday after
    assert "Sista dag: 7 maj" in seen(heads_up)  # read in 2027: no year
    assert "Når 13 chefer" in shown  # Sara gone, Mikael back
    await year.tick(at(date(2027, 4, 15), 8))  # its day: it opens
    assert any("Uppföljning våren 2027" in str(c) for c in cards_to(teams, MIKAEL))  # back
    assert not any("Uppföljning våren 2027" in str(c) for c in cards_to(teams, SARA))
    erik = await year.answer(ERIK, statuses={a07.id: "done"})
    [carried] = [step for step in erik if A07 in str(step)]
    assert CARRIED in str(carried)
    # Äldreomsorg reported nothing unfinished, nor did IFO: Maria's "done" stayed there
    for chef in (KARIN, MARIA, NORA):
        assert not any(A07 in str(step) for step in await year.answer(chef))
    assert_valid_cards([heads_up, carried])

    # --- 9. a second programme, for Äldreomsorg only ------------------------------------------
    plan_b = yaml.safe_dump(PLAN_B, allow_unicode=True).encode()
    preview = await year.send_file("ledarlyftet.yaml", plan_b)
    shown = str(preview)
    assert "Avdelningar: 0 läggs till, 0 ändras, 0 avaktiveras" in shown
    assert "Program: 1 läggs till, 0 ändras, 0 avaktiveras" in shown
    await year.press(KARIN, preview, "import_apply")
    assert "ledarlyftet.yaml är importerad." in str(updated(teams))
    async with db.session() as s:
        departments = (await s.exec(select(Department))).all()
        chefs = (await s.exec(select(Chef))).all()
        spring = (await s.exec(select(Round).where(Round.title == "Uppföljning våren 2027"))).one()
    assert all(d.active for d in departments) and len(departments) == 4
    assert [c.name for c in chefs if not c.active] == ["Sara Nyström"]
    assert spring.state == "open"
    await year.say(KARIN, "ny omgång")
    form = year.card(KARIN)
    programmes = [c["title"] for c in inputs(form)["programme"]["choices"]]
    assert programmes == [
        "Programmet för att stärka enhetscheferna som trygga förändringsledare 2024–2027",
        B_TITLE,
    ]
    assert "14 chefer nås i dag" not in str(form) and "13 chefer nås i dag" in str(form)
    assert_valid_cards([preview, updated(teams), form])

    # the spring round closes: its digest names the activity carried over
    await year.tick(at(date(2027, 5, 8), 0, 5))
    clock.now = at(date(2027, 5, 10), 8)
    await year.deliver()
    [spring_digest] = [
        c for c in cards_to(teams, KARIN) if "I omgången Uppföljning våren 2027" in str(c)
    ]
    shown = str(spring_digest)
    assert "I omgången Uppföljning våren 2027 svarade 4 av 13 enhetschefer (31 %)." in shown
    assert "1 aktivitet var med i omgången för att den inte var klar i förra omgången." in shown
    assert f"{A07} – {LSS}" in shown  # carried over, for LSS, and done now
    assert "0 aktiviteter är försenade i minst en avdelning." in shown
    assert_valid_cards([spring_digest])

    # every step on record, by whom: by her object id until the roster named her, then by UPN
    actions = [(actor, action) for actor, action, _ in await audit_actions(db)]
    karin = KARIN["upn"]
    named = next(i for i, (actor, _) in enumerate(actions) if actor == karin)
    assert actions[:named] == [
        (KARIN["aadObjectId"], action)
        for action in (
            "import.checked",
            "import.applied",
            "import.rejected",
            "import.checked",
            "import.applied",
        )
    ]
    assert {actor for actor, _ in actions[named:]} == {karin}
    for done in (
        "roster.add",
        "roster.move",
        "roster.end",
        "chef.on_leave",
        "round.create",
        "round.open",
        "round.remind",
        "digest.download",
        "import.applied",
    ):
        assert (karin, done) in actions, done

    # nothing went wrong behind the scenes either: no pass of the scheduler failed
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
