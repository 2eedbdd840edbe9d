"""The example digest in docs/: the demo programme with two rounds of made-up answers (a fixed
random seed, so it comes out the same every time), written as Markdown, XLSX and DOCX, with the
DOCX as PDF/A and its pages as PNG when LibreOffice and pdftoppm are installed. Run with
`make docs-example`.

(It lives beside the benchmarks because, like them, it fills a database with generated data.)"""

from __future__ import annotations

import asyncio
import random
import shutil
import subprocess
import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlmodel import col, select

from bot.demo import load_demo
from dialogs.digest_cards import digest_files
from followup.check_in.steps import load_check_in
from followup.digest.compile import compile_digest
from followup.digest.pdf import PdfUnavailable, pdf_a
from followup.policy import Policy
from followup.rounds.lifecycle import close_round, create_round, open_round
from followup.rounds.progress import set_on_leave
from followup.sections import NEEDS, STATUSES
from storage import migrate
from storage.answer_store import AnswerStore
from storage.database import Database
from storage.models import Chef, Invitation, Programme, Round
from storage.types import utcnow

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs/example-digest"
STRENGTHS = [
    "Jag är bra på att lyssna in medarbetarna innan vi ändrar arbetssätt.",
    "Att förklara varför en förändring behövs, och att stå kvar när det blåser.",
    "Jag delar ledarskapet med mina samordnare och litar på dem.",
    "Jag håller i uppföljningen tills det nya arbetssättet sitter.",
    "Att göra medarbetarna delaktiga från början, inte när allt redan är bestämt.",
    "Jag är lugn i förändring och kan ge gruppen arbetsro.",
]
# HR's analysis and next steps for the last round, as HR writes them in Teams before the
# report goes to the board
ANALYSIS = """Tryggheten i rollen som förändringsledare fortsätter att öka, och flest enhetschefer \
säger nu att de är trygga eller mycket trygga. Ökningen är tydligast i äldreomsorgen, där \
stödet vid omställningen av hemtjänsten har kommit igång.

Två av tre chefer uttrycker fortfarande behov av stöd och av hjälp i förändringsarbetet. \
Introduktionen för nya chefer och det gemensamma nätverket för IFO och socialpsykiatri är \
försenade, främst för att tjänster har stått vakanta under våren."""
NEXT_STEPS = """HR tillsätter en samordnare för introduktionsprogrammet före sommaren och \
startar det gemensamma nätverket för IFO och socialpsykiatri i september.

Analysen av antalet medarbetare per enhetschef redovisas för socialnämnden i oktober, \
tillsammans med nästa uppföljning."""


# the two rounds of the example, on fixed days (so it does not depend on the day it is made):
# autumn 2025, and spring 2026 with what autumn left unfinished carried on
ROUNDS = (("Delår 2 2025", date(2025, 10, 15), 0), ("Delår 1 2026", date(2026, 4, 15), 1))


def _status(rng: random.Random, before: str | None, lift: int) -> str:
    """A department's status of an activity this round: done stays done; later rounds get on."""
    if before in ("done", "not_applicable"):
        return before
    return rng.choices(STATUSES, weights=(2, 4, 4 + 6 * lift, 1, 1))[0]


async def fill(db: Database, rng: random.Random) -> tuple[int, datetime]:
    org = await load_demo(
        db,
        plan=ROOT / "examples/demo-plan.yaml",
        roster=ROOT / "examples/demo-roster.yaml",
        policy=Policy(),
    )
    assert org is not None and org.id is not None
    # the example does not depend on the day it is made: nobody is on leave
    async with db.session() as session:
        programme = (await session.exec(select(Programme))).one()
        away = [c.upn for c in (await session.exec(select(Chef))).all() if c.on_leave_until]
    for upn in away:
        await set_on_leave(
            db, organisation_id=org.id, upn=upn, until=None, now=utcnow(), policy=Policy()
        )
    assert programme.id is not None
    store = AnswerStore(db)
    last, closed = 0, utcnow()
    # each department mostly agrees on an activity; now and then a chef sees it otherwise
    departments: dict[tuple[int | None, int], str] = {}
    for title, opens, lift in ROUNDS:
        now = datetime(opens.year, opens.month, opens.day, 6, tzinfo=UTC)
        round_ = await create_round(
            db,
            organisation_id=org.id,
            programme_id=programme.id,
            title=title,
            deadline=now + timedelta(days=21),
            now=now,
            policy=Policy(),
        )
        assert round_.id is not None
        await open_round(db, round_id=round_.id, now=now, policy=Policy())
        async with db.session() as session:
            invitations = list(
                (
                    await session.exec(
                        select(Invitation)
                        .where(Invitation.round_id == round_.id)
                        .order_by(col(Invitation.id))
                    )
                ).all()
            )
        agreed: dict[tuple[int | None, int], str] = {}
        for number, invitation in enumerate(invitations[: 10 + lift]):
            assert invitation.id is not None
            # what the check-in asks this chef: the plan's activities for their department
            # this year, and what their department left unfinished
            check_in = await load_check_in(db, invitation.id, policy=Policy())
            assert check_in is not None
            statuses = {}
            for area in check_in.areas:
                for item in area.items:
                    key = (check_in.department_id, item.id)
                    if key not in agreed:
                        agreed[key] = _status(rng, departments.get(key), lift)
                    status = agreed[key]
                    if rng.random() < 0.15:
                        status = rng.choices(STATUSES, weights=(1, 3, 4, 1, 1))[0]
                    comment = (
                        "Vi väntar på att tjänsten ska tillsättas." if status == "delayed" else ""
                    )
                    statuses[item.id] = (status, comment)
            ratings = {("strengths_needs", f"need.{n}"): rng.choice((0, 1, 1, 2)) for n in NEEDS}
            ratings[("principles", "most")] = rng.randint(1, 5)
            ratings[("confidence", "confidence")] = min(5, rng.randint(2, 4) + lift)
            ratings[("consent", "quote")] = rng.choice((0, 1, 1, 1))
            await store.save(
                invitation_id=invitation.id,
                now=now,
                statuses=statuses,
                # the same words from two chefs are quoted once
                texts={("strengths_needs", "strengths"): STRENGTHS[number % len(STRENGTHS)]},
                ratings=ratings,
            )
            await store.submit(invitation_id=invitation.id, now=now)
        departments.update(agreed)
        closed = now + timedelta(days=21)
        await close_round(db, round_id=round_.id, now=closed)
        last = round_.id
    async with db.session() as session, session.begin():
        written = await session.get(Round, last)
        assert written is not None
        written.analysis, written.next_steps = ANALYSIS, NEXT_STEPS
        written.analysis_at = closed + timedelta(days=5)
    return last, closed


async def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite+aiosqlite:///{Path(tmp) / 'example.db'}")
        await migrate.upgrade(db)
        round_id, closed = await fill(db, random.Random(2026))
        digest = await compile_digest(db, round_id=round_id, now=closed)
        await db.dispose()
    files = digest_files(digest, "sv", zone=Policy().zone)
    for kind in ("md", "xlsx", "docx"):
        (OUT / f"sammanstallning.{kind}").write_bytes(files.render(kind))
    print(f"wrote {OUT}/sammanstallning.md, .xlsx and .docx")


def render_pages() -> None:
    """The DOCX as PDF/A (what `ledarpuls digest --format pdf` makes, with LibreOffice) and its
    pages as PNG for the README, when LibreOffice and pdftoppm are installed."""
    pdftoppm = shutil.which("pdftoppm")
    try:
        pdf = pdf_a((OUT / "sammanstallning.docx").read_bytes(), soffice="soffice")
    except PdfUnavailable as why:
        print(f"no PDF/A ({why.reason}: LibreOffice, soffice): the DOCX pages are not rendered")
        return
    (OUT / "sammanstallning.pdf").write_bytes(pdf)
    if pdftoppm is None:
        print("pdftoppm is missing (poppler-utils): the DOCX pages are not rendered")
        return
    for old in OUT.glob("sida-*.png"):
        old.unlink()
    subprocess.run(
        [pdftoppm, "-png", "-r", "70", str(OUT / "sammanstallning.pdf"), str(OUT / "sida")],
        check=True,
        timeout=300,
    )
    print("rendered the DOCX pages:", ", ".join(sorted(p.name for p in OUT.glob("sida-*.png"))))


if __name__ == "__main__":
    asyncio.run(main())
    render_pages()
