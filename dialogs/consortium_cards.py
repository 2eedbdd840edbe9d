"""The shared digest of a programme several organisations run, in Teams: for the owning
organisation's HR admins only (`followup.hr.consortium.digest` refuses anyone else), with a
button per file (the board's DOCX, the XLSX) that asks for a fresh link, as every download
button does (`dialogs.download_cards`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, tzinfo
from typing import Any

from dialogs.cards import card, card_activity, execute, verbatim
from dialogs.digest_cards import texts_in
from dialogs.download_cards import download_card, file_name
from dialogs.formatting import reader_texts
from dialogs.hr_cards import SUBMIT_KIND as HR_KIND
from dialogs.hr_flow import HrFlow, HrTurn
from dialogs.texts import t
from followup.digest.consortium import ConsortiumDigest
from followup.digest.consortium_files import (
    ConsortiumReport,
    build_consortium_report,
    period_text,
    render_consortium_docx,
    render_consortium_markdown,
    render_consortium_xlsx,
)
from followup.hr import consortium
from followup.rounds.lifecycle import RoundError
from storage.database import Database

CONSORTIUM_FORMATS = ("md", "xlsx", "docx")
# the card's buttons, in their order: the board's document, then the workbook
CARD_FORMATS = ("docx", "xlsx")
DOWNLOAD = "consortium_download"  # a button of the card: a fresh link to one file
# links to a consortium's digest: (organisation, period, language, actor) → format → url; made
# when its HR presses a button, never put on a card
ConsortiumLinks = Callable[..., dict[str, str]]


def consortium_report(
    d: ConsortiumDigest, language: str, *, zone: tzinfo, today: date | None
) -> ConsortiumReport:
    """The shared digest's lines and tables in `language`; the day it was compiled with its
    year when it is not `today`'s (None, for a file, which outlives the day: always)."""
    return build_consortium_report(d, reader_texts(language, today=today), zone=zone)


def consortium_file(
    report: ConsortiumReport, shared: ConsortiumDigest, kind: str, language: str
) -> bytes:
    """The digest as a file: Markdown, XLSX or the board's DOCX (the same tables)."""
    text = texts_in(language)
    if kind == "xlsx":
        return render_consortium_xlsx(report, text)
    if kind == "docx":
        return render_consortium_docx(report, shared, text, language=language)
    return render_consortium_markdown(report, text).encode("utf-8")


def consortium_file_name(shared: ConsortiumDigest, kind: str, language: str) -> str:
    """ "Gemensam sammanställning Starka chefer våren 2026.docx"."""
    period = period_text(shared.figures.period, texts_in(language))
    return file_name(t(language, "consortium.file_name"), f"{shared.programme} {period}", kind)


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


def consortium_card(
    report: ConsortiumReport, *, language: str, period: str | None = None
) -> dict[str, Any]:
    """The shared digest as a card: its lines, each table, and how it was compiled; with
    `period` (a half-year with figures, and links to be had), a button per file of it."""
    body: list[dict[str, Any]] = [verbatim(report.title, size="Large", weight="Bolder")]
    body += [verbatim(line, isSubtle=i == 0) for i, line in enumerate(report.lines)]
    for table in report.tables:
        body.append(verbatim(table.title, size="Medium", weight="Bolder", separator=True))
        body += _rows(table.columns, table.rows)
    for i, line in enumerate(report.method):
        body.append(verbatim(line, isSubtle=True, separator=i == 0))
    actions = [
        execute(
            t(language, f"digest.download.{kind}"),
            {
                "ledarpuls": HR_KIND,
                "action": DOWNLOAD,
                "lang": language,
                "period": period,
                "format": kind,
            },
        )
        for kind in (CARD_FORMATS if period else ())
    ]
    return card(body, actions)


class HrConsortium(HrFlow):
    """ "gemensam sammanställning": the latest half-year of the organisation's shared programme,
    compiled across its members."""

    def __init__(self, db: Database, *, links: ConsortiumLinks | None = None) -> None:
        super().__init__(db)
        self._links = links

    async def digest(self, turn: HrTurn, _: int | None) -> None:
        call, language = turn.call, turn.language
        shared = await consortium.digest(call)
        report = consortium_report(shared, language, zone=call.policy.zone, today=call.today)
        # files of a half-year with figures, where the bot has an address to link to
        offered = self._links is not None and not shared.figures.sealed
        period = shared.figures.period if offered else None
        content = consortium_card(report, language=language, period=period)
        await turn.context.send_activity(card_activity(content))

    async def download(self, turn: HrTurn, value: dict[str, Any]) -> None:
        """A file of the card, pressed now (maybe days later): by the consortium's HR admin
        only (the digest's own check: another organisation's HR is refused, on record), a
        fresh link to it."""
        call, language = turn.call, turn.language
        kind, period = value.get("format"), value.get("period")
        if kind not in CARD_FORMATS or not isinstance(period, str) or not period:
            raise RoundError("invalid_card")
        shared = await consortium.digest(call, period=period)
        if self._links is None:
            await turn.context.send_activity(t(language, "download.unavailable"))
            return
        url = self._links(
            organisation_id=call.organisation_id,
            period=shared.figures.period,
            language=language,
            actor=call.access.actor,
        )[kind]
        content = download_card(
            name=consortium_file_name(shared, kind, language),
            label=t(language, f"digest.download.{kind}"),
            url=url,
            language=language,
            lifetime=call.policy.link_lifetime,
        )
        await turn.context.send_activity(card_activity(content))
