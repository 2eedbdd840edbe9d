"""The digest as files: XLSX for HR (openpyxl), DOCX for the board report (python-docx), and its
charts (matplotlib, PNG). All of them lay out the same `Report`, so a figure hidden once is
hidden in every file.

The DOCX is made to be read by everyone the law on accessible public services (EN 301 549)
has in mind: heading styles, table header rows, one font family, every chart with its
alternative text and colours that stand out against white (WCAG 2.1: 3:1 for graphics), and its
language and title set."""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties, findfont, fontManager, get_font
from matplotlib.text import Text as ChartText
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.table import Table as SheetTable
from openpyxl.worksheet.table import TableStyleInfo

from followup.digest.compile import Digest
from followup.digest.report import (
    XLSX_MEAN_FORMAT,
    XLSX_PERCENT_FORMAT,
    Cell,
    Report,
    Table,
    Text,
    is_figure,
    number_text,
    percent_text,
)
from followup.sections import STATUSES

# what a spreadsheet reads as the start of a formula (tab and CR too, when it is saved as CSV)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# characters XML 1.0 cannot hold (C0 controls but tab and newlines, non-characters,
# surrogates): openpyxl and python-docx refuse them, so one chef's comment would stop the file
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# an A4 page with 2.5 cm margins: the text is this wide upright, and this wide on its side
PAGE_WIDTH_CM, PAGE_HEIGHT_CM, MARGIN_CM = 21.0, 29.7, 2.5
TEXT_WIDTH_CM = PAGE_WIDTH_CM - 2 * MARGIN_CM
LANDSCAPE_TEXT_WIDTH_CM = PAGE_HEIGHT_CM - 2 * MARGIN_CM
# one family for every run and cell (Liberation Sans has Arial's metrics where Arial is missing)
FONT = "Arial"
CHART_FONTS = ("Arial", "Liberation Sans", "DejaVu Sans")
BODY_PT, TABLE_PT = 11, 9
HEADING_PT = {1: 16, 2: 13, 3: 11}
DARK = RGBColor(0x1F, 0x38, 0x64)  # headings: 11.6:1 against white
HEADER_FILL, GROUP_FILL = "D9E2F3", "F2F2F2"  # black text on them: above 15:1
# a table cell's margin on each side (narrower than Word's 0.19 cm, so more fits upright), and
# room for the renderer's rounding
CELL_MARGIN_CM = 0.1
CELL_PADDING_CM = CELL_MARGIN_CM * 2 + 0.08
LANGUAGE_TAGS = {"sv": "sv-SE", "en": "en-GB"}
# each status its own colour, every one at least 3:1 against white (WCAG 2.1, 1.4.11), and a
# hatch on two of them, so the bars part without colour too (1.4.1)
STATUS_COLOURS = {
    "not_started": "#5b6770",
    "in_progress": "#2f6fb0",
    "done": "#2e7d32",
    "delayed": "#c2410c",
    "not_applicable": "#8a8a8a",
}
STATUS_HATCHES = {"delayed": "xx", "not_applicable": "//"}
TREND_COLOUR = "#1c4587"


def xml_text(value: str) -> str:
    """A text for a file: as written, but what XML cannot hold shown as U+FFFD."""
    return _NOT_XML.sub("\ufffd", value)


# --- charts ----------------------------------------------------------------------------------


def _label(name: str) -> str:
    """A name on a chart as written: matplotlib reads text between two $ as TeX (and fails
    the whole chart on TeX it cannot parse)."""
    return name.replace("$", r"\$")


@lru_cache(maxsize=1)
def chart_font() -> str:
    """The first of the document's sans-serif families this machine has."""
    names = set(fontManager.get_font_names())
    return next((f for f in CHART_FONTS if f in names), "sans-serif")


def _png(figure: Figure) -> bytes:
    # the document's font in every text of the chart; a Figure of its own, not pyplot's
    # global state (nor rcParams): safe in a server's threads
    for item in figure.findobj(ChartText):
        # DejaVu Sans after it for any character the document's font has no glyph for
        item.set_fontfamily([chart_font(), "DejaVu Sans"])
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=120, bbox_inches="tight")
    return buffer.getvalue()


def areas_chart(d: Digest, text: Text) -> bytes | None:
    """Status per area, as stacked bars."""
    return status_chart(d.areas, text)


def status_chart(areas: dict[str, dict[str, int]], text: Text) -> bytes | None:
    """The count of each status per area (area → status → count), as stacked bars; None
    with nothing to draw."""
    if not areas:
        return None
    names = [_label(name) for name in areas]
    figure = Figure(figsize=(7, 0.6 * len(names) + 1.6))
    axes = figure.subplots()
    left = [0] * len(names)
    for status in STATUSES:
        values = [counts.get(status, 0) for counts in areas.values()]
        axes.barh(
            names,
            values,
            left=left,
            color=STATUS_COLOURS[status],
            edgecolor="white",
            linewidth=0.8,
            hatch=STATUS_HATCHES.get(status),
            label=text(f"checkin.status.{status}"),
        )
        left = [a + b for a, b in zip(left, values, strict=True)]
    axes.invert_yaxis()
    axes.set_xlabel(text("digest.chart.answers"))
    axes.set_title(text("digest.chart.areas"))
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.25), ncol=3, frameon=False)
    axes.spines[["top", "right"]].set_visible(False)
    return _png(figure)


def trend_chart(d: Digest, text: Text) -> bytes | None:
    """Confidence across the programme's rounds (the rounds with enough answers)."""
    points = [p for p in d.trend if p.mean is not None]
    if not points:
        return None
    figure = Figure(figsize=(7, 3))
    axes = figure.subplots()
    titles = [_label(p.title) for p in points]
    axes.plot(titles, [p.mean or 0.0 for p in points], marker="o", color=TREND_COLOUR)
    for title, p in zip(titles, points, strict=True):
        axes.annotate(
            number_text(p.mean),
            (title, p.mean or 0),
            textcoords="offset points",
            xytext=(0, 8),
            ha="center",
        )
    axes.set_ylim(1, 5.4)
    axes.set_title(text("digest.chart.trend"))
    axes.spines[["top", "right"]].set_visible(False)
    return _png(figure)


def charts(d: Digest, text: Text) -> dict[str, bytes]:
    """The report's charts by name, those with something to draw."""
    drawn = {"areas": areas_chart(d, text), "trend": trend_chart(d, text)}
    return {name: png for name, png in drawn.items() if png is not None}


# --- XLSX ------------------------------------------------------------------------------------


def write_xlsx(report: Report, overview: Sequence[tuple[str, Any]], text: Text) -> bytes:
    """One sheet per subject, each table a real Excel table with filters; numbers as numbers,
    shares as percentages, hidden figures as empty cells explained on the first sheet."""
    wb = Workbook()
    first = wb.active
    assert first is not None
    first.title = text("digest.sheet.overview")
    lines: list[list[Any]] = [[report.title], [report.subtitle], []]
    if report.draft:
        lines += [[report.draft], []]
    lines += [[paragraph] for paragraph in report.prose]
    lines += [[], *([label, value] for label, value in overview), []]
    # HR's analysis and the note on method, as in the board's document
    headings: list[int] = [1]
    for part in report.parts:
        if part.key not in ("analysis", "method"):
            continue
        headings.append(len(lines) + 1)
        lines += [[part.heading], *([p] for p in part.paragraphs)]
        for heading, paragraphs in part.texts:
            headings.append(len(lines) + 1)
            lines += [[heading], *([p] for p in paragraphs)]
        lines.append([])
    lines.append([report.note])
    for number, line in enumerate(lines, start=1):
        for column, value in enumerate(line, start=1):
            _put(first, number, column, value)
    for number in headings:
        first.cell(number, 1).font = Font(bold=True, size=14 if number == 1 else 12)
    first.column_dimensions["A"].width = 40
    first.column_dimensions["B"].width = 30
    used: set[str] = set()
    for table in report.tables:
        sheet = wb[table.sheet] if table.sheet in wb.sheetnames else wb.create_sheet(table.sheet)
        start = sheet.max_row + 2 if sheet.max_row > 1 else 1
        _put(sheet, start, 1, table.title).font = Font(bold=True)
        header_row = start + 1
        for column, name in enumerate(table.header, start=1):
            _put(sheet, header_row, column, name)
        for offset, row in enumerate(table.rows, start=1):
            for column, value in enumerate(row, start=1):
                cell = _put(sheet, header_row + offset, column, value)
                if column - 1 in table.percent and isinstance(value, float):
                    cell.number_format = XLSX_PERCENT_FORMAT
                elif isinstance(value, float):
                    cell.number_format = XLSX_MEAN_FORMAT
        last = header_row + max(len(table.rows), 1)
        ref = f"A{header_row}:{get_column_letter(len(table.header))}{last}"
        name = _table_name(table.sheet, used)
        excel_table = SheetTable(displayName=name, ref=ref)
        excel_table.tableStyleInfo = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)
        sheet.add_table(excel_table)
        for column, header in enumerate(table.header, start=1):
            width = max([len(str(header))] + [len(str(r[column - 1] or "")) for r in table.rows])
            letter = get_column_letter(column)
            current = sheet.column_dimensions[letter].width or 0
            sheet.column_dimensions[letter].width = max(current, min(max(10, width + 2), 60))
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _put(sheet: Any, row: int, column: int, value: Any) -> Any:
    """Write one cell: figures as figures, and a text as text, whatever it starts with. Left to
    openpyxl, a text starting with = would be a formula (=HYPERLINK(...) a link HR might click);
    the quote prefix keeps one starting with = + - @ text when HR edits the cell or saves a CSV."""
    cell = sheet.cell(row, column)
    if not isinstance(value, str):
        cell.value = value
        return cell
    cell.value = xml_text(value)
    cell.data_type = "s"
    if cell.value.startswith(FORMULA_START):
        cell.quotePrefix = True
    return cell


def _table_name(sheet: str, used: set[str]) -> str:
    """Excel table names: letters, digits and underscores, unique in the workbook."""
    base = "".join(ch if ch.isalnum() and ch.isascii() else "_" for ch in sheet) or "Tabell"
    base = base if base[0].isalpha() else f"T_{base}"
    name, n = base, 1
    while name in used:
        n += 1
        name = f"{base}_{n}"
    used.add(name)
    return name


# --- DOCX ------------------------------------------------------------------------------------

TABLE_STYLE = "Table Text"  # the paragraph style of a table's cells (TABLE_PT, no spacing)
_THEME_FONTS = ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme")
_FONT_SLOTS = ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs")
_metrics = threading.Lock()  # matplotlib's FT2Font objects are shared and not thread-safe


def write_docx(report: Report, d: Digest, text: Text, *, language: str = "sv") -> bytes:
    """A section ready to paste into the delårsrapport: the parts of the report under heading
    styles, each with its prose, HR's own texts, charts (with alternative text) and tables
    (header rows marked); one font, the document's language and title set."""
    document = Document()
    set_up(
        document,
        title=report.title,
        subject=d.programme,
        author=d.organisation,
        created=d.compiled_at,
        language=language,
    )
    document.add_heading(xml_text(report.title), level=1)
    document.add_paragraph().add_run(xml_text(report.subtitle)).italic = True
    if report.draft:
        document.add_paragraph().add_run(xml_text(report.draft)).bold = True
    pictures = charts(d, text)
    landscape = False
    for part in report.parts:
        tables = [(t, table_layout(t)) for t in report.part_tables(part.key)]
        # a part with a table too wide for an upright page stands on landscape pages, its
        # heading with it
        wide = any(layout.landscape for _, layout in tables)
        if wide != landscape:
            landscape = wide
            orient(document.add_section(WD_SECTION.NEW_PAGE), landscape=landscape)
        document.add_heading(xml_text(part.heading), level=2)
        for paragraph in part.paragraphs:
            document.add_paragraph(xml_text(paragraph))
        for heading, paragraphs in part.texts:
            document.add_heading(xml_text(heading), level=3)
            for paragraph in paragraphs:
                document.add_paragraph(xml_text(paragraph))
        for name in part.charts:
            if name in pictures:
                add_chart(
                    document,
                    pictures[name],
                    title=text(f"digest.chart.{name}"),
                    alt=report.alt.get(name, ""),
                )
        for table, layout in tables:
            add_table(document, table, layout)
    document.add_paragraph().add_run(xml_text(report.note)).italic = True
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def set_up(
    document: DocumentObject,
    *,
    title: str,
    subject: str,
    author: str,
    created: datetime,
    language: str,
) -> None:
    """A board document's set-up: A4 pages; one font family in every style, none taken from
    the theme (whose headings and tables would bring a second one); dark headings; the
    language, title, subject (the programme) and author (the organisation)."""
    tag = LANGUAGE_TAGS.get(language, language)
    section = document.sections[0]
    section.page_width, section.page_height = Cm(PAGE_WIDTH_CM), Cm(PAGE_HEIGHT_CM)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(MARGIN_CM))
    root = document.styles.element
    defaults = root.find(qn("w:docDefaults"))
    assert defaults is not None
    run_defaults = defaults.find(qn("w:rPrDefault"))
    assert run_defaults is not None
    rpr = run_defaults.find(qn("w:rPr"))
    assert rpr is not None
    if rpr.find(qn("w:rFonts")) is None:
        rpr.insert(0, OxmlElement("w:rFonts"))
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    for attribute in ("w:val", "w:eastAsia", "w:bidi"):
        lang.set(qn(attribute), tag)
    for fonts in root.iter(qn("w:rFonts")):
        for attribute in _THEME_FONTS:
            fonts.attrib.pop(qn(attribute), None)
        for attribute in _FONT_SLOTS:
            fonts.set(qn(attribute), FONT)
    for colour in root.iter(qn("w:color")):
        if colour.get(qn("w:themeColor")) is not None:
            for attribute in ("w:themeColor", "w:themeShade", "w:themeTint"):
                colour.attrib.pop(qn(attribute), None)
            colour.set(qn("w:val"), str(DARK))
    theme_language = document.settings.element.find(qn("w:themeFontLang"))
    if theme_language is not None:
        theme_language.set(qn("w:val"), tag)
    styles = document.styles
    styles["Normal"].font.size = Pt(BODY_PT)
    for level, size in HEADING_PT.items():
        heading = styles[f"Heading {level}"]
        heading.font.size = Pt(size)
        heading.font.color.rgb = DARK
        heading.font.bold, heading.font.italic = True, False
        heading.paragraph_format.space_before = Pt(18 if level < 3 else 10)
        heading.paragraph_format.space_after = Pt(4)
    cells = styles.add_style(TABLE_STYLE, 1)  # a paragraph style
    cells.base_style = styles["Normal"]
    cells.font.size = Pt(TABLE_PT)
    cells.paragraph_format.space_after = Pt(0)
    cells.paragraph_format.line_spacing = 1.0
    core = document.core_properties
    core.title = xml_text(title)
    core.subject = xml_text(subject)
    core.language = tag
    core.author = xml_text(author)
    core.last_modified_by = "Ledarpuls"
    core.comments = ""
    core.keywords = ""
    core.created = core.modified = created.replace(tzinfo=None, microsecond=0)
    core.revision = 1


@dataclass(frozen=True)
class TableLayout:
    """A table as the DOCX lays it out: its columns (a grouped table's first goes to rows of
    its own), their texts, and their widths in cm."""

    header: list[str]
    rows: list[list[Cell]]
    texts: list[list[str]]
    widths: list[float]
    landscape: bool


def add_chart(document: DocumentObject, png: bytes, *, title: str, alt: str) -> None:
    """A chart across the text's width, with its title and its alternative text (what it
    shows, in words, for a reader who cannot see it)."""
    shape = document.add_picture(io.BytesIO(png), width=Cm(15))
    doc_pr = shape._inline.docPr
    doc_pr.set("descr", xml_text(alt))
    doc_pr.set("title", xml_text(title))


def table_layout(table: Table) -> TableLayout:
    offset = 1 if table.grouped else 0
    header = table.header[offset:]
    rows = [row[offset:] for row in table.rows]
    texts = [
        [_docx_cell(v, percent=i + offset in table.percent) for i, v in enumerate(row)]
        for row in rows
    ]
    groups = [str(row[0]) for row in table.rows] if table.grouped else []
    widths, landscape = _column_widths(header, texts, groups)
    return TableLayout(header, rows, texts, widths, landscape)


def add_table(document: DocumentObject, table: Table, layout: TableLayout) -> None:
    """A table under its own heading: its header row repeated on every page and marked as
    such, figures to the right, the area of a grouped table as a row of its own, and each
    column at least as wide as its longest word, so no word breaks."""
    header, rows, texts, widths = layout.header, layout.rows, layout.texts, layout.widths
    document.add_heading(xml_text(table.title), level=3)
    numeric = [all(is_figure(r[i]) for r in rows) and bool(rows) for i in range(len(header))]
    grid = document.add_table(rows=1, cols=len(header))
    grid.style = "Table Grid"
    grid.alignment = WD_TABLE_ALIGNMENT.LEFT
    grid.autofit = False
    head = grid.rows[0]
    head_props = head._tr.get_or_add_trPr()
    marker = OxmlElement("w:tblHeader")
    marker.set(qn("w:val"), "true")
    head_props.append(marker)
    for index, (cell, name) in enumerate(zip(head.cells, header, strict=True)):
        _fill(cell, str(name), bold=True, right=numeric[index], shade=HEADER_FILL)
    group = None
    for source, cells_text in zip(table.rows, texts, strict=True):
        if table.grouped and source[0] != group:
            group = source[0]
            merged = grid.add_row().cells
            whole = merged[0].merge(merged[-1])
            _fill(whole, str(group), bold=True, right=False, shade=GROUP_FILL)
        cells = grid.add_row().cells
        for index, (cell, value) in enumerate(zip(cells, cells_text, strict=True)):
            _fill(cell, value, bold=False, right=numeric[index])
    for row in grid.rows:
        tcs = row._tr.tc_lst
        if len(tcs) == 1 and len(widths) > 1:
            tcs[0].width = Cm(sum(widths))
            continue
        for tc, width in zip(tcs, widths, strict=False):
            tc.width = Cm(width)  # each cell, which Word reads
    for column, width in zip(grid.columns, widths, strict=True):
        column.width = Cm(width)  # the table grid, which LibreOffice reads
    properties = grid._tbl.tblPr
    margins = OxmlElement("w:tblCellMar")
    for side in ("w:left", "w:right"):
        margin = OxmlElement(side)
        margin.set(qn("w:w"), str(round(CELL_MARGIN_CM / 2.54 * 1440)))  # in twips
        margin.set(qn("w:type"), "dxa")
        margins.append(margin)
    look = properties.find(qn("w:tblLook"))
    if look is not None:
        look.addprevious(margins)
    else:
        properties.append(margins)
    caption = OxmlElement("w:tblCaption")
    caption.set(qn("w:val"), xml_text(table.title))
    properties.append(caption)


def _fill(cell: Any, value: str, *, bold: bool, right: bool, shade: str | None = None) -> None:
    paragraph = cell.paragraphs[0]
    paragraph.style = TABLE_STYLE
    if right:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    paragraph.add_run(xml_text(value)).bold = bold or None
    if shade:
        shading = OxmlElement("w:shd")
        shading.set(qn("w:val"), "clear")
        shading.set(qn("w:color"), "auto")
        shading.set(qn("w:fill"), shade)
        cell._tc.get_or_add_tcPr().append(shading)


def orient(section: Any, *, landscape: bool) -> None:
    """A section's pages upright or on their side (A4)."""
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    long, short = Cm(PAGE_HEIGHT_CM), Cm(PAGE_WIDTH_CM)
    section.page_width, section.page_height = (long, short) if landscape else (short, long)


def _column_widths(
    header: Sequence[str], rows: Sequence[Sequence[str]], groups: Sequence[str]
) -> tuple[list[float], bool]:
    """Each column's width in cm, and whether the table needs a landscape page: at least its
    longest word (header words in bold), the rest of the page shared by how much more each
    column's texts need to stand on one line."""
    least, most = [], []
    for index, name in enumerate(header):
        texts = [row[index] for row in rows]
        least.append(
            max(
                [_width(word, bold=True) for word in str(name).split()]
                + [_width(word, bold=False) for t in texts for word in t.split()]
                + [0.0]
            )
            + CELL_PADDING_CM
        )
        most.append(
            max([_width(str(name), bold=True)] + [_width(t, bold=False) for t in texts])
            + CELL_PADDING_CM
        )
    group_least = max([_width(word, bold=True) for g in groups for word in g.split()] + [0.0])
    landscape = max(sum(least), group_least + CELL_PADDING_CM) > TEXT_WIDTH_CM
    room = LANDSCAPE_TEXT_WIDTH_CM if landscape else TEXT_WIDTH_CM
    if sum(least) >= room:  # more than a page can hold: shrink alike
        return [w * room / sum(least) for w in least], landscape
    wanted = [m - w for w, m in zip(least, most, strict=True)]
    spare = room - sum(least)
    if sum(wanted) <= spare:
        # everything fits on one line: the spare room goes to the columns of words
        extra = spare - sum(wanted)
        share = [m for m in most]
        return [m + extra * s / sum(share) for m, s in zip(most, share, strict=True)], landscape
    return [w + spare * n / sum(wanted) for w, n in zip(least, wanted, strict=True)], landscape


@lru_cache(maxsize=4096)
def _width(value: str, *, bold: bool) -> float:
    """How wide a text stands in a table cell, in cm (TABLE_PT, the document's font or the
    closest this machine has: DejaVu Sans is wider than Arial, so never narrower)."""
    if not value:
        return 0.0
    weight = "bold" if bold else "normal"
    # DejaVu Sans for a character the document's font has no glyph for, as in the charts
    paths = [
        findfont(FontProperties(family=f, weight=weight)) for f in (chart_font(), "DejaVu Sans")
    ]
    with _metrics:
        font = get_font(paths)
        font.set_size(TABLE_PT, 72)
        font.set_text(value, 0.0)
        width, _ = font.get_width_height()
    return width / 64 / 72 * 2.54


def _docx_cell(value: Any, *, percent: bool) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return percent_text(value) if percent else number_text(value)
    return xml_text(str(value))
