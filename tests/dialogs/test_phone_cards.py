"""Made for a phone: every card the product builds, with long Swedish names and in both
languages, drawn by the reference renderer 360 px wide (tests/phone.py): nothing sticks out past
the card's edge, no text is cut off, no word is split over two lines, and a step of the check-in
is at most about two phone screens tall. The gallery must cover every card builder in
`dialogs/`: a new one the gallery does not call fails the test.

`LEDARPULS_PHONE_SHOTS=folder` saves a PNG of every card drawn."""

from __future__ import annotations

import functools
import importlib
import inspect
import pkgutil
import sys
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import col, select

import dialogs
from dialogs.check_in_answers import (
    receipt_card,
    summary_card,
)
from dialogs.check_in_cards import (
    closed_card,
    invitation_card,
    step_card,
)
from dialogs.consortium_cards import consortium_card, consortium_report
from dialogs.digest_cards import compiled_digest_card
from dialogs.download_cards import download_card
from dialogs.export_cards import export_card
from dialogs.feedback_cards import feedback_card
from dialogs.hr_activities import activities_card
from dialogs.hr_cards import (
    analysis_card,
    calendar_card,
    change_card,
    close_card,
    extend_card,
    new_round_card,
    round_card,
    rounds_card,
    status_card,
)
from dialogs.hr_programmes import end_programme_card
from dialogs.identified_cards import department_cards, picker_card
from dialogs.import_cards import (
    applied_card,
    cancelled_card,
    preview_card,
    problems_card,
    templates_card,
    upload_card,
)
from dialogs.language_cards import language_card
from dialogs.my_data_cards import cancelled_card as erase_cancelled_card
from dialogs.my_data_cards import erase_card, erased_card, my_data_card, nothing_to_erase_card
from dialogs.people_cards import add_hr_card, leave_card, remove_hr_card, roles_card
from dialogs.remind_cards import remind_when_card
from dialogs.roster_cards import add_chef_card, chef_card, found_card, roster_card
from dialogs.texts import t
from dialogs.welcome import welcome_card
from followup.check_in.steps import ActivityItem, AreaBlock, Feedback
from followup.digest.compile import Digest
from followup.digest.consortium import (
    ConsortiumDigest,
    ConsortiumFigures,
    MemberPart,
    MemberState,
    compile_members,
)
from followup.digest.figures import ActivityFigures, Confidence, NeedFigures
from followup.digest.identified import chef_answers
from followup.digest.publication import Publication
from followup.forms import FormError
from followup.hr.activities import ActivityRow
from followup.hr.imports import Preview
from followup.hr.roles import RoleHolder
from followup.imports.changes import Changes, ImportReport
from followup.imports.detect import KINDS
from followup.imports.problems import Location, Problem
from followup.policy import Policy
from followup.privacy.erasure import erase_answers, plan_erasure
from followup.privacy.my_data import collect
from followup.rounds.lifecycle import Audience, department_names, round_audience
from followup.rounds.progress import Counts, Progress, RoundRow, overview, progress
from followup.sections import DEFAULT_SECTIONS, MAX_TEXT, NEEDS, STATUSES
from storage.database import Database
from storage.models import Chef, Department, Programme, Role, Round, RoundState
from storage.types import utcnow
from tests.cards import assert_valid_cards, walk
from tests.dialogs.test_check_in_cards import ERRORS, make_check_in
from tests.followup.digest.test_compile import IFO, two_rounds
from tests.phone import Drawn, draw

LANGUAGES = ("sv", "en")
POLICY = Policy()
ZONE = POLICY.zone
TODAY = date(2026, 10, 19)  # a Monday
NOW = datetime(2026, 10, 19, 8, 30, tzinfo=UTC)
STEP_MOST = 1_400  # px at 360 px wide: about two phone screens

LONG_DEPARTMENT = "Arbetsmarknads- och socialförvaltningen"
DEPARTMENTS = (
    LONG_DEPARTMENT,
    "Individ- och familjeomsorg",
    "Äldreomsorg och hälso- och sjukvård",
    "Funktionsstöd (LSS) och socialpsykiatri",
    "Ekonomiskt bistånd och arbetsmarknadsinsatser",
    "Barn och unga – utredning och öppenvård",
    "Hemtjänst och hemsjukvård, norra distriktet",
    "Myndighetsutövning äldreomsorg",
    "Kvalitets- och utvecklingsenheten",
)
LONG_NAMES = (
    "Ann-Charlotte Gustafsson-Lindqvist",
    "Maria-Magdalena Åkesson Öhrström",
    "Karl-Johan Wästerberg Sjöholm",
    "Lovisa Ingeborg Hammarskjöld",
)
LONG_ACTIVITIES = (
    "Kompetensförsörjningsplan för Arbetsmarknads- och socialförvaltningen",
    "Implementering av verksamhetsuppföljningssystemet",
    "Introduktionsprogram för nyanställda enhetschefer inom äldreomsorgen",
    "Arbetsmiljöutbildning med fokus på organisatorisk och social arbetsmiljö",
)

# functions named like card builders that build none: what they are instead
NOT_BUILDERS = {
    "dialogs.cards.replace_card": "sends a card in place of the pressed one",
    "dialogs.cards.show_card": "sends a card in place of the pressed one, or as a new one",
    "dialogs.digest_cards.compiled_digest_card": "reads a round, then calls digest_card",
    "dialogs.hr_flow.invalid_card": "a route's handler",
    "dialogs.routes.chef_card": "a route's handler",
    "dialogs.routes.invalid_chef_card": "a route's handler",
}


def card_builders() -> dict[str, Callable[..., Any]]:
    """Every public function in `dialogs/` named `*_card` or `*_cards`, but those that build
    none (NOT_BUILDERS)."""
    found: dict[str, Callable[..., Any]] = {}
    for info in pkgutil.iter_modules(dialogs.__path__):
        module = importlib.import_module(f"dialogs.{info.name}")
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if function.__module__ != module.__name__ or name.startswith("_"):
                continue
            if name.endswith(("_card", "_cards")):
                found[f"{module.__name__}.{name}"] = function
    assert set(NOT_BUILDERS) <= set(found), set(NOT_BUILDERS) - set(found)
    return {name: f for name, f in found.items() if name not in NOT_BUILDERS}


def record_calls(
    builders: dict[str, Callable[..., Any]], monkeypatch: pytest.MonkeyPatch
) -> set[str]:
    """The names of the builders called from now on, however a module imported them: each is
    wrapped wherever `dialogs` or the tests hold it (in threads too: the digest's card is drawn
    off the event loop)."""
    called: set[str] = set()
    names = {id(function): name for name, function in builders.items()}

    def wrapped(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(function)
        def builder(*args: Any, **kwargs: Any) -> Any:
            called.add(name)
            return function(*args, **kwargs)

        return builder

    for module in list(sys.modules.values()):
        if not module.__name__.startswith(("dialogs.", "tests.")):
            continue
        for attribute, value in list(vars(module).items()):
            if id(value) in names:
                monkeypatch.setattr(module, attribute, wrapped(names[id(value)], value))
    return called


# --- the gallery ---------------------------------------------------------------------------


def long_check_in() -> Any:
    """Eight steps: three areas of activities, long names, carried ones and needs answered."""
    check_in = make_check_in(answered=True, last=True)
    long_items = tuple(
        ActivityItem(
            id=200 + index,
            code=f"AM{index + 1}",
            title=title,
            description="Genomförs tillsammans med HR-avdelningen och skyddsombuden.",
            owner="Förvaltningens HR-strateg Kristina Wästerberg",
            due=date(2026, 12, 31),
            status=STATUSES[index % len(STATUSES)],
            comment="Påbörjat under våren; uppföljningen sker på ledningsgruppsmötet.",
            last_status="delayed",
            carried=index % 2 == 0,
        )
        for index, title in enumerate(LONG_ACTIVITIES)
    )
    areas = (*check_in.areas, AreaBlock("AM", "Arbetsmiljö och hälsofrämjande arbete", long_items))
    check_in = replace(check_in, areas=areas, round_title="Uppföljning hösten 2026")
    assert len(check_in.steps) == 14  # SK's 18 activities over six steps, AM's 4 over two
    return check_in


def check_in_cards(language: str) -> list[tuple[str, dict[str, Any]]]:
    check_in = long_check_in()
    fresh = replace(
        check_in,
        answers=make_check_in().answers,
        areas=tuple(
            replace(a, items=tuple(replace(i, status=None, comment="") for i in a.items))
            for a in check_in.areas
        ),
    )
    submitted = replace(
        check_in,
        invitation_state="submitted",
        submitted_at=datetime(2026, 10, 14, 8, 30, tzinfo=UTC),
    )
    cards = [
        ("invitation", invitation_card(fresh, language, zone=ZONE, today=TODAY)),
        ("invitation submitted", invitation_card(submitted, language, zone=ZONE, today=TODAY)),
    ]
    for check_in_ in (fresh, check_in):
        state = "empty" if check_in_ is fresh else "answered"
        for step in check_in_.steps[:-1]:
            cards.append(
                (f"step {step} {state}", step_card(check_in_, step, language, today=TODAY))
            )
    for step in check_in.steps[:-1]:
        if step in ERRORS:
            cards.append(
                (
                    f"step {step} errors",
                    step_card(check_in, step, language, ERRORS[step], today=TODAY),
                )
            )
    cards.append(
        (
            "step area:AM errors",
            step_card(
                check_in,
                "area:AM",
                language,
                [
                    FormError("status:200", "required"),
                    FormError("comment:201", "too_long", {"max": MAX_TEXT, "length": 3000}),
                ],
                today=TODAY,
            ),
        )
    )
    cards += [
        ("summary", summary_card(check_in, language)),
        ("summary changed", summary_card(replace(submitted, changed=("area:AM",)), language)),
        ("receipt", receipt_card(submitted, language, can_change=True, zone=ZONE, today=TODAY)),
        (
            "receipt closed",
            receipt_card(submitted, language, can_change=False, zone=ZONE, today=TODAY),
        ),
        ("invitation closed", closed_card(fresh, language)),
        ("language", language_card(language)),
        ("language chosen", language_card(language, note=t(language, "language.chosen"))),
    ]
    return cards


def feedback_cards(language: str, group: Digest) -> list[tuple[str, dict[str, Any]]]:
    own = Feedback(
        (("Uppföljning våren 2025", 3), ("Uppföljning hösten 2025", 4), ("Delår 1 2026", 4)),
        LONG_ACTIVITIES[:3],
        (
            ("support", 2, "Handledning i svåra samtal med anhöriga och medarbetare."),
            ("clarity", 1, ""),
            ("training", 2, "Arbetsrätt och arbetsmiljölagstiftning för chefer."),
        ),
    )
    return [
        ("feedback", feedback_card(own, language, group=group, k=3)),
        ("feedback alone", feedback_card(Feedback((), (), ()), language, k=3)),
    ]


def long_round(**changes: Any) -> Round:
    values: dict[str, Any] = {
        "id": 9,
        "organisation_id": 1,
        "programme_id": 1,
        "title": "Uppföljning hösten 2026 – Arbetsmarknads- och socialförvaltningen",
        "state": RoundState.OPEN.value,
        "opens_at": datetime(2026, 10, 15, 6, 0, tzinfo=UTC),
        "deadline": datetime(2026, 11, 5, 22, 59, tzinfo=UTC),
        "reminder_offsets": [7, 2],
        "reminder_cap": 2,
        "sections": dict(DEFAULT_SECTIONS),
        "k": 3,
        "created_by": "kristina.wasterberg@kommunen.se",
    }
    return Round(**(values | changes))


def many_departments() -> Progress:
    """A status of a round in nine departments with long names, some chefs unreachable, on
    leave or added late, and more chefs waiting than a card names."""
    total, departments = Counts(), {}
    for index, name in enumerate(DEPARTMENTS):
        counts = Counts()
        for n in range(12 + index):
            state = ("submitted", "started", "delivered", "pending")[n % 4]
            if n == 5:
                state = "unreachable"
            reason = "ConversationBlockedByUser" if state == "unreachable" else None
            for c in (counts, total):
                c.add(state, reason, late=n == 3)
        for c in (counts, total):
            c.on_leave += index % 3
        departments[name] = counts
    waiting = [f"{LONG_NAMES[n % len(LONG_NAMES)]} {n}" for n in range(72)]
    return Progress(long_round(), total, departments, waiting)


def long_departments() -> list[Department]:
    return [
        Department(id=index + 1, organisation_id=1, code=f"D{index + 1}", name=name)
        for index, name in enumerate(DEPARTMENTS)
    ]


def long_chefs() -> list[Chef]:
    return [
        Chef(
            id=index + 1,
            organisation_id=1,
            department_id=index % len(DEPARTMENTS) + 1,
            upn=f"{name.split()[0].lower()}.{name.split()[-1].lower()}@vasteras.se",
            email=f"{name.split()[0].lower()}.{name.split()[-1].lower()}@vasteras.se",
            name=name,
            unit="Hemtjänstgruppen Centrum–Västra Stranden",
            on_leave_until=date(2026, 12, 31) if index == 1 else None,
        )
        for index, name in enumerate(LONG_NAMES)
    ]


def hr_cards(language: str) -> list[tuple[str, dict[str, Any]]]:
    departments = long_departments()
    chefs = long_chefs()
    names = {d.id: d.name for d in departments if d.id is not None}
    programme = Programme(
        id=1,
        organisation_id=1,
        code="LEDA-2024",
        title="Ledarskapsprogrammet för enhetschefer inom Arbetsmarknads- och socialförvaltningen",
        start_year=2024,
        end_year=2027,
        round_opens=["04-15", "10-15"],
        answer_days=21,
    )
    status = many_departments()
    with_counts = [(d, 10 + (d.id or 0)) for d in departments]
    closed = long_round(state=RoundState.CLOSED.value, closed_at=NOW)
    # HR's texts as a municipality writes them: long sentences, long compound words
    analysed = long_round(
        analysis=(
            "Svarsfrekvensen steg från 71 till 84 procent. Tryggheten i rollen som "
            "förändringsledare ökade i Individ- och familjeomsorgen men inte i "
            "Arbetsmarknadsenheten, där behovet av handledning och tydliggörande av "
            "uppgifter är störst.\n\n" * 4
        ).strip(),
        next_steps="Verksamhetsutvecklingsnätverket startar i januari; HR följer upp i maj.",
        analysis_at=NOW,
    )
    rows = [
        RoundRow(long_round(id=n, title=f"Uppföljning {season} {year}"), 48, 48 - n)
        for n, (season, year) in enumerate(
            [(s, y) for y in (2024, 2025, 2026) for s in ("våren", "hösten")], start=1
        )
    ]
    rows.append(RoundRow(closed, 52, 41))
    holders = [
        RoleHolder(
            principal="kristina.wasterberg@vasteras.se",
            role=Role.HR_ADMIN,
            department_id=None,
            department=None,
            added_by="it-avdelningen@vasteras.se",
            added_at=NOW,
        ),
        RoleHolder(
            principal="0f8fad5b-d9cb-469f-a165-70867728950e",
            role=Role.DEPARTMENT_LEAD,
            department_id=1,
            department=LONG_DEPARTMENT,
            added_by="kristina.wasterberg@vasteras.se",
            added_at=NOW,
        ),
    ]
    activities = [
        ActivityRow(n + 1, programme.title, f"A{n + 1:02}", title, (2025, 2026, 2027), n % 2 == 0)
        for n, title in enumerate(LONG_ACTIVITIES)
    ]
    audience = Audience(invited=chefs[:2] + chefs[3:], on_leave=[chefs[1]])
    return [
        (
            "new round",
            new_round_card(
                language,
                programmes=[programme, programme.model_copy(update={"id": 2, "code": "CHEF-2028"})],
                departments=with_counts,
                everyone=audience,
                today=TODAY,
                k=3,
                policy=POLICY,
            ),
        ),
        (
            "round",
            round_card(
                long_round(state=RoundState.SCHEDULED.value),
                language,
                audience=audience,
                departments=list(DEPARTMENTS),
                zone=ZONE,
                today=TODAY,
            ),
        ),
        ("rounds", rounds_card(rows, language, zone=ZONE, today=TODAY)),
        ("status", status_card(status, language, now=NOW, zone=ZONE)),
        ("status lead", status_card(status, language, now=NOW, zone=ZONE, lead_scope=True)),
        ("status closed", status_card(replace(status, round=closed), language, now=NOW, zone=ZONE)),
        ("extend", extend_card(long_round(), language, today=TODAY, zone=ZONE)),
        (
            "change",
            change_card(
                long_round(),
                language,
                departments=with_counts,
                chosen=[1, 2, 5],
                today=TODAY,
                zone=ZONE,
            ),
        ),
        (
            "calendar",
            calendar_card(
                programme,
                language,
                next_opening=("Uppföljning våren 2027", date(2027, 4, 15)),
                policy=POLICY,
                today=TODAY,
            ),
        ),
        (
            "calendar none",
            calendar_card(programme, language, next_opening=None, policy=POLICY, today=TODAY),
        ),
        ("close", close_card(status, language)),
        ("analysis", analysis_card(closed, language, zone=ZONE, today=TODAY)),
        ("analysis open written", analysis_card(analysed, language, zone=ZONE, today=TODAY)),
        (
            "round analysed",
            round_card(
                analysed.model_copy(update={"state": RoundState.CLOSED.value, "closed_at": NOW}),
                language,
                audience=audience,
                departments=list(DEPARTMENTS),
                zone=ZONE,
                today=TODAY,
            ),
        ),
        ("end programme", end_programme_card(programme, language)),
        ("activities", activities_card(activities, language)),
        ("leave", leave_card(chefs, names, language, today=TODAY)),
        ("add hr", add_hr_card(departments, language)),
        ("remove hr", remove_hr_card(departments, language)),
        ("roles", roles_card(holders, language, zone=ZONE, today=TODAY)),
        (
            "remind when",
            remind_when_card(
                long_round(),
                language,
                later=datetime(2026, 10, 20, 6, 0, tzinfo=UTC),
                today=TODAY,
                zone=ZONE,
            ),
        ),
        ("roster", roster_card(language)),
        (
            "found",
            found_card(chefs, names, language, query="gustafsson", today=TODAY, zone=ZONE),
        ),
        ("chef", chef_card(chefs[0], departments, language, today=TODAY, zone=ZONE)),
        ("chef on leave", chef_card(chefs[1], departments, language, today=TODAY, zone=ZONE)),
        ("add chef", add_chef_card(departments, language)),
        *shared_digest_cards(language),
    ]


def shared_digest_cards(language: str) -> list[tuple[str, dict[str, Any]]]:
    """A regional centre's shared digest over long-named members: compiled, and waiting."""
    members = ["Smedjebackens kommun", "Ludvika kommun", "Älvdalens kommun"]
    statuses = {"not_started": 2, "in_progress": 5, "done": 12, "delayed": 3, "not_applicable": 1}
    activity = ActivityFigures("A01", LONG_ACTIVITIES[0], DEPARTMENTS[8], statuses, {})
    parts = [
        (
            MemberPart(name, MemberState.PUBLISHED, "Uppföljning hösten 2026", 24, 23),
            Publication(
                round_id=1,
                k=3,
                sealed=False,
                departments={},
                invitations=[],
                activities=[replace(activity, departments={LONG_DEPARTMENT: statuses})],
                areas={},
                needs=[NeedFigures(need, 9, 4, {}) for need in NEEDS],
                principles=[(1, "Vi följer upp och återkopplar", 11)],
                principle_respondents=23,
                confidence=Confidence(23, 3.6, 4.0, {3: 10, 4: 13}),
                confidence_departments={},
                quotes=[],
                hidden_departments=[],
            ),
        )
        for name in members
    ]
    compiled = compile_members("2026-autumn", parts, k=3)
    waiting = ConsortiumFigures(
        "2026-autumn",
        3,
        sealed=True,
        members=[MemberPart(members[0], MemberState.WAITING, "Uppföljning hösten 2026")],
    )
    goal = "Enhetscheferna känner sig trygga som förändringsledare."
    return [
        (
            name,
            consortium_card(
                consortium_report(
                    ConsortiumDigest(
                        "FoU Dalarna – Forskning och utveckling i samverkan",
                        "Ledarskapsutbildning för första linjens chefer i socialtjänsten",
                        goal,
                        NOW,
                        figures,
                        ["2026-autumn"],
                    ),
                    language,
                    zone=ZONE,
                    today=TODAY,
                ),
                language=language,
                # the file buttons of a half-year with figures (none while it waits)
                period=None if figures.sealed else figures.period,
            ),
        )
        for name, figures in (("shared digest", compiled), ("shared digest waiting", waiting))
    ]


def import_cards(language: str) -> list[tuple[str, dict[str, Any]]]:
    report = ImportReport(
        kind="plan",
        file="Ledarskapsprogrammet 2024–2027, reviderad version.xlsx",
        sections={
            "departments": Changes(added=list(DEPARTMENTS[:3]), changed=[DEPARTMENTS[4]]),
            "activities": Changes(
                added=[f"A{n:02}" for n in range(1, 31)], deactivated=["A31", "A32"]
            ),
        },
    )
    roster = ImportReport(
        kind="roster",
        file="Chefslista Arbetsmarknads- och socialförvaltningen.csv",
        sections={
            "chefs": Changes(
                added=[f"{n.split()[0].lower()}@vasteras.se" for n in LONG_NAMES],
                deactivated=["lovisa.hammarskjold@vasteras.se"],
            )
        },
    )
    problems = [
        Problem(
            Location(report.file, "Aktiviteter", 14, "Ansvarig"),
            "too_long",
            {"length": 312, "max": 200},
        ),
        Problem(Location(report.file, "Aktiviteter", 15, "År"), "bad_years", {"value": "2025–27"}),
        Problem(
            Location(report.file, "Avdelningar", 3, "Kod"),
            "duplicate_key",
            {"key": "AO", "first_row": 2},
        ),
        Problem(
            Location(roster.file, row=8, column="E-post"),
            "bad_upn",
            {"value": "karl-johan.wästerberg@"},
        ),
        Problem(Location("aktiviteter.csv"), "which_programme", {"code": ""}),
    ]
    expires = NOW + timedelta(minutes=30)
    return [
        ("problems", problems_card(report.file, problems, language)),
        (
            "preview",
            preview_card(
                Preview("t" * 43, "plan", report.file, report, expires), language, zone=ZONE
            ),
        ),
        (
            "preview roster",
            preview_card(
                Preview("r" * 43, "roster", roster.file, roster, expires), language, zone=ZONE
            ),
        ),
        ("applied", applied_card(report, language)),
        ("cancelled", cancelled_card(roster.file, language)),
        (
            "upload",
            upload_card(
                "https://ledarpuls.kommun.se/upload/" + "u" * 43, expires, language, zone=ZONE
            ),
        ),
        (
            "templates",
            templates_card(
                {kind: f"https://ledarpuls.kommun.se/templates/{kind}.xlsx" for kind in KINDS},
                language,
            ),
        ),
        (
            "download",
            download_card(
                name="Sammanställning Uppföljning hösten 2026 – Arbetsmarknads- och "
                "socialförvaltningen.docx",
                label="Ladda ned" if language == "sv" else "Download",
                url="https://ledarpuls.kommun.se/download/" + "d" * 43,
                language=language,
                lifetime=timedelta(minutes=15),
            ),
        ),
        (
            "welcome",
            welcome_card(
                language,
                name=LONG_NAMES[0],
                organisation="Arbetsmarknads- och socialförvaltningen i Kommunen",
                enrolled=True,
                k=3,
            ),
        ),
    ]


async def database_cards(db: Database) -> list[tuple[str, dict[str, Any]]]:
    """The cards built from a round in the database: the demo's two rounds, the second closed,
    its largest department renamed long; digests, answers per chef, my data and erasure."""
    first, second, digest = await two_rounds(db)
    async with db.session() as s, s.begin():
        department = (await s.exec(select(Department).where(Department.name == IFO))).one()
        department.name = LONG_DEPARTMENT
        chefs = list((await s.exec(select(Chef).order_by(col(Chef.name)))).all())
    organisation = chefs[0].organisation_id
    assert department.id is not None
    maria = next(c for c in chefs if c.name.startswith("Maria"))
    lena = next(c for c in chefs if c.name.startswith("Lena"))
    assert maria.id is not None and lena.id is not None
    now = utcnow()
    async with db.session() as s:
        programme = (await s.exec(select(Programme))).one()
    cards: list[tuple[str, dict[str, Any]]] = []
    for language in LANGUAGES:
        _, hr = await compiled_digest_card(
            db, round_id=second, now=now, language=language, policy=POLICY, downloads=True
        )
        _, lead = await compiled_digest_card(
            db,
            round_id=second,
            now=now,
            language=language,
            policy=POLICY,
            organisation_id=organisation,
            departments=frozenset({department.id}),
        )
        answers = await chef_answers(
            db, round_id=second, organisation_id=organisation, department_ids=None
        )
        per_chef = [c for d in answers.departments for c in department_cards(answers, d, language)]
        p = await progress(db, round_id=second, now=now, policy=POLICY)
        round_ = p.round
        audience = await round_audience(db, round_id=first, now=now, policy=POLICY)
        data = await collect(db, chef_id=maria.id)
        plan = await plan_erasure(db, chef_id=maria.id)
        nothing = await plan_erasure(db, chef_id=lena.id)
        assert data is not None and plan is not None and nothing is not None
        cards += [
            (f"{language} digest", hr),
            (f"{language} digest lead", lead),
            (f"{language} export", export_card(round_, programme, language, lead=False)),
            (f"{language} export lead", export_card(round_, programme, language, lead=True)),
            (f"{language} picker", picker_card(answers, language)),
            *((f"{language} answers {n}", c) for n, c in enumerate(per_chef)),
            (f"{language} status demo", status_card(p, language, now=now, zone=ZONE)),
            (f"{language} close demo", close_card(p, language)),
            (
                f"{language} rounds demo",
                rounds_card(
                    await overview(db, organisation_id=organisation),
                    language,
                    zone=ZONE,
                    today=POLICY.today(now),
                ),
            ),
            (
                f"{language} round demo",
                round_card(
                    round_,
                    language,
                    audience=audience,
                    departments=await department_names(db, round_id=second),
                    zone=ZONE,
                    heading=f"Läget i {round_.title}",
                    today=POLICY.today(now),
                ),
            ),
            *((f"{language} {n}", c) for n, c in feedback_cards(language, digest)),
            (
                f"{language} my data",
                my_data_card(
                    data,
                    language,
                    downloads=True,
                    link_lifetime=timedelta(minutes=15),
                    zone=ZONE,
                    today=POLICY.today(now),
                ),
            ),
            (f"{language} erase", erase_card(plan, language, issued=now)),
            (f"{language} nothing to erase", nothing_to_erase_card(nothing, language)),
            (f"{language} erase cancelled", erase_cancelled_card(language)),
        ]
    assert plan is not None
    done = await erase_answers(db, chef_id=maria.id, fingerprint=plan.fingerprint)
    cards += [(f"{language} erased", erased_card(done, language)) for language in LANGUAGES]
    return cards


async def gallery(db: Database) -> list[tuple[str, dict[str, Any]]]:
    cards = await database_cards(db)
    for language in LANGUAGES:
        for part in (check_in_cards, hr_cards, import_cards):
            cards += [(f"{language} {name}", card) for name, card in part(language)]
    return cards


# --- the test --------------------------------------------------------------------------------

# the check-in's steps and what follows them, laid out anew by the lead (issue 18, item 3: where
# you are, back, at most two phone screens a step): drawn apart, in the test marked for it
CHECK_IN_LAYOUT = ("step ", "summary", "receipt")


def check_in_layout(name: str) -> bool:
    return name.split(" ", 1)[1].startswith(CHECK_IN_LAYOUT)


def longest_row(card: dict[str, Any]) -> int:
    """The most buttons in one row of the card (its actions, or an ActionSet's)."""
    rows = [e.get("actions") for e in walk(card) if e.get("type") in ("AdaptiveCard", "ActionSet")]
    return max((len(row) for row in rows if isinstance(row, list)), default=0)


def problems(drawn: Drawn, card: dict[str, Any]) -> list[str]:
    """What a phone shows wrong. Two buttons side by side have room for a title each; a row of
    more may cut theirs off ("Upp…"), which Teams' phone apps scroll sideways instead: those are
    in phone.json, not a fault."""
    buttons = drawn.buttons if longest_row(card) <= 2 else []
    return [
        *(f"sticks out: {o}" for o in drawn.overflow),
        *(f"text wider than its box: {c}" for c in drawn.cut),
        *(f"word split over two lines: {w!r}" for w in drawn.broken),
        *(f"button title cut off: {b}" for b in buttons),
    ]


async def test_every_card_fits_a_phone(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    builders = card_builders()
    called = record_calls(builders, monkeypatch)
    cards = await gallery(db)
    missing = sorted(set(builders) - called)
    assert missing == [], f"card builders the phone gallery does not call: {missing}"
    names = [name for name, _ in cards]
    assert len(names) == len(set(names))
    assert_valid_cards([card for _, card in cards])

    shown = {name: card for name, card in cards if not check_in_layout(name)}
    drawn = draw(list(shown.items()))
    found = [f"{d.name}: {p}" for d in drawn for p in problems(d, shown[d.name])]
    assert found == [], "\n".join(["not made for a phone:", *found])
    assert all(d.height > 0 for d in drawn)


def test_the_check_ins_steps_fit_two_phone_screens() -> None:
    cards = {  # answered, a step shows its comments too: drawn both ways
        f"{language} {name}": card
        for language in LANGUAGES
        for name, card in check_in_cards(language)
        if check_in_layout(f"{language} {name}")
    }
    drawn = draw(list(cards.items()))
    found = [f"{d.name}: {p}" for d in drawn for p in problems(d, cards[d.name])]
    found += [
        f"{d.name}: {d.height} px tall"
        for d in drawn
        if " step " in f" {d.name} " and d.height > STEP_MOST
    ]
    assert found == [], "\n".join(["not made for a phone:", *found])
