"""What a download link that gives no file answers: a small page in Swedish and English saying
what happened and what to do, with the status that says it to a program (410 expired, 404 not a
link of ours, 403 not for its holder, 503 a PDF/A that cannot be made here now).

Both languages on one page: a link that is no link says nothing of its holder's language, and a
browser's may not be theirs. No scripts, no external resources (the page must work where only
the bot's address is reachable)."""

from __future__ import annotations

import html

from aiohttp import web

from bot.info_pages import html_document, statement_links
from dialogs.texts import LANGUAGES, t

# why a link gave no file → its HTTP status
STATUS = {"expired": 410, "invalid": 404, "refused": 403, "no_pdf": 503}


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
    return html_document(
        language=LANGUAGES[0],
        title=title,
        main="\n".join(sections),
        # the link's path is /digest/… or /my-data/…: the statement is one level up
        after=statement_links(LANGUAGES, prefix="../"),
        head='<meta name="robots" content="noindex">',
    )


def link_page(reason: str) -> web.Response:
    """The answer to a link that gave no file: "expired", "invalid", "refused" or "no_pdf"
    (a PDF/A link, and LibreOffice gone or failing since)."""
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
