"""The help message: what Ledarpuls is for and who sees what."""

from __future__ import annotations

from dialogs.texts import t


def help_text(language: str, *, k: int, hr: bool = False, lead: bool = False) -> str:
    """The help, with HR's or a department lead's commands for those who have them; `k` is the
    smallest group whose reflections HR sees (the organisation's default)."""
    parts = [
        f"**{t(language, 'help.title')}**",
        t(language, "help.body"),
        t(language, "help.privacy", count=k),
        t(language, "help.commands.chef"),
        t(language, "help.commands.my_data"),
        t(language, "help.commands.language"),
    ]
    if hr:
        parts.append(t(language, "help.commands.hr"))
        parts.append(t(language, "help.commands.hr_files"))
        parts.append(t(language, "help.commands.roster"))
        parts.append(t(language, "help.commands.consortium"))
    elif lead:
        parts.append(t(language, "help.commands.lead"))
    if hr or lead:
        parts.append(t(language, "help.commands.export"))
    return "\n\n".join(parts)
