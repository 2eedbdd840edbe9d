"""The digest as files: XLSX for HR (openpyxl), DOCX for the board report (python-docx), and its
charts (matplotlib, PNG). All of them lay out the same `Report`, so a figure hidden once is
hidden in every file."""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from typing import Any

from docx import Document
from docx.shared import Cm
from matplotlib.figure import Figure
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.table import Table as SheetTable
from openpyxl.worksheet.table import TableStyleInfo

from followup.digest.compile import Digest
from followup.digest.report import Report, Text, number_text, percent_text
from followup.sections import STATUSES

# what a spreadsheet reads as the start of a formula (tab and CR too, when it is saved as CSV)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# characters XML 1.0 cannot hold (C0 controls but tab and newlines, non-characters,
# surrogates): openpyxl and python-docx refuse them, so one chef's comment would stop the file
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
PAGE_WIDTH_CM = 16.0  # an A4 page's text width in Word's default margins
STATUS_COLOURS = {
    "not_started": "#c8c8c8",
    "in_progress": "#6fa8dc",
    "done": "#38761d",
    "delayed": "#cc4125",
    "not_applicable": "#eeeeee",
}


def xml_text(value: str) -> str:
    """A text for a file: as written, but what XML cannot hold shown as U+FFFD."""
    return _NOT_XML.sub("\ufffd", value)


# --- charts ----------------------------------------------------------------------------------


def _label(name: str) -> str:
    """A name on a chart as written: matplotlib reads text between two $ as TeX (and fails
    the whole chart on TeX it cannot parse)."""
    return name.replace("$", r"\$")


def _png(figure: Figure) -> bytes:
    # a Figure of its own, not pyplot's global state: safe in a server
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=120, bbox_inches="tight")
    return buffer.getvalue()


def areas_chart(d: Digest, text: Text) -> bytes | None:
    """Status per area, as stacked bars."""
    if not d.areas:
        return None
    names = [_label(name) for name in d.areas]
    figure = Figure(figsize=(7, 0.6 * len(names) + 1.4))
    axes = figure.subplots()
    left = [0] * len(names)
    for status in STATUSES:
        values = [counts.get(status, 0) for counts in d.areas.values()]
        axes.barh(
            names,
            values,
            left=left,
            color=STATUS_COLOURS[status],
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
    axes.plot(titles, [p.mean or 0.0 for p in points], marker="o", color="#1c4587")
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


# --- XLSX ------------------------------------------------------------------------------------


def write_xlsx(report: Report, overview: Sequence[tuple[str, Any]], text: Text) -> bytes:
    """One sheet per subject, each table a real Excel table with filters; numbers as numbers,
    shares as percentages, hidden figures as empty cells explained on the first sheet."""
    wb = Workbook()
    first = wb.active
    assert first is not None
    first.title = text("digest.sheet.overview")
    lines: list[list[Any]] = [[report.title], [report.subtitle], []]
    lines += [[paragraph] for paragraph in report.prose]
    lines += [[], *([label, value] for label, value in overview), [], [report.note]]
    for number, line in enumerate(lines, start=1):
        for column, value in enumerate(line, start=1):
            _put(first, number, column, value)
    first["A1"].font = Font(bold=True, size=14)
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
                    cell.number_format = "0%"
                elif isinstance(value, float):
                    cell.number_format = "0.00"
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


def write_docx(report: Report, d: Digest, text: Text) -> bytes:
    """A section ready to paste into the delårsrapport: heading, board prose, tables, charts."""
    document = Document()
    document.add_heading(xml_text(report.title), level=1)
    document.add_paragraph().add_run(xml_text(report.subtitle)).italic = True
    for paragraph in report.prose:
        document.add_paragraph(xml_text(paragraph))
    for chart in (areas_chart(d, text), trend_chart(d, text)):
        if chart is not None:
            document.add_picture(io.BytesIO(chart), width=Cm(15))
    for table in report.tables:
        if not table.board or table.names:
            continue
        document.add_heading(xml_text(table.title), level=2)
        grid = document.add_table(rows=1, cols=len(table.header))
        grid.style = "Light Grid Accent 1"
        for cell, header in zip(grid.rows[0].cells, table.header, strict=True):
            cell.text = xml_text(str(header))
        for row in table.rows:
            cells = grid.add_row().cells
            for index, (cell, value) in enumerate(zip(cells, row, strict=True)):
                cell.text = _docx_cell(value, percent=index in table.percent)
        # the room goes to the columns with words in them; figures need little
        longest = [
            min(40, max(6, *(len(_docx_cell(r[i], percent=False)) for r in table.rows)))
            if table.rows
            else 6
            for i in range(len(table.header))
        ]
        grid.autofit = False
        for index, column in enumerate(grid.columns):
            width = Cm(PAGE_WIDTH_CM * longest[index] / sum(longest))
            column.width = width  # the table grid, which LibreOffice reads
            for cell in column.cells:
                cell.width = width  # and each cell, which Word reads
    document.add_paragraph().add_run(xml_text(report.note)).italic = True
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _docx_cell(value: Any, *, percent: bool) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return percent_text(value) if percent else number_text(value, 2)
    return xml_text(str(value))
