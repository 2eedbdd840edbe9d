"""The help message: what Ledarpuls is for and who sees what."""

from __future__ import annotations

from dialogs.texts import t


def help_text(language: str) -> str:
    return "\n\n".join(
        (
            f"**{t(language, 'help.title')}**",
            t(language, "help.body"),
            t(language, "help.privacy"),
            t(language, "help.commands.chef"),
        )
    )
