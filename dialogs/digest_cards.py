"""The digest for HR in Teams: a summary card with the key figures and a chart, and the files
(Markdown, XLSX, DOCX, and PDF/A where LibreOffice is installed) in the reader's language."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from functools import cached_property
from typing import Any

from dialogs.cards import card, text, verbatim, verbatim_facts
from dialogs.download_cards import download_button, file_name
from dialogs.export_cards import export_button
from dialogs.formatting import reader_texts
from dialogs.hr_cards import SUBMIT_KIND as HR_KIND
from dialogs.identified_cards import identified_section
from dialogs.texts import t
from followup.digest.compile import Digest, compile_digest
from followup.digest.files import areas_chart, trend_chart, write_docx, write_xlsx
from followup.digest.pdf import available, pdf_a
from followup.digest.report import (
    Report,
    Text,
    build_report,
    overview_rows,
    render_markdown,
    subtitle,
)
from followup.policy import Policy
from followup.sections import STATUSES
from storage.database import Database

# the files a digest can be downloaded as, in the order of its buttons (PDF/A: only where
# LibreOffice is installed, `digest_formats`)
DIGEST_FORMATS = ("xlsx", "docx", "pdf", "md")
MEDIA_TYPES = {
    "md": "text/markdown; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "png": "image/png",
    "pdf": "application/pdf",
}
# download links to a round's digest files: (round, organisation, language, actor, departments)
# → kind → url; made when someone presses a download button, never put on a card
Links = Callable[..., dict[str, str]]
# a chart in the card only while the message stays well under Teams' size limit (~80 KB)
MAX_CARD = 38_000


def digest_formats(soffice: str) -> tuple[str, ...]:
    """The files a digest is offered as here and now: the PDF/A (made from the DOCX) only while
    LibreOffice is installed, so no button or link leads to an error."""
    return tuple(kind for kind in DIGEST_FORMATS if kind != "pdf" or available(soffice))


def texts_in(language: str) -> Text:
    def text(key: str, **params: Any) -> str:
        return t(language, key, **params)

    return text


@dataclass
class DigestFiles:
    """One digest in one language, rendered on demand."""

    digest: Digest
    language: str
    zone: tzinfo  # where the report's dates are
    soffice: str = Policy.soffice  # LibreOffice, for the PDF/A

    @cached_property
    def text(self) -> Text:
        return texts_in(self.language)

    @cached_property
    def report(self) -> Report:
        return build_report(self.digest, self.text, zone=self.zone)

    def render(self, kind: str) -> bytes:
        if kind == "md":
            overview = overview_rows(self.digest, self.text)
            return render_markdown(self.report, overview).encode("utf-8")
        if kind == "xlsx":
            return write_xlsx(self.report, overview_rows(self.digest, self.text), self.text)
        if kind == "docx":
            return write_docx(self.report, self.digest, self.text, language=self.language)
        if kind == "pdf":
            # PDF/A of the board's document; PdfUnavailable without LibreOffice
            return pdf_a(self.render("docx"), soffice=self.soffice)
        if kind == "png":
            return trend_chart(self.digest, self.text) or areas_chart(self.digest, self.text) or b""
        raise ValueError(kind)

    def file_name(self, kind: str) -> str:
        return digest_file_name(self.digest.round.title, kind, self.language)


def digest_file_name(title: str, kind: str, language: str) -> str:
    """The round's title as HR wrote it, å, ä and ö included ("Sammanställning Delår 1
    2026.xlsx")."""
    return file_name(t(language, "digest.file_name"), title, kind)


def digest_files(
    digest: Digest, language: str, *, zone: tzinfo, soffice: str = Policy.soffice
) -> DigestFiles:
    return DigestFiles(digest, language, zone, soffice)


def digest_card(files: DigestFiles, *, today: date, downloads: bool = False) -> dict[str, Any]:
    """HR's summary in Teams: the board prose, the key figures, a chart, a button per
    department to its answers per chef (identified rounds), and (`downloads`: when the bot
    has a public address) a button per file that asks for a fresh link to it. The day the
    round closed has its year when it is not `today`'s (the files always have it)."""
    language, d = files.language, files.digest
    # titles and names in every line, as HR and the roster wrote them: never Markdown
    body: list[dict[str, Any]] = [
        verbatim(files.report.title, size="Large", weight="Bolder"),
        verbatim(
            subtitle(d, reader_texts(language, today=today), zone=files.zone),
            isSubtle=True,
            spacing="None",
        ),
        *(verbatim(paragraph) for paragraph in files.report.prose),
        verbatim_facts([(label, str(value)) for label, value in overview_rows(d, files.text)]),
    ]
    body += _activity_section(d, language)
    # the chart where it stands; put in below only while the whole card stays small enough
    chart_at = len(body)
    if d.identified and d.round.id is not None:
        # the answers per chef are a read of their own (audited), a press away
        body += identified_section(d.round.id, d.identified, language)
    body.append(verbatim(files.report.note, isSubtle=True, size="Small"))
    actions = [
        download_button(
            t(language, f"digest.download.{kind}"),
            kind=HR_KIND,
            language=language,
            round=d.round.id,
            format=kind,
        )
        for kind in (digest_formats(files.soffice) if downloads and d.round.id is not None else ())
    ]
    if downloads and not d.sealed:
        # the published figures as a table: a closed round's only
        actions.append(export_button(d.round, language))
    content = card(body, actions)
    chart, alt = _card_chart(files)
    if chart:
        image = {
            "type": "Image",
            "url": "data:image/png;base64," + base64.b64encode(chart).decode("ascii"),
            "altText": alt,
        }
        with_chart = card([*body[:chart_at], image, *body[chart_at:]], actions)
        if len(json.dumps(with_chart).encode()) < MAX_CARD:
            return with_chart
    return content


def _card_chart(files: DigestFiles) -> tuple[bytes, str]:
    """The card's one chart (the confidence trend, else status per area) and its alt text."""
    for name, draw in (("trend", trend_chart), ("areas", areas_chart)):
        chart = draw(files.digest, files.text)
        if chart:
            return chart, files.report.alt.get(name) or t(files.language, f"digest.chart.{name}")
    return b"", ""


def _statuses_line(counts: dict[str, int] | None, language: str) -> str:
    if counts is None:
        return t(language, "digest.card.hidden")
    return ", ".join(
        f"{t(language, f'checkin.status.{s}')} {counts[s]}" for s in STATUSES if counts.get(s)
    )


def _activity_section(d: Digest, language: str) -> list[dict[str, Any]]:
    """Each activity's distribution over the departments and the chefs, and the activities
    carried over from the last round."""
    if not d.activities:
        return []
    rows = [
        (
            a.title,
            t(
                language,
                "digest.card.departments_line",
                statuses=_statuses_line(a.department_counts, language),
            )
            + " · "
            + t(language, "digest.card.chefs_line", statuses=_statuses_line(a.counts, language)),
        )
        for a in d.activities
    ]
    body: list[dict[str, Any]] = [
        text(t(language, "digest.card.distribution"), weight="Bolder", separator=True),
        verbatim_facts(rows),
    ]
    if d.carried:
        body.append(text(t(language, "digest.card.carried"), weight="Bolder"))
        body += [
            verbatim(
                " – ".join(part for part in (c.title, ", ".join(c.departments or ())) if part),
                spacing="None",
            )
            for c in d.carried
        ]
    return body


async def compiled_digest_card(
    db: Database,
    *,
    round_id: int,
    now: datetime,
    language: str,
    policy: Policy,
    downloads: bool = False,
    organisation_id: int | None = None,
    departments: frozenset[int] | None = None,
    names: bool = False,
) -> tuple[DigestFiles, dict[str, Any]]:
    """Compile a round's digest (for `departments` only, when given) and build its card, with
    download buttons when `downloads`; the chart is drawn off the event loop. The card names
    no chef: each chef's statuses are read only with `names` (for files that list them; the
    card's download buttons compile their own when pressed)."""
    digest = await compile_digest(
        db,
        round_id=round_id,
        now=now,
        organisation_id=organisation_id,
        department_ids=departments,
        policy=policy,
        names=names,
    )
    files = digest_files(digest, language, zone=policy.zone, soffice=policy.soffice)
    content = await asyncio.to_thread(
        digest_card, files, downloads=downloads, today=policy.today(now)
    )
    return files, content
