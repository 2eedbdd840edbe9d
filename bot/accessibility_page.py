"""The accessibility statement (tillgänglighetsredogörelse) on DIGG's model: who stands behind
the service, how accessible it is, what is not, how to report a shortcoming (the deployment's
ACCESSIBILITY_CONTACT), enforcement by DIGG, the standard, how it was tested and when.

The words are the text catalogue's (`page.accessibility.*`); the dates below are when the pages
were last assessed (axe-core in tests/bot/test_accessibility.py, and by hand) and when this
statement was made and last changed: move them when the pages are assessed again."""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlsplit

from dialogs.texts import t
from followup.dates import day_text

MADE = date(2026, 11, 30)  # when the statement was first made
UPDATED = date(2026, 11, 30)  # when it was last changed
ASSESSED = date(2026, 11, 30)  # when the pages were last assessed
DIGG_REPORT = "https://www.digg.se/tdosanmalan"
# the statement's sections, in DIGG's order: each a heading and a body (paragraphs split by a
# blank line); `gaps` is a list
SECTIONS = ("status", "alternative", "report", "enforcement", "technical", "gaps", "method")

# stand-ins for links in a translated sentence: the text is escaped, then these become anchors
_CONTACT = "\x00contact\x00"
_DIGG = "\x00digg\x00"


@dataclass(frozen=True)
class Statement:
    """What the statement says that is the deployment's: who publishes the service and where to
    report an accessibility shortcoming (an e-mail address or an https address; "" for none)."""

    organisation: str
    contact: str = ""


def contact_href(contact: str) -> str | None:
    """Where the contact setting leads: a mailto: for an e-mail address, the address itself
    for an http(s) one, None for anything else."""
    contact = contact.strip()
    if not contact:
        return None
    scheme = urlsplit(contact).scheme.lower()
    if scheme in ("http", "https", "mailto"):
        return contact
    if "@" in contact and " " not in contact and ":" not in contact:
        return f"mailto:{contact}"
    return None


def _long_date(day: date, language: str) -> str:
    """A day of the statement in the one date style, always with its year: a statement is read
    long after it was made, and says when it was assessed by the year too (DIGG's model)."""
    return day_text(day, language, today=None)


def _links(text: str, *, language: str, statement: Statement) -> str:
    """Escape a catalogue text and put the links in it."""
    href = contact_href(statement.contact)
    if href is None:
        contact = html.escape(t(language, "page.accessibility.contact.none"))
    else:
        shown = statement.contact.strip().removeprefix("mailto:")
        contact = f'<a href="{html.escape(href)}">{html.escape(shown)}</a>'
    digg = f'<a href="{DIGG_REPORT}">digg.se/tdosanmalan</a>'
    return html.escape(text).replace(_CONTACT, contact).replace(_DIGG, digg)


def statement_main(language: str, statement: Statement) -> str:
    """The statement's content (the page's `main`), in one language."""

    def words(key: str) -> str:
        return t(
            language,
            f"page.accessibility.{key}",
            organisation=statement.organisation,
            contact=_CONTACT,
            digg=_DIGG,
            assessed=_long_date(ASSESSED, language),
            made=_long_date(MADE, language),
            updated=_long_date(UPDATED, language),
        )

    def paragraphs(key: str) -> list[str]:
        return [
            _links(p.strip(), language=language, statement=statement)
            for p in words(key).split("\n\n")
        ]

    title = html.escape(t(language, "page.accessibility.title"))
    parts = [f"<h1>{title}</h1>", *(f"<p>{p}</p>" for p in paragraphs("intro"))]
    for section in SECTIONS:
        parts.append(f"<h2>{html.escape(words(f'{section}.heading'))}</h2>")
        body = paragraphs(f"{section}.body")
        if section == "gaps":
            parts.append("<ul>\n" + "\n".join(f"<li>{p}</li>" for p in body) + "\n</ul>")
        else:
            parts += [f"<p>{p}</p>" for p in body]
    parts += [f"<p>{p}</p>" for p in paragraphs("updated")]
    return "\n".join(parts)
