"""What a chef sees when the app is installed: what Ledarpuls is for and who sees what."""

from __future__ import annotations

from typing import Any

from dialogs.cards import card, facts, text
from dialogs.texts import t


def first_name(name: str) -> str:
    return name.split()[0] if name.strip() else name


def welcome_card(
    language: str, *, name: str, organisation: str, enrolled: bool, k: int
) -> dict[str, Any]:
    """The greeting; `k` is the smallest group HR sees totals for (the organisation's default)."""
    body = [
        text(t(language, "welcome.title", name=first_name(name)), size="Large", weight="Bolder"),
        text(t(language, "welcome.purpose", organisation=organisation)),
        text(t(language, "welcome.privacy_heading"), weight="Bolder", spacing="Medium"),
        facts(
            [
                (t(language, "welcome.identified_title"), t(language, "welcome.identified")),
                (
                    t(language, "welcome.confidential_title"),
                    t(language, "welcome.confidential", count=k),
                ),
                (t(language, "welcome.quotes_title"), t(language, "welcome.quotes")),
            ]
        ),
    ]
    if enrolled:
        body.append(
            text(t(language, "welcome.enrolled", organisation=organisation), spacing="Medium")
        )
    body.append(text(t(language, "welcome.next"), isSubtle=True, spacing="Medium"))
    return card(body)
