"""The export of the published figures in Teams: the button on a digest card, and the card that
offers the files (CSV for Power BI and Stratsys, XLSX for Excel), for the round or for every
closed round of its programme. Like every download button, these carry no link: a press asks
the bot, which checks who presses now (`dialogs.download_cards`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from dialogs.cards import card, execute, text, verbatim_facts
from dialogs.download_cards import file_name
from dialogs.hr_cards import SUBMIT_KIND as HR_KIND
from dialogs.texts import t
from followup.digest.export import EXPORT_FORMATS
from storage.models import Programme, Round

SHOW = "export"  # the button on a digest card: the export card for its round
DOWNLOAD = "export_download"  # a button of the export card: a fresh link to one file
SCOPES = ("round", "programme")  # the round alone, or every closed round of its programme
# links to an export: (round, whole programme?, organisation, language, actor, departments)
# → format → url; made when someone presses a button, never put on a card
ExportLinks = Callable[..., dict[str, str]]


def export_button(round_: Round, language: str) -> dict[str, Any]:
    """The digest card's button to the export of its round."""
    return execute(
        t(language, "hr.action.export"),
        {"ledarpuls": HR_KIND, "action": SHOW, "lang": language, "round": round_.id},
    )


def export_card(
    round_: Round, programme: Programme, language: str, *, lead: bool
) -> dict[str, Any]:
    """What can be exported of a closed round: a button per file and scope."""
    body = [
        text(t(language, "export.card.title"), size="Large", weight="Bolder"),
        verbatim_facts(
            [
                (t(language, "export.card.round"), round_.title),
                (t(language, "export.card.programme"), programme.title),
            ]
        ),
        text(t(language, "export.card.intro"), isSubtle=True),
    ]
    if lead:
        body.append(text(t(language, "export.card.lead"), isSubtle=True))
    actions = [
        execute(
            t(language, f"export.download.{scope}.{kind}"),
            {
                "ledarpuls": HR_KIND,
                "action": DOWNLOAD,
                "lang": language,
                "round": round_.id,
                "scope": scope,
                "format": kind,
            },
        )
        for scope in SCOPES
        for kind in EXPORT_FORMATS
    ]
    return card(body, actions)


def export_file_name(
    rounds: Sequence[Round], programme: Programme | None, kind: str, language: str
) -> str:
    """ "Ledarpuls export Delår 1 2026.csv", or for a whole programme its code."""
    title = programme.code if programme is not None else rounds[0].title
    return file_name(t(language, "export.file_name"), title, kind)
