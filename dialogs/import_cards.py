"""HR's import cards: a file's problems, the preview with Verkställ and Avbryt, the upload link
and the templates."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime, tzinfo
from typing import Any

from dialogs.cards import card, text, verbatim
from dialogs.formatting import clock, local
from dialogs.hr_cards import submit
from dialogs.import_messages import describe_problem, describe_report
from dialogs.texts import t
from followup.hr.imports import Preview
from followup.imports.changes import ImportReport
from followup.imports.problems import Problem

MAX_PROBLEMS = 50  # problems listed on a card; HR fixes these and sends the file again
MAX_KEYS = 40  # keys (UPNs, codes) listed per kind of change
# problems the command line words for its own options, in Teams' words instead
IN_TEAMS = {"which_programme": "which_programme_teams"}


def problems_card(file_name: str, problems: Sequence[Problem], language: str) -> dict[str, Any]:
    """Every problem (up to a card's worth) with its sheet, row and column; nothing changed."""
    body = [
        verbatim(
            t(language, "import.rejected.title", file=file_name), weight="Bolder", size="Medium"
        ),
        text(t(language, "import.rejected.count", count=len(problems))),
    ]
    body += [
        verbatim("• " + describe_problem(language, replace(p, code=IN_TEAMS.get(p.code, p.code))))
        for p in problems[:MAX_PROBLEMS]
    ]
    if len(problems) > MAX_PROBLEMS:
        body.append(text(t(language, "import.rejected.more", count=len(problems) - MAX_PROBLEMS)))
    return card(body)


def _keys(keys: Sequence[str]) -> str:
    shown = ", ".join(keys[:MAX_KEYS])
    return shown + (f" + {len(keys) - MAX_KEYS}" if len(keys) > MAX_KEYS else "")


def report_body(report: ImportReport, language: str, *, done: bool = False) -> list[dict[str, Any]]:
    """What an import adds, changes and deactivates, section by section (`done`: said of an
    import applied, not one to come)."""
    texts = "import.applied" if done else "import.preview"
    body: list[dict[str, Any]] = []
    for name, changes in report.sections.items():
        body.append(
            text(
                t(
                    language,
                    f"{texts}.section",
                    section=t(language, f"section.{name}"),
                    added=len(changes.added),
                    changed=len(changes.changed),
                    deactivated=len(changes.deactivated),
                ),
                weight="Bolder",
                spacing="Medium",
            )
        )
        for kind, keys in (
            ("added", changes.added),
            ("changed", changes.changed),
            ("deactivated", changes.deactivated),
        ):
            if keys:
                body.append(verbatim(t(language, f"{texts}.{kind}", keys=_keys(keys))))
    return body


def preview_card(preview: Preview, language: str, *, zone: tzinfo) -> dict[str, Any]:
    """What the file would do, nothing done yet; Verkställ applies it, Avbryt drops it."""
    body = [
        verbatim(
            t(language, "import.preview.title", file=preview.file_name),
            weight="Bolder",
            size="Medium",
        ),
        text(t(language, f"import.preview.kind.{preview.kind}")),
    ]
    if preview.report.unchanged:
        body.append(text(t(language, "import.preview.nothing")))
    body += report_body(preview.report, language)
    body.append(
        text(
            t(language, "import.preview.note", time=_time(preview.expires_at, language, zone)),
            isSubtle=True,
            spacing="Medium",
        )
    )
    actions = [
        submit(t(language, "import.preview.apply"), "import_apply", language, token=preview.token),
        submit(
            t(language, "import.preview.cancel"), "import_cancel", language, token=preview.token
        ),
    ]
    actions[0]["style"] = "positive"
    return card(body, actions)


def applied_card(report: ImportReport, language: str) -> dict[str, Any]:
    """The import done: what it changed (in place of the preview, so it cannot be pressed again)."""
    lines = describe_report(language, report)
    return card(
        [
            verbatim(lines[0], weight="Bolder", size="Medium"),
            *report_body(report, language, done=True),
        ]
    )


def cancelled_card(file_name: str, language: str) -> dict[str, Any]:
    return card([verbatim(t(language, "import.cancelled", file=file_name))])


def upload_card(url: str, expires: datetime, language: str, *, zone: tzinfo) -> dict[str, Any]:
    """The one-time link to the upload page."""
    return card(
        [
            text(t(language, "import.upload.title"), weight="Bolder", size="Medium"),
            text(t(language, "import.upload.body", time=_time(expires, language, zone))),
        ],
        [{"type": "Action.OpenUrl", "title": t(language, "import.upload.open"), "url": url}],
    )


def templates_card(urls: Mapping[str, str], language: str) -> dict[str, Any]:
    """Links to the empty plan and roster workbooks, with their columns explained."""
    return card(
        [
            text(t(language, "import.templates.title"), weight="Bolder", size="Medium"),
            text(t(language, "import.templates.body")),
        ],
        [
            {"type": "Action.OpenUrl", "title": t(language, f"import.templates.{kind}"), "url": url}
            for kind, url in urls.items()
        ],
    )


def _time(moment: datetime, language: str, zone: tzinfo) -> str:
    return clock(local(moment, zone=zone).time(), language)
