"""Short public pages about Ledarpuls, its privacy, its terms (the links in the Teams app) and its
accessibility statement (`bot.accessibility_page`), linked from every page the service serves."""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.accessibility_page import Statement, statement_main
from dialogs.texts import LANGUAGES, language_of, t
from followup.policy import Policy

PAGES = ("about", "privacy", "terms", "accessibility")
STATEMENT = "accessibility"
ACCENT = "#1B6B73"  # the Teams app's accent colour (manifest/manifest.json)

# one page shell for every page the service serves (these, link errors, the upload page)
_DOCUMENT = """<!doctype html>
<html lang="{language}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
{head}<title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 42rem; margin: 2rem auto;
       padding: 0 1rem; line-height: 1.5; color: #1f1f1f;
       overflow-wrap: break-word; hyphens: auto; }}
h1, h2 {{ color: {accent}; }}
h1 {{ font-size: 1.6rem; }}
h2 {{ font-size: 1.4rem; }}
a {{ color: {accent}; }}
section + section {{ margin-top: 2rem; padding-top: 1rem; border-top: 1px solid #ddd; }}
label {{ display: block; font-weight: 600; margin: 1rem 0 0.3rem; }}
button {{ margin-top: 1rem; padding: 0.5rem 1.2rem; background: {accent}; color: #fff;
         border: 0; border-radius: 4px; font-size: 1rem; }}
nav {{ margin-top: 2.5rem; padding-top: 1rem; border-top: 1px solid #ddd; font-size: 0.9rem; }}
nav a {{ margin-right: 1.2rem; }}
</style>
</head>
<body>
<main>
{main}
</main>
{after}</body>
</html>
"""


def html_document(*, language: str, title: str, main: str, after: str = "", head: str = "") -> str:
    """A whole page: `title` is plain text (escaped here); `main`, `after` (what follows the
    main content, e.g. a nav) and `head` (extra meta lines) are HTML already."""
    return _DOCUMENT.format(
        language=language,
        title=html.escape(title),
        accent=ACCENT,
        main=main,
        after=after + "\n" if after else "",
        head=head + "\n" if head else "",
    )


def page_path(name: str) -> str:
    return f"/{name}"


def page_language(request: web.Request) -> str:
    """`?lang=` when given, else the browser's first language (Swedish unless English)."""
    chosen = request.query.get("lang", "")
    if chosen in LANGUAGES:
        return chosen
    first = request.headers.get("Accept-Language", "").split(",")[0].split(";")[0]
    return language_of(first.strip() or None)


def statement_links(languages: tuple[str, ...], *, prefix: str = "") -> str:
    """A nav with the link to the accessibility statement in each of these languages, for a
    page that is no info page (`prefix`: from its path to the service's root, e.g. "../")."""
    links = [
        f'<a href="{prefix}{STATEMENT}?lang={language}" hreflang="{language}" lang="{language}">'
        f"{html.escape(t(language, 'page.accessibility.link'))}</a>"
        for language in languages
    ]
    return f"<nav>{chr(10).join(links)}</nav>"


def render_page(
    name: str, language: str, *, policy: Policy, statement: Statement | None = None
) -> str:
    """The page as HTML; its paragraphs come from the text catalogue, the rules they name
    (the usual k) from the policy, the accessibility statement's organisation and contact from
    `statement`."""
    title = t(language, f"page.{name}.title")
    if name == STATEMENT:
        main = statement_main(language, statement or Statement(organisation="Ledarpuls"))
    else:
        body = "\n".join(
            f"<p>{html.escape(paragraph.strip())}</p>"
            for paragraph in t(language, f"page.{name}.body", k=policy.k).split("\n\n")
        )
        main = f"<h1>{html.escape(title)}</h1>\n{body}"
    other = next(lang for lang in LANGUAGES if lang != language)
    # relative links, so the pages also work behind a proxy that serves them under a path
    links = [
        f'<a href="{page}?lang={language}">{html.escape(t(language, f"page.{page}.title"))}</a>'
        for page in PAGES
        if page != name
    ]
    links.append(
        # in the other language's own words, so it is read out in that language
        f'<a href="{name}?lang={other}" hreflang="{other}" lang="{other}">'
        f"{html.escape(t(language, 'page.other_language'))}</a>"
    )
    return html_document(
        language=language,
        title=title,
        main=main,
        after=f"<nav>{chr(10).join(links)}</nav>",
    )


def _handler(
    name: str, *, policy: Policy, statement: Statement
) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def page(request: web.Request) -> web.Response:
        language = page_language(request)
        return web.Response(
            text=render_page(name, language, policy=policy, statement=statement),
            content_type="text/html",
            charset="utf-8",
            headers={"Content-Language": language, "Vary": "Accept-Language"},
        )

    return page


def add_info_pages(app: web.Application, *, policy: Policy, statement: Statement) -> None:
    """GET /about, /privacy, /terms and /accessibility: no data of anyone, the same on every
    replica."""
    for name in PAGES:
        app.router.add_get(page_path(name), _handler(name, policy=policy, statement=statement))
