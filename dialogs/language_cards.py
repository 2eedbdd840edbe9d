"""The card for choosing one's language: what it is now, and a button for each language, named
in that language (someone who reads only English finds "English")."""

from __future__ import annotations

from typing import Any

from dialogs.cards import card, execute, text
from dialogs.texts import LANGUAGES, t

SUBMIT_KIND = "language"  # the `ledarpuls` of this card's buttons
CHOOSE = "choose"


def language_card(language: str, *, note: str | None = None) -> dict[str, Any]:
    """`language`: the person's now. `note`: what was just done ("Nu skriver jag …")."""
    body = [text(note, weight="Bolder", color="Good")] if note is not None else []
    body.append(text(t(language, "language.current_card")))
    actions = [
        execute(
            t(other, f"language.name.{other}").capitalize(),
            {"ledarpuls": SUBMIT_KIND, "action": CHOOSE, "language": other},
            **({"style": "positive"} if other == language else {}),
        )
        for other in LANGUAGES
    ]
    return card(body, actions)
