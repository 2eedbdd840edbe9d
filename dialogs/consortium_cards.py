"""The shared digest of a programme several organisations run, in Teams: for the owning
organisation's HR admins only (`followup.hr.consortium.digest` refuses anyone else)."""

from __future__ import annotations

from datetime import date, tzinfo
from typing import Any

from dialogs.cards import card, card_activity, verbatim
from dialogs.digest_cards import texts_in
from dialogs.formatting import reader_texts
from dialogs.hr_flow import HrFlow, HrTurn
from followup.digest.consortium import ConsortiumDigest
from followup.digest.consortium_files import (
    ConsortiumReport,
    build_consortium_report,
    render_consortium_markdown,
    render_consortium_xlsx,
)
from followup.hr import consortium

CONSORTIUM_FORMATS = ("md", "xlsx")


def consortium_report(
    d: ConsortiumDigest, language: str, *, zone: tzinfo, today: date | None
) -> ConsortiumReport:
    """The shared digest's lines and tables in `language`; the day it was compiled with its
    year when it is not `today`'s (None, for a file, which outlives the day: always)."""
    return build_consortium_report(d, reader_texts(language, today=today), zone=zone)


def consortium_file(report: ConsortiumReport, kind: str, language: str) -> bytes:
    """The digest as a file: Markdown or XLSX (the same tables)."""
    text = texts_in(language)
    if kind == "xlsx":
        return render_consortium_xlsx(report, text)
    return render_consortium_markdown(report, text).encode("utf-8")


def _rows(columns: list[str], rows: list[list[Any]]) -> list[dict[str, Any]]:
    """A table as a phone shows it: each row's first cell in bold, then its other cells as
    "column value" on one wrapped line (a table of eight columns does not fit a phone)."""
    items: list[dict[str, Any]] = []
    for row in rows:
        items.append(verbatim(str(row[0]), weight="Bolder", spacing="Small"))
        cells = [
            f"{column}: {value}"
            for column, value in zip(columns[1:], row[1:], strict=True)
            if value not in (None, "")
        ]
        if cells:
            items.append(verbatim(" · ".join(cells), spacing="None"))
    return items


def consortium_card(report: ConsortiumReport) -> dict[str, Any]:
    """The shared digest as a card: its lines, each table, and how it was compiled."""
    body: list[dict[str, Any]] = [verbatim(report.title, size="Large", weight="Bolder")]
    body += [verbatim(line, isSubtle=i == 0) for i, line in enumerate(report.lines)]
    for table in report.tables:
        body.append(verbatim(table.title, size="Medium", weight="Bolder", separator=True))
        body += _rows(table.columns, table.rows)
    for i, line in enumerate(report.method):
        body.append(verbatim(line, isSubtle=True, separator=i == 0))
    return card(body)


class HrConsortium(HrFlow):
    """ "gemensam sammanställning": the latest half-year of the organisation's shared programme,
    compiled across its members."""

    async def digest(self, turn: HrTurn, _: int | None) -> None:
        call = turn.call
        shared = await consortium.digest(call)
        report = consortium_report(shared, turn.language, zone=call.policy.zone, today=call.today)
        await turn.context.send_activity(card_activity(consortium_card(report)))
