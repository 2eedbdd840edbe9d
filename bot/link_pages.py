"""What a download link that gives no file answers: a small page in Swedish and English saying
what happened and what to do, with the status that says it to a program (410 expired, 404 not a
link of ours, 403 not for its holder).

Both languages on one page: a link that is no link says nothing of its holder's language, and a
browser's may not be theirs. No scripts, no external resources (the page must work where only
the bot's address is reachable)."""

from __future__ import annotations

import html

from aiohttp import web

from bot.info_pages import ACCENT
from dialogs.texts import LANGUAGES, t

# why a link gave no file → its HTTP status
STATUS = {"expired": 410, "invalid": 404, "refused": 403}

_TEMPLATE = """<!doctype html>
<html lang="{language}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 42rem; margin: 2rem auto;
       padding: 0 1rem; line-height: 1.5; color: #1f1f1f; }}
h1, h2 {{ color: {accent}; font-size: 1.4rem; }}
section + section {{ margin-top: 2rem; padding-top: 1rem; border-top: 1px solid #ddd; }}
</style>
</head>
<body>
<main>
{sections}
</main>
</body>
</html>
"""


def render_link_page(reason: str) -> str:
    """The page for a link that gave no file, in every language the bot speaks (Swedish
    first, as the page's own language)."""
    sections = []
    for index, language in enumerate(LANGUAGES):
        heading = "h1" if index == 0 else "h2"
        sections.append(
            f'<section lang="{language}">\n'
            f"<{heading}>{html.escape(t(language, f'link.{reason}.title'))}</{heading}>\n"
            f"<p>{html.escape(t(language, f'link.{reason}.body'))}</p>\n"
            "</section>"
        )
    title = " · ".join(t(language, f"link.{reason}.title") for language in LANGUAGES)
    return _TEMPLATE.format(
        language=LANGUAGES[0],
        title=html.escape(title),
        accent=ACCENT,
        sections="\n".join(sections),
    )


def link_page(reason: str) -> web.Response:
    """The answer to a link that gave no file: "expired", "invalid" or "refused"."""
    return web.Response(
        status=STATUS[reason],
        text=render_link_page(reason),
        content_type="text/html",
        charset="utf-8",
        headers={
            "Content-Language": ", ".join(LANGUAGES),
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
            # inline style only: nothing is fetched from anywhere
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
            "Referrer-Policy": "no-referrer",
        },
    )
