"""The text catalogue: every user-facing string, one JSON file per language (sv is the default).

An entry is a string, or — for a text about a number of things — an object with one string per
plural category of the language ({"one": "1 planerad omgång", "other": "{count} planerade
omgångar"}), chosen by Babel's plural rules for the `count` the caller passes — or, for what a
person may type (`commands.<name>`), the list of words in that language. A text about several
numbers says each with a plural entry of its own, put into it as a placeholder."""

from __future__ import annotations

import json
from datetime import date, datetime
from functools import cache
from importlib import resources
from typing import Any

from babel import Locale

from followup.dates import day_text

LANGUAGES = ("sv", "en")
DEFAULT_LANGUAGE = "sv"

# a text, its plural forms by CLDR category ("one", "other"), or the words a command is typed as
Entry = str | dict[str, str] | list[str]


@cache
def catalogue(language: str) -> dict[str, Entry]:
    data = resources.files(__package__).joinpath(f"{language}.json").read_text(encoding="utf-8")
    loaded: dict[str, Entry] = json.loads(data)
    return loaded


@cache
def plural_category(language: str, count: int) -> str:
    """The CLDR plural category ("one", "other", ...) of `count` in `language`."""
    category: str = Locale.parse(language).plural_form(count)
    return category


def person_language(chosen: str | None, default: str | None) -> str:
    """The one rule for what the bot speaks to a person: what they chose (`språk engelska`),
    else their organisation's default, else Swedish — never the locale one activity carried."""
    for language in (chosen, default):
        if language in LANGUAGES:
            assert language is not None
            return language
    return DEFAULT_LANGUAGE


def language_of(locale: str | None) -> str:
    """English for en-* locales, Swedish otherwise: for a web page's browser and the CLI only
    (a person in Teams gets `person_language`)."""
    if locale and locale.strip().lower().replace("_", "-").split("-")[0] == "en":
        return "en"
    return DEFAULT_LANGUAGE


def t(language: str, key: str, /, **params: Any) -> str:
    """The text for `key` in `language`, with `{name}` placeholders filled in; a plural entry
    takes the form for `count`. A calendar day given as a `date` is written in the one date
    style, with its year (3 mars 2026): a caller who knows the reader's day formats it first."""
    language = language if language in LANGUAGES else DEFAULT_LANGUAGE
    entry = catalogue(language).get(key)
    if entry is None:
        language, entry = DEFAULT_LANGUAGE, catalogue(DEFAULT_LANGUAGE)[key]
    if isinstance(entry, list):
        raise TypeError(f"{key} is a list of words, not a text: use words()")
    if isinstance(entry, dict):
        count = params.get("count")
        if not isinstance(count, int):
            raise TypeError(f"the text {key} depends on a number: pass count=")
        template = entry.get(plural_category(language, count), entry["other"])
    else:
        template = entry
    if not params:
        return template
    return template.format(**{name: _shown(value, language) for name, value in params.items()})


def _shown(value: Any, language: str) -> Any:
    if isinstance(value, date) and not isinstance(value, datetime):
        return day_text(value, language, today=None)
    return value


def words(language: str, key: str) -> tuple[str, ...]:
    """The words listed under `key` in `language` (e.g. what a command is typed as there)."""
    entry = catalogue(language)[key]
    if not isinstance(entry, list):
        raise TypeError(f"{key} is a text, not a list of words")
    return tuple(entry)
