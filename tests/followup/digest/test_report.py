"""The digest as the board and HR read it: the prose that sums a round up, its tables, hidden
figures as a dash, names only beside identified answers and never in the board's copy, and
every text in the Markdown shown as written."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from markdown_it import MarkdownIt

from dialogs.digest_cards import digest_files, texts_in
from followup.digest.compile import (
    ActivityFigures,
    Confidence,
    Digest,
    NeedFigures,
    Response,
    TrendPoint,
)
from followup.digest.identified import ActivityAnswer, ChefAnswers, DepartmentAnswers
from followup.digest.report import Report, build_report, md_text, overview_rows, render_markdown
from followup.policy import Policy
from storage.database import Database
from storage.models import Round
from tests.followup.digest.test_compile import AO, IFO, LSS, two_rounds

SV = texts_in("sv")
STOCKHOLM = ZoneInfo("Europe/Stockholm")
JOHAN = "Johan Lindqvist"
DEADLINE = datetime(2026, 6, 30, 10, 0, tzinfo=UTC)


def a_round(**sections: str) -> Round:
    return Round(
        id=2,
        organisation_id=1,
        programme_id=1,
        title="Delår 2",
        state="closed",
        deadline=DEADLINE,
        closed_at=datetime(2026, 6, 30, 22, 30, tzinfo=UTC),  # 1 July in Sweden
        reminder_offsets=[],
        reminder_cap=0,
        sections=sections
        or {
            "activity_status": "identified",
            "strengths_needs": "confidential",
            "confidence": "confidential",
        },
        k=3,
    )


def point(round_id: int, title: str, mean: float | None, **departments: float | None) -> TrendPoint:
    return TrendPoint(round_id, title, DEADLINE, 8, mean, dict(departments))


def a_digest(**changes: Any) -> Digest:
    """Delår 2: 7 of 11 answered; one activity, still open for some; support and training
    needed; confidence up from Delår 1; LSS too small to show on its own."""
    statuses = {"done": 3, "delayed": 2, "not_started": 1, "in_progress": 1}
    digest = Digest(
        round=a_round(),
        organisation="Demokommunen",
        programme="Stärkt ledarskap",
        goal="",
        k=3,
        compiled_at=DEADLINE,
        total=Response("Alla", 11, 7),
        departments=[Response("IFO", 3, 3), Response("ÄO", 4, 3), Response("LSS", 4, 1)],
        unreachable=1,
        on_leave=2,
        unreachable_reasons={"ConversationBlockedByUser": 1},
        activities=[
            ActivityFigures(
                "A1",
                "Introduktion för nya chefer",
                "Ledarskap",
                statuses,
                {"IFO": {"done": 2, "delayed": 1}, "LSS": None},
            )
        ],
        areas={"Ledarskap": statuses},
        identified=[
            DepartmentAnswers(
                1,
                "IFO",
                (
                    ChefAnswers(
                        JOHAN,
                        (
                            ActivityAnswer(
                                "A1", "Introduktion för nya chefer", "delayed", "Vikarier saknas"
                            ),
                            ActivityAnswer("A2", "Nätverk", "done", ""),
                        ),
                    ),
                ),
            )
        ],
        needs=[
            NeedFigures("support", 4, 2, {"IFO": None, "LSS": None, "ÄO": 1}),
            NeedFigures("training", 5, 1, {}),
            NeedFigures("change", 0, 0, {}),
        ],
        principles=[(1, "Tillit", 3)],
        principle_respondents=7,
        confidence=Confidence(7, 3.57, 4.0, {1: 0, 2: 1, 3: 2, 4: 2, 5: 2}),
        confidence_departments={},
        trend=[point(1, "Delår 1", 2.75, IFO=2.67), point(2, "Delår 2", 3.57, IFO=3.67)],
        quotes=[
            ("strengths_needs", "strengths", "Jag lyssnar"),
            ("strengths_needs", "need.support", "Mer handledning"),
        ],
        hidden_departments=["LSS"],
    )
    return replace(digest, **changes)


def report(digest: Digest) -> Report:
    return build_report(digest, SV, zone=STOCKHOLM)


def markdown(digest: Digest) -> str:
    return render_markdown(report(digest), overview_rows(digest, SV))


def test_the_board_reads_the_round_in_a_few_sentences() -> None:
    assert report(a_digest()).prose == [
        "I omgången Delår 2 svarade 7 av 11 enhetschefer (64 %).",
        "2 chefer var frånvarande när omgången öppnades och fick inte frågorna. 1 chef gick inte"
        " att nå i Teams och räknas som inte svarat.",
        "Cheferna rapporterade status för 1 av programmets aktiviteter. 43 % av svaren anger att"
        " aktiviteten är genomförd och 29 % att den är försenad. 0 av 1 aktiviteter är"
        " genomförda i alla avdelningar som svarat. 1 aktivitet är försenad i minst en avdelning."
        " 1 aktivitet är inte klar i alla avdelningar och följer med till nästa omgång i de"
        " avdelningar där den inte är klar.",
        "På frågan hur trygga de känner sig i rollen som förändringsledare svarade cheferna i"
        " genomsnitt 3,6 på en skala från 1 till 5 (median 4,0). Det är en ökning från 2,8 i"
        " Delår 1.",
        "De behov som flest chefer nämner är fortbildning och stöd (5 chefer anger visst eller"
        " stort behov av det första).",
    ]


def test_confidence_is_compared_with_the_last_round_that_showed_it() -> None:
    def confidence(*trend: TrendPoint) -> str:
        return next(p for p in report(a_digest(trend=list(trend))).prose if "trygga" in p)

    now = point(2, "Delår 2", 3.57)
    assert confidence(point(1, "Delår 1", 4.0), now).endswith("minskning från 4,0 i Delår 1.")
    assert confidence(point(1, "Delår 1", 3.6), now).endswith("ungefär som i Delår 1 (3,6).")
    # a round whose mean was hidden (too few answered) is passed over
    hidden = point(1, "Delår 1", None)
    assert confidence(point(0, "Start", 3.0), hidden, now).endswith("ökning från 3,0 i Start.")
    assert confidence(now).endswith("(median 4,0).")  # the first round: nothing to compare


def test_sentences_are_left_out_where_there_is_nothing_to_say() -> None:
    prose = report(
        a_digest(
            on_leave=0,
            unreachable=0,
            activities=None,
            confidence=None,
            needs=[NeedFigures("support", 0, 0, {}), NeedFigures("training", 0, 0, {})],
        )
    ).prose
    assert prose == ["I omgången Delår 2 svarade 7 av 11 enhetschefer (64 %)."]
    # a hidden need's figure would show through the ranking: no needs sentence then either
    hidden = a_digest(
        needs=[NeedFigures("support", 4, 2, {}), NeedFigures("training", None, None, {})]
    )
    assert not [p for p in report(hidden).prose if "behov" in p]


def test_the_date_is_the_day_the_round_closed_where_the_reader_is() -> None:
    # a document outlives the day it was made: the date in words, with its year
    assert report(a_digest()).subtitle == "Demokommunen · Stärkt ledarskap · 1 juli 2026"
    still_open = a_digest(round=replace_round(closed_at=None))
    assert report(still_open).subtitle.endswith("30 juni 2026")  # its last day until it closes


def replace_round(**changes: Any) -> Round:
    return a_round().model_copy(update=changes)


def test_names_stand_only_in_hrs_table_per_chef_never_in_the_boards_copy_nor_markdown() -> None:
    identified = report(a_digest())
    [per_chef] = [t for t in identified.tables if t.names]
    assert (per_chef.sheet, per_chef.title) == (
        "Per chef",
        "Aktiviteternas status och kommentarer per enhetschef",
    )
    assert per_chef.header == ["Avdelning", "Enhetschef", "Kod", "Aktivitet", "Status", "Kommentar"]
    # every status, with its comment or none
    assert per_chef.rows == [
        ["IFO", JOHAN, "A1", "Introduktion för nya chefer", "Försenad", "Vikarier saknas"],
        ["IFO", JOHAN, "A2", "Nätverk", "Genomförd", ""],
    ]
    assert not per_chef.board
    for table in identified.tables:
        if not table.names:
            assert JOHAN not in str(table.rows) and "Vikarier" not in str(table.rows), table.title
    text = markdown(a_digest())
    assert JOHAN not in text and "Vikarier saknas" not in text and "Per chef" not in text

    # a round that keeps its statuses confidential has no answers per chef to lay out
    confidential = a_digest(round=a_round(activity_status="confidential"), identified=[])
    assert not [t for t in report(confidential).tables if t.names]


def test_hidden_figures_show_as_a_dash_and_the_note_says_why() -> None:
    text = markdown(a_digest())
    lines = text.splitlines()
    assert "| Behov | Visst eller stort | Stort | IFO | LSS | ÄO |" in lines
    assert "| Stöd | 4 | 2 | – | – | 1 |" in lines
    # a department too small for its own activity figures: a dash in every status
    assert "| Ledarskap | Introduktion för nya chefer | LSS | – | – | – | – | – |" in lines
    assert "gruppen har färre än 3 svarande" in lines[-1]  # the note, last
    assert "| Delår 1 | 8 | 2,8 | 2,7 |" in lines  # one decimal, with a comma
    assert "| Alla | 11 | 7 | 64 % |" in lines


def test_sections_the_round_did_not_ask_have_no_tables_nor_key_figures() -> None:
    bare = a_digest(activities=None, needs=None, principles=None, confidence=None, quotes=[])
    assert [t.title for t in report(bare).tables] == ["Svarsfrekvens per avdelning"]
    labels = [label for label, _ in overview_rows(bare, SV)]
    still_open = "Aktiviteter som inte är klara i alla avdelningar"
    assert "Trygghet, medel" not in labels and still_open not in labels
    full = dict(overview_rows(a_digest(), SV))
    assert (full["Trygghet, medel"], full[still_open]) == ("3,6", 1)


def test_quotes_are_labelled_by_the_question_they_answer() -> None:
    [quotes] = [t for t in report(a_digest()).tables if t.title.startswith("Citat")]
    assert quotes.rows == [
        ["Styrkor som förändringsledare", "Jag lyssnar"],
        ["Stöd", "Mer handledning"],
    ]


def test_a_written_text_reads_the_same_in_any_markdown_viewer() -> None:
    viewer = MarkdownIt("commonmark").enable(["table", "strikethrough"])
    for written in (
        "**fet** och _kursiv_",
        "[länk](https://evil.example)",
        "<b>html</b> & &amp;",
        "- inte en lista",
        "+ inte heller",
        "1. ingen numrerad lista",
        "# ingen rubrik",
        "~~kvar~~ `kod` a|b",
        "===",
    ):
        shown = viewer.render(md_text(written))
        assert shown == f"<p>{html_text(written)}</p>\n", written
    assert md_text("två\nrader  i\tett") == "två rader i ett"  # one line: a table cell holds


def html_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


async def test_the_markdown_of_a_compiled_round_lists_what_is_still_open(db: Database) -> None:
    _, _, digest = await two_rounds(db)
    text = digest_files(digest, "sv", zone=Policy().zone).render("md").decode()
    # the one activity someone left open, as a distribution: of the three departments, two
    # delayed and one not started (each department by its most urgent answer); of the seven
    # chefs, 3 done, 2 delayed, 1 not started and 1 in progress
    assert "## Status per aktivitet: avdelningar och chefer" in text
    assert "| Avdelningar | 1 | 0 | 0 | 2 | 0 |" in text
    assert "| Chefer | 1 | 1 | 3 | 2 | 0 |" in text
    # needs per department: LSS (one answer) and IFO (its complement) hidden, ÄO shown
    assert f"| Behov | Visst eller stort | Stort | {LSS} | {IFO} | {AO} |" in text
    assert "| Stöd | 4 | 2 | – | – | 1 |" in text


def test_a_quote_said_twice_or_under_two_questions_is_quoted_once() -> None:
    twice = a_digest(
        quotes=[
            ("strengths_needs", "strengths", "Jag lyssnar"),
            ("principles", "example", "jag  lyssnar"),  # the same words, another question
            ("strengths_needs", "need.support", "Mer handledning"),
            ("strengths_needs", "strengths", "Jag lyssnar"),
        ]
    )
    [quotes] = [t for t in report(twice).tables if t.key == "quotes"]
    assert [row[1] for row in quotes.rows] == ["Jag lyssnar", "Mer handledning"]
    assert markdown(twice).count("Jag lyssnar") == 1


def test_a_mean_reads_the_same_in_the_text_and_in_every_table() -> None:
    # 3,55 is "3,6" everywhere (half up, as Excel shows it), never 3,5 in the text and 3,55
    # in the table
    digest = a_digest(
        confidence=Confidence(7, 3.55, 4.0, {3: 3, 4: 4}),
        trend=[point(1, "Delår 1", 3.25, IFO=2.45), point(2, "Delår 2", 3.55, IFO=3.65)],
    )
    text = markdown(digest)
    assert "i genomsnitt 3,6 på en skala" in text and "ökning från 3,3 i Delår 1" in text
    assert "| Delår 2 | 8 | 3,6 | 3,7 |" in text.splitlines()
    assert "| Delår 1 | 8 | 3,3 | 2,5 |" in text.splitlines()
    assert "3,55" not in text and "3,65" not in text
    # the words follow the figures as written: 3,62 and 3,57 both read 3,6, so "about the same"
    same = a_digest(trend=[point(1, "Delår 1", 3.62), point(2, "Delår 2", 3.57)])
    assert "ungefär som i Delår 1 (3,6)" in markdown(same)


def few_answers() -> Digest:
    """Two of eleven answered, k = 3: every confidential figure hidden."""
    return a_digest(
        total=Response("Alla", 11, 2),
        departments=[Response("IFO", 5, 1), Response("ÄO", 6, 1)],
        on_leave=0,
        unreachable=1,
        activities=None,
        areas={},
        identified=[],
        needs=[
            NeedFigures(n, None, None, {"IFO": None, "ÄO": None}) for n in ("support", "change")
        ],
        principles=None,
        principle_respondents=2,
        confidence=Confidence(2),
        trend=[point(2, "Delår 2", None, IFO=None)],
        quotes=[],
    )


def test_a_round_with_few_answers_prints_no_empty_table_and_says_once_why() -> None:
    shown = report(few_answers())
    assert [t.key for t in shown.tables] == ["response"]
    said = [p for p in shown.prose if "redovisas inte" in p]
    assert said == [
        "I den här omgången redovisas inte chefernas behov, trygghet i rollen över omgångarna"
        " och fördelningen av trygghet i rollen. Så få chefer svarade att siffrorna skulle kunna"
        " avslöja vad enskilda har svarat, och en grupp visas bara när minst 3 har svarat."
    ]
    text = markdown(few_answers())
    assert text.count("redovisas inte i den") + text.count("redovisas inte chefernas") == 1
    for title in ("Behov per avdelning", "Trygghet i rollen över", "Trygghet i rollen i den"):
        assert f"### {title}" not in text
    assert "## Chefernas behov" not in text  # a part with nothing left has no heading either
    # nobody was on leave: nothing says "0 var frånvarande"; the one unreachable is said
    assert "0 chefer" not in text and "0 var" not in text
    assert "1 chef gick inte att nå i Teams och räknas som inte svarat." in text


def test_hrs_analysis_and_next_steps_stand_in_the_report_and_without_them_it_is_a_draft() -> None:
    draft = report(a_digest())
    assert draft.draft == "Utkast – HR har ännu inte skrivit sin analys och sina nästa steg."
    [analysis] = [p for p in draft.parts if p.key == "analysis"]
    assert analysis.heading == "HR:s analys och nästa steg"
    assert analysis.paragraphs == [
        "HR har ännu inte skrivit sin analys och sina nästa steg för Delår 2. Rapporten är"
        " därför ett utkast."
    ]
    written = a_digest(
        round=replace_round(
            analysis="Tryggheten ökar.\n\nStödet behövs  fortfarande\ni äldreomsorgen.",
            next_steps="Ett nätverk startar i september.",
        )
    )
    final = report(written)
    assert final.draft is None
    [analysis] = [p for p in final.parts if p.key == "analysis"]
    assert analysis.texts == [
        ("Analys", ["Tryggheten ökar.", "Stödet behövs fortfarande i äldreomsorgen."]),
        ("Nästa steg", ["Ett nätverk startar i september."]),
    ]
    text = markdown(written)
    assert "### Analys" in text and "Ett nätverk startar i september." in text
    assert "Utkast" not in text
    # half written: still a draft, and the missing half says so
    half = report(a_digest(round=replace_round(analysis="Tryggheten ökar.")))
    assert half.draft is not None
    [analysis] = [p for p in half.parts if p.key == "analysis"]
    assert analysis.texts[1] == ("Nästa steg", ["HR har ännu inte skrivit nästa steg."])


def test_the_report_reads_as_a_delarsrapport_section_in_both_languages() -> None:
    sv = [p.heading for p in report(a_digest()).parts]
    assert sv == [
        "Sammanfattning",
        "Resultat per område och avdelning",
        "Förflyttning mot målet",
        "Chefernas behov",
        "Ledande principer",
        "Citat",
        "Det som följer med till nästa omgång",
        "HR:s analys och nästa steg",
        "Om underlaget",
    ]
    english = build_report(a_digest(), texts_in("en"), zone=STOCKHOLM)
    assert [p.heading for p in english.parts][:3] == [
        "Summary",
        "Results by area and department",
        "Progress towards the goal",
    ]
    [method] = [p for p in english.parts if p.key == "method"]
    assert method.paragraphs[0].startswith("The data are the unit managers' own answers")
    assert english.prose[1].startswith("2 managers were on leave when the round opened")
    assert english.alt["trend"].startswith("Line chart showing")
