"""The text catalogue: every user-facing string, one JSON file per language (sv is the default)."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

LANGUAGES = ("sv", "en")
DEFAULT_LANGUAGE = "sv"


@cache
def catalogue(language: str) -> dict[str, str]:
    data = resources.files(__package__).joinpath(f"{language}.json").read_text(encoding="utf-8")
    loaded: dict[str, str] = json.loads(data)
    return loaded


def language_of(locale: str | None) -> str:
    """English for en-* Teams locales, Swedish otherwise."""
    if locale and locale.strip().lower().replace("_", "-").split("-")[0] == "en":
        return "en"
    return DEFAULT_LANGUAGE


def t(language: str, key: str, **params: Any) -> str:
    """The text for `key` in `language`, with `{name}` placeholders filled in."""
    texts = catalogue(language if language in LANGUAGES else DEFAULT_LANGUAGE)
    template = texts.get(key)
    if template is None:
        template = catalogue(DEFAULT_LANGUAGE)[key]
    return template.format(**params) if params else template
