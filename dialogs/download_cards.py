"""Downloads in Teams: the buttons a card carries instead of links, and the small card a press
is answered with, holding a fresh link that works for a quarter of an hour.

A card lives for months in a chat (the digest the scheduler sends at midnight is read in the
morning, or in a week), so it holds no link at all: its button asks the bot, which decides
from who presses it now — their role today, a lead's departments today — and only then makes a
link. Nothing a card holds can be used by someone else, or after they lost the role."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from dialogs.cards import card, execute, text, verbatim
from dialogs.formatting import duration
from dialogs.texts import t

DOWNLOAD = "download"  # the action of every download button, on every kind of card


def download_button(title: str, *, kind: str, language: str, **data: Any) -> dict[str, Any]:
    """A button that asks the bot for a file: `kind` is the card's (`ledarpuls`), `data`
    what the file is (a round and a format, say) — never who may have it."""
    return execute(title, {"ledarpuls": kind, "action": DOWNLOAD, "lang": language, **data})


def download_card(
    *, name: str, label: str, url: str, language: str, lifetime: timedelta
) -> dict[str, Any]:
    """The answer to a download button: the file's name, how long its link works, and the
    link."""
    body = [
        verbatim(t(language, "download.ready", name=name), weight="Bolder"),
        text(
            t(language, "download.expires", lifetime=duration(lifetime, language)),
            isSubtle=True,
            size="Small",
        ),
    ]
    return card(body, [{"type": "Action.OpenUrl", "title": label, "url": url}])


def file_name(prefix: str, title: str, kind: str) -> str:
    """A file's name from a title as written, å, ä and ö included; what a file system cannot
    hold (a slash, a colon) becomes a space."""
    plain = "".join(ch if ch.isalnum() or ch in " -_.,()" else " " for ch in title)
    name = " ".join(f"{prefix} {plain}".split()).strip(" .")
    return f"{name}.{kind}"
