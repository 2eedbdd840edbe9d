"""The board's DOCX read back as an accessibility check reads it (EN 301 549 / WCAG 2.1 AA for
documents): every picture with alternative text, every table with a marked header row, the
structure in heading styles, one font family, the language and title set, colours that stand
out against white, and no header word broken for want of room."""

from __future__ import annotations

import io
import re
from dataclasses import replace

import pytest
from docx import Document
from docx.document import Document as DocumentObject
from docx.oxml.ns import qn
from docx.table import Table
from docx.text.paragraph import Paragraph
from matplotlib.font_manager import FontProperties, findfont
from matplotlib.ft2font import FT2Font

from dialogs.digest_cards import digest_files
from followup.digest.compile import Digest
from followup.digest.files import STATUS_COLOURS, TREND_COLOUR
from followup.policy import Policy
from storage.database import Database
from tests.followup.digest.test_compile import two_rounds
from tests.followup.digest.test_report import a_digest, replace_round

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def board(digest: Digest, language: str = "sv") -> DocumentObject:
    content = digest_files(digest, language, zone=Policy().zone).render("docx")
    return Document(io.BytesIO(content))


def contrast(colour: str) -> float:
    """WCAG 2.1's contrast ratio of a colour against white."""

    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4))
    luminance = 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)
    return 1.05 / (luminance + 0.05)


def blocks(document: DocumentObject) -> list[Paragraph | Table]:
    return list(document.iter_inner_content())


async def test_the_board_document_passes_an_accessibility_check(db: Database) -> None:
    _, _, digest = await two_rounds(db)
    document = board(digest)
    # every picture has alternative text that says what the chart shows
    pictures = document.inline_shapes
    assert len(pictures) == 2
    for picture in pictures:
        descr = picture._inline.docPr.get("descr")
        assert descr and len(descr) > 40, descr
    alt = [p._inline.docPr.get("descr") for p in pictures]
    assert "Delår 1: 2,8; Delår 2: 3,6" in alt[1]
    # every table's first row is marked as its header row (repeated on each page, read out)
    assert document.tables
    for table in document.tables:
        properties = table.rows[0]._tr.trPr
        assert properties is not None and properties.find(qn("w:tblHeader")) is not None
        assert table._tbl.tblPr.find(qn("w:tblCaption")) is not None
    # the structure is in heading styles: the title, the parts, each table's title
    headings = [
        (p.style.name, p.text)
        for p in document.paragraphs
        if p.style is not None and p.style.name.startswith("Heading")
    ]
    assert headings[0] == (
        "Heading 1",
        "Uppföljning av programmet för att stärka enhetschefer – Delår 2",
    )
    parts = [text for style, text in headings if style == "Heading 2"]
    assert parts[0] == "Sammanfattning" and parts[-1] == "Om underlaget"
    assert "HR:s analys och nästa steg" in parts and "Förflyttning mot målet" in parts
    # a table's title is a heading right before it, never a bold line
    contents = blocks(document)
    for index, block in enumerate(contents):
        if isinstance(block, Table):
            before = contents[index - 1]
            assert isinstance(before, Paragraph) and before.style is not None
            assert before.style.name == "Heading 3", before.text
    titles = {t for _, t in headings}
    for paragraph in document.paragraphs:
        runs = [r for r in paragraph.runs if r.text.strip()]
        if runs and all(r.bold for r in runs):
            assert paragraph.text not in titles  # bold text is emphasis, not a heading
    # the language, in the styles and the document's properties, and the title
    lang = document.styles.element.find(f"{W}docDefaults/{W}rPrDefault/{W}rPr/{W}lang")
    assert lang is not None and lang.get(qn("w:val")) == "sv-SE"
    assert document.core_properties.language == "sv-SE"
    assert document.core_properties.title == headings[0][1]
    english = board(digest, "en")
    assert english.core_properties.language == "en-GB"
    assert english.core_properties.title.startswith("Follow-up of the programme")
    lang = english.styles.element.find(f"{W}docDefaults/{W}rPrDefault/{W}rPr/{W}lang")
    assert lang is not None and lang.get(qn("w:val")) == "en-GB"


async def test_every_run_and_table_cell_is_in_one_font_family(db: Database) -> None:
    _, _, digest = await two_rounds(db)
    document = board(digest)
    parts = [document.styles.element, document.element]
    families = set()
    for part in parts:
        for fonts in part.iter(qn("w:rFonts")):
            # a theme font would be replaced by the theme's own (a serif for headings and
            # tables in Word's default theme)
            assert not [a for a in fonts.attrib if "Theme" in a or "theme" in a], fonts.attrib
            families |= {fonts.get(qn(f"w:{slot}")) for slot in ("ascii", "hAnsi", "cs")}
    assert families == {"Arial"}
    defaults = document.styles.element.find(f"{W}docDefaults/{W}rPrDefault/{W}rPr/{W}rFonts")
    assert defaults is not None and defaults.get(qn("w:ascii")) == "Arial"


def test_chart_and_heading_colours_stand_out_against_white() -> None:
    # graphics: at least 3:1 (WCAG 2.1, 1.4.11), the pale "Ej aktuell" of old (#eeeeee) too
    for status, colour in STATUS_COLOURS.items():
        assert contrast(colour) >= 3, status
    assert contrast(TREND_COLOUR) >= 3
    assert contrast("#eeeeee") < 3  # what the check would have caught
    # text: the headings' colour at least 4.5:1
    document = board(a_digest())
    for level in (1, 2, 3):
        colour = document.styles[f"Heading {level}"].font.color.rgb
        assert colour is not None and contrast(str(colour)) >= 4.5


def word_width_cm(word: str) -> float:
    """A header word's width at the tables' 9 pt, bold, in the closest font this machine has to
    Arial (Liberation Sans has its metrics; DejaVu Sans, the fallback, is wider)."""
    font = FT2Font(
        findfont(FontProperties(family=["Liberation Sans", "DejaVu Sans"], weight="bold"))
    )
    font.set_size(9, 72)
    font.set_text(word, 0.0)
    return font.get_width_height()[0] / 64 / 72 * 2.54


@pytest.mark.parametrize("language", ["sv", "en"])
def test_no_header_word_breaks_for_want_of_room(language: str) -> None:
    # many departments with long names: the needs and trend tables are wide
    departments = {
        "Individ- och familjeomsorg": 2.0,
        "Funktionsstöd (LSS)": 3.0,
        "Socialpsykiatri": 3.5,
        "Äldreomsorg": 4.0,
        "Arbetsmarknadsavdelningen": 3.0,
    }
    digest = a_digest(
        trend=[replace(p, departments=dict(departments)) for p in a_digest().trend],
        round=replace_round(analysis="Klart.", next_steps="Vidare."),
    )
    document = board(digest, language)
    for table in document.tables:
        grid = [
            int(c.get(qn("w:w"))) / 1440 * 2.54 for c in table._tbl.tblGrid.iter(qn("w:gridCol"))
        ]
        margins = 0.2  # the cells' left and right margins
        for cell, width in zip(table.rows[0].cells, grid, strict=True):
            for word in re.split(r"\s+", cell.text.strip()):
                assert word_width_cm(word) <= width - margins, (cell.text, word, width)
