"""The consortium's digest as the board's DOCX, read back as an accessibility check reads it
(headings, marked table headers, language, title, the chart's alternative text, one font
family) — and holding no figure the privacy rules hid for a member."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import UTC, datetime

from docx import Document
from docx.document import Document as DocumentObject
from docx.oxml.ns import qn

from dialogs.digest_cards import texts_in
from followup.digest.consortium import (
    ConsortiumDigest,
    ConsortiumFigures,
    MemberPart,
    MemberState,
    compile_members,
)
from followup.digest.consortium_files import (
    HIDDEN,
    build_consortium_report,
    render_consortium_docx,
    render_consortium_markdown,
)
from followup.digest.figures import Confidence
from followup.policy import Policy
from tests.followup.digest.test_consortium import K, member, publication

COMPILED = datetime(2026, 6, 2, 8, 0, tzinfo=UTC)


def a_shared_digest() -> ConsortiumDigest:
    """Three members: Stor (10 answers), Mellan (5) and Liten (1). Liten's statuses are under
    k, and Mellan's are hidden with them (complementary); Liten's confidence is hidden at home."""
    parts = [
        (
            member("Stor", 10),
            publication(
                statuses={"done": 6, "delayed": 4},
                confidence=Confidence(10, 3.6, 4.0, {3: 4, 4: 6}),
                need=7,
            ),
        ),
        (
            member("Mellan", 5),
            publication(
                statuses={"done": 5},
                confidence=Confidence(5, 3.8, 4.0, {3: 1, 4: 4}),
                need=3,
            ),
        ),
        (
            member("Liten", 1),
            publication(statuses={"delayed": 1}, confidence=Confidence(1), need=None),
        ),
    ]
    figures = compile_members("2026-spring", parts, k=K)
    return ConsortiumDigest(
        "FoU Dalarna",
        "Starka chefer 2024–2027",
        "Trygga förändringsledare",
        COMPILED,
        figures,
        ["2026-spring"],
    )


def docx_of(shared: ConsortiumDigest, language: str = "sv") -> DocumentObject:
    text = texts_in(language)
    report = build_consortium_report(shared, text, zone=Policy().zone)
    content = render_consortium_docx(report, shared, text, language=language)
    return Document(io.BytesIO(content))


def every_text(document: DocumentObject) -> list[str]:
    lines = [p.text for p in document.paragraphs]
    for table in document.tables:
        lines += [" | ".join(cell.text for cell in row.cells) for row in table.rows]
    return lines


def table_titled(document: DocumentObject, title: str) -> list[list[str]]:
    [table] = [
        t
        for t in document.tables
        if (caption := t._tbl.tblPr.find(qn("w:tblCaption"))) is not None
        and caption.get(qn("w:val")) == title
    ]
    return [[cell.text for cell in row.cells] for row in table.rows]


def test_the_consortiums_board_document_passes_an_accessibility_check() -> None:
    shared = a_shared_digest()
    document = docx_of(shared)
    title = "Starka chefer 2024–2027 – gemensam sammanställning våren 2026"
    # its title and language, in the document's properties and its styles
    assert document.core_properties.title == title
    assert document.core_properties.language == "sv-SE"
    assert document.core_properties.author == "FoU Dalarna"
    languages = {lang.get(qn("w:val")) for lang in document.styles.element.iter(qn("w:lang"))}
    assert languages == {"sv-SE"}
    # one font family in every style, none from the theme
    fonts = {
        fonts.get(qn(slot))
        for fonts in document.styles.element.iter(qn("w:rFonts"))
        for slot in ("w:ascii", "w:hAnsi")
    }
    assert fonts == {"Arial"}
    # the structure in heading styles, as a board section
    headings = [
        (p.style.name, p.text)
        for p in document.paragraphs
        if p.style is not None and p.style.name.startswith("Heading")
    ]
    assert headings[0] == ("Heading 1", title)
    assert [text for style, text in headings if style == "Heading 2"] == [
        "Sammanfattning",
        "Resultat per medlem och för alla medlemmar",
        "Förflyttning mot målet",
        "Så har sammanställningen gjorts",
    ]
    # the goal once, with the movement toward it
    lines = every_text(document)
    assert [line for line in lines if "Trygga förändringsledare" in line] == [
        "Programmets mål: Trygga förändringsledare"
    ]
    # every table's header row marked, and a caption
    assert len(document.tables) >= 4
    for table in document.tables:
        properties = table.rows[0]._tr.trPr
        assert properties is not None and properties.find(qn("w:tblHeader")) is not None
        assert table._tbl.tblPr.find(qn("w:tblCaption")) is not None
    # the chart of statuses per area, its figures in words
    [chart] = document.inline_shapes
    assert chart._inline.docPr.get("descr") == (
        "Liggande staplar som visar antal svar per status i varje område. Nätverk: ej påbörjad"
        " 0, pågår 0, genomförd 11, försenad 5, ej aktuell 0."
    )
    # the members, who was asked and the rules, in the method note
    lines = every_text(document)
    method = lines[lines.index("Så har sammanställningen gjorts") + 1 :]
    assert method[0].startswith(
        "Underlaget är det som 3 medlemmar har redovisat för halvåret (Stor, Mellan, Liten)."
        " Tillfrågade enhetschefer: 16. Svarade: 16, en svarsfrekvens på 100 %."
    )
    assert f"minst {K} personer, både per organisation och för alla medlemmar" in method[1]
    assert any(line.startswith("Dolda siffror för: Liten, Mellan.") for line in method)


def test_the_board_document_holds_no_figure_hidden_for_a_member() -> None:
    shared = a_shared_digest()
    document = docx_of(shared)
    done = table_titled(document, "Genomförd per medlem (antal av svaren)")
    assert done == [
        ["Aktivitet", "Stor", "Mellan", "Liten"],
        ["Chefsnätverk", "6 av 10", HIDDEN, HIDDEN],
    ]
    text = "\n".join(every_text(document))
    assert "5 av 5" not in text and "0 av 1" not in text  # Mellan's and Liten's statuses
    # Liten's one confidence answer, hidden at home, is in no total: 15 answers, Stor and Mellan
    confidence = table_titled(document, "Trygghet i rollen som förändringsledare")
    assert confidence[1][:2] == ["Alla medlemmar", "15"]
    assert [row[0] for row in confidence[1:]] == ["Alla medlemmar", "Mellan", "Stor"]
    # one way of writing a mean: the movement's sentence and the table agree
    mean = confidence[1][2]
    assert mean == "3,7"  # (10 × 3,6 + 5 × 3,8) / 15, one decimal, rounded half up
    assert f"i genomsnitt {mean} på en skala från 1 till 5" in text
    # the Markdown lays out the same tables: the same figures hidden
    report = build_consortium_report(shared, texts_in("sv"), zone=Policy().zone)
    assert "| Chefsnätverk | 6 av 10 | – | – |" in render_consortium_markdown(
        report, texts_in("sv")
    )


def test_in_english_the_document_says_so() -> None:
    document = docx_of(a_shared_digest(), "en")
    assert document.core_properties.language == "en-GB"
    assert document.core_properties.title == (
        "Starka chefer 2024–2027 – shared digest, spring 2026"
    )
    assert "Results per member and for all members" in every_text(document)


def test_before_every_member_has_closed_the_document_says_whom_it_waits_for() -> None:
    waiting = ConsortiumFigures(
        "2026-spring",
        K,
        sealed=True,
        members=[
            MemberPart("Stor", MemberState.PUBLISHED, "Delår 1", 10, 10),
            MemberPart("Liten", MemberState.WAITING, "Delår 1"),
        ],
    )
    shared = replace(a_shared_digest(), figures=waiting)
    document = docx_of(shared)
    lines = every_text(document)
    assert "Sammanställningen visas när alla medlemmars omgångar för halvåret har stängts." in (
        " ".join(lines)
    )
    assert len(document.tables) == 1 and not document.inline_shapes  # no figure: no chart
    headings = [p.text for p in document.paragraphs if p.style and p.style.name == "Heading 2"]
    assert headings == ["Sammanfattning", "Resultat per medlem och för alla medlemmar"]
