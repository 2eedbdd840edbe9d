"""The digest per activity: how many departments (and chefs) report it done, in progress,
delayed, not started or not applicable — not "not finished if anyone says so" — and which
activities were carried over into the round; through the same privacy rules as every figure."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta

from docx import Document
from openpyxl import load_workbook
from sqlmodel import select

from dialogs.digest_cards import digest_card, digest_files
from dialogs.texts import t
from followup.check_in.steps import PlanCache
from followup.digest.compile import Digest, compile_digest
from followup.digest.figures import ActivityFigures
from followup.digest.publication import Publication
from followup.digest.report import build_report, overview_rows
from followup.policy import Policy
from followup.rounds.lifecycle import create_round, open_round
from followup.sections import DEFAULT_SECTIONS, Privacy, Section
from storage.database import Database
from storage.models import Department
from storage.publication_store import PublicationStore
from tests.cards import assert_valid_cards, walk
from tests.followup.check_in.test_carried import LEILA, MARIA, MIKAEL, answer, at, close
from tests.followup.check_in.test_steps import KARIN, demo

IFO, AO = "Individ- och familjeomsorg", "Äldreomsorg"
AREA_A01 = "Ledarskap och förändringsledning"
TITLE_A01 = "Workshoppar om de fem ledande principerna i alla ledningsgrupper"
NOW = datetime(2099, 1, 2, tzinfo=UTC)


def sv(key: str, **params: object) -> str:
    return t("sv", key, **params)


async def a_round(
    db: Database, org: int, programme: int, opens: date, *, activity_privacy: str, k: int
) -> int:
    round_ = await create_round(
        db,
        organisation_id=org,
        programme_id=programme,
        title=f"Omgång {opens.isoformat()}",
        deadline=at(opens + timedelta(days=21)),
        opens_at=at(opens),
        now=at(opens),
        policy=Policy(),
        sections={**DEFAULT_SECTIONS, Section.ACTIVITY_STATUS: activity_privacy},
        k=k,
    )
    assert round_.id is not None
    await open_round(db, round_id=round_.id, now=at(opens), policy=Policy())
    return round_.id


async def two_rounds(
    db: Database, *, activity_privacy: str = Privacy.IDENTIFIED, k: int = 2
) -> Digest:
    """Autumn 2025: IFO leaves A14 unfinished (one chef of two), ÄO A08. Spring 2026: both are
    asked again there; IFO says A14 is done, ÄO's chefs disagree on A08."""
    org, programme, _ = await demo(db)
    plans = PlanCache()
    autumn = await a_round(
        db, org, programme, date(2025, 10, 15), activity_privacy=activity_privacy, k=k
    )
    await answer(db, autumn, MARIA, plans, A14="delayed")
    await answer(db, autumn, LEILA, plans, A14="done")
    await answer(db, autumn, KARIN, plans, A08="in_progress")
    await answer(db, autumn, MIKAEL, plans, A08="done")
    await close(db, autumn)
    spring = await a_round(
        db, org, programme, date(2026, 4, 15), activity_privacy=activity_privacy, k=k
    )
    await answer(db, spring, MARIA, plans, A14="done")
    await answer(db, spring, LEILA, plans, A14="done", A01="delayed")
    await answer(db, spring, KARIN, plans, A08="delayed", A01="in_progress")
    await answer(db, spring, MIKAEL, plans, A08="done")
    await close(db, spring)
    return await compile_digest(db, round_id=spring, now=NOW)


def activity(digest: Digest, code: str) -> ActivityFigures:
    return next(a for a in digest.activities or [] if a.code == code)


async def test_each_activity_is_a_distribution_over_departments_and_chefs(db: Database) -> None:
    digest = await two_rounds(db)
    a01 = activity(digest, "A01")  # for every department, every year
    # IFO: one chef delayed, one done → delayed; ÄO: in progress and done → in progress
    assert a01.department_counts == {"delayed": 1, "in_progress": 1}
    assert a01.counts == {"delayed": 1, "in_progress": 1, "done": 2}
    a08 = activity(digest, "A08")  # carried in ÄO only
    assert a08.department_counts == {"delayed": 1} and a08.counts == {"delayed": 1, "done": 1}
    a14 = activity(digest, "A14")  # carried in IFO, done there by both
    assert a14.department_counts == {"done": 1}
    assert [(c.code, c.departments) for c in digest.carried] == [("A08", [AO]), ("A14", [IFO])]

    report = build_report(digest, sv, zone=Policy().zone)
    prose = " ".join(report.prose)
    assert "Cheferna rapporterade status för" in prose
    done = len(digest.done_everywhere)
    assert done >= 1 and f"{done} av {len(digest.activities or [])} aktiviteter" in prose
    assert "2 aktiviteter är försenade i minst en avdelning." in prose
    assert "2 aktiviteter var med i omgången för att de inte var klara i förra omgången." in prose
    titles = [table.title for table in report.tables]
    assert "Status per aktivitet: avdelningar och chefer" in titles
    carried = next(tb for tb in report.tables if tb.title.startswith("Aktiviteter som följde med"))
    assert [row[2] for row in carried.rows] == [AO, IFO] and carried.board
    key_figures = dict(overview_rows(digest, sv))
    assert key_figures["Aktiviteter som följde med från förra omgången"] == 2
    assert key_figures["Aktiviteter försenade i minst en avdelning"] == 2

    files = digest_files(digest, "sv", zone=Policy().zone)
    today = Policy().today(NOW)
    card = digest_card(files, today=today)
    english = digest_card(digest_files(digest, "en", zone=Policy().zone), today=today)
    assert_valid_cards([card, english])
    shown = [e["text"] for e in walk(card) if e.get("type") in ("TextBlock", "TextRun")]
    assert "Följde med från förra omgången" in shown
    assert any(s.startswith("Fortbildning i arbetsrätt") and s.endswith(IFO) for s in shown)
    assert "Avdelningar: Pågår 1, Försenad 1 · Chefer: Pågår 1, Genomförd 2, Försenad 1" in shown
    markdown = files.render("md").decode()
    assert "## Aktiviteter som följde med från förra omgången (inte klara då)" in markdown
    sheet = load_workbook(io.BytesIO(files.render("xlsx")))["Aktiviteter"]
    cells = [[c.value for c in row] for row in sheet.iter_rows()]
    assert [r[0] for r in cells if str(r[0] or "").startswith("Status per aktivitet")] == [
        "Status per aktivitet: avdelningar och chefer"
    ]
    assert any(r[:4] == [AREA_A01, TITLE_A01, "Avdelningar", 0] and r[6] == 1 for r in cells)
    board = Document(io.BytesIO(files.render("docx")))
    headings = [p.text for p in board.paragraphs if p.style is not None and p.style.name]
    assert "Status per aktivitet: avdelningar och chefer" in headings
    assert "Aktiviteter som följde med från förra omgången (inte klara då)" in headings


async def test_a_confidential_section_hides_small_departments_and_who_carried_what(
    db: Database,
) -> None:
    digest = await two_rounds(db, activity_privacy=Privacy.CONFIDENTIAL, k=3)
    # k = 3: IFO and ÄO have two answers each, too few to show alone: A01 is shown overall
    # (four chefs) but no department's status is, nor counted into the distribution
    a01 = activity(digest, "A01")
    assert a01.counts == {"delayed": 1, "in_progress": 1, "done": 2}
    assert a01.department_counts == {} and a01.departments_hidden == 2
    # A08 only ÄO's two chefs answered: hidden altogether, its distribution too
    a08 = activity(digest, "A08")
    assert a08.counts is None and a08.department_counts is None
    markdown = digest_files(digest, "sv", zone=Policy().zone).render("md").decode()
    assert "Avdelningar som inte visas (färre än k svar)" in markdown
    # which departments left an activity unfinished is not told when statuses are confidential
    assert [(c.code, c.departments) for c in digest.carried] == [("A08", None), ("A14", None)]


def test_a_departments_figures_that_are_hidden_are_left_out_of_the_distribution() -> None:
    figures = ActivityFigures(
        "A1",
        "Introduktion",
        "Ledarskap",
        {"done": 5, "delayed": 1},
        {"IFO": {"done": 3}, "ÄO": {"done": 2, "delayed": 1}, "LSS": None, "—": {"done": 1}},
    )
    old = Publication.from_json(
        {
            "round_id": 1,
            "k": 3,
            "sealed": False,
            "departments": {"IFO": 1, "ÄO": 2, "LSS": 3},
            "invitations": [],
            "activities": [
                {
                    "code": figures.code,
                    "title": figures.title,
                    "area": figures.area,
                    "counts": figures.counts,
                    "departments": figures.departments,
                }
            ],
            "areas": {},
            "needs": None,
            "principles": None,
            "principle_respondents": 0,
            "confidence": None,
            "confidence_departments": {},
            "quotes": [],
            "hidden_departments": ["LSS"],
        }
    )
    # a publication kept before the distribution existed reads, worked out from its figures
    [kept] = old.activities or []
    assert kept.department_counts == {"done": 1, "delayed": 1}
    assert kept.departments_hidden == 1
    assert old.carried == []
    assert Publication.from_json(old.to_json()) == old


async def test_a_kept_publication_is_read_as_it_was_kept(db: Database) -> None:
    digest = await two_rounds(db)
    assert digest.round.id is not None
    stored = await PublicationStore(db).get(digest.round.id)
    assert stored is not None
    assert stored.figures["carried"][0]["code"] == "A08"
    async with db.session() as s:
        names = {d.name for d in (await s.exec(select(Department))).all()}
    assert {IFO, AO} <= names
