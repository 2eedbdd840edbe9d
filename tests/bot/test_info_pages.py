"""The pages the Teams app links to (about, privacy, terms): served, in Swedish and English."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
from aiohttp.test_utils import TestClient
from aiohttp.web import Application

from bot.app import create_app
from bot.app_package import package_values
from bot.info_pages import render_page
from bot.settings import Settings
from followup.policy import Policy

ClientFactory = Callable[[Application], Awaitable[TestClient[Any, Any]]]
APP_ID = "3f2d1c4b-5a69-4e7f-8a1b-2c3d4e5f6a7b"


def settings_for(database_url: str, **extra: Any) -> Settings:
    return Settings(_env_file=None, database_url=database_url, **extra)  # type: ignore[call-arg]


async def test_the_links_in_the_app_package_are_pages_this_service_serves(
    aiohttp_client: ClientFactory, database_url: str
) -> None:
    settings = settings_for(database_url, public_url="https://ledarpuls.kommun.se")
    values = package_values(settings, app_id=APP_ID)
    client = await aiohttp_client(create_app(settings))
    for url, heading in (
        (values.website_url, "Om Ledarpuls"),
        (values.privacy_url, "Integritet i Ledarpuls"),
        (values.terms_url, "Användarvillkor för Ledarpuls"),
    ):
        response = await client.get(urlsplit(url).path)
        assert response.status == 200, url
        assert response.content_type == "text/html" and response.charset == "utf-8"
        page = await response.text()
        assert f"<h1>{heading}</h1>" in page
        assert '<html lang="sv">' in page


@pytest.mark.parametrize(
    ("query", "headers", "language", "expected"),
    [
        ("", {}, "sv", "dataskyddsombud"),
        ("", {"Accept-Language": "en-GB,en;q=0.9"}, "en", "data protection officer"),
        ("", {"Accept-Language": "sv-SE,en;q=0.5"}, "sv", "dataskyddsombud"),
        ("?lang=en", {"Accept-Language": "sv-SE"}, "en", "data protection officer"),
        ("?lang=sv", {"Accept-Language": "en-US"}, "sv", "dataskyddsombud"),
        ("?lang=xx", {}, "sv", "dataskyddsombud"),
    ],
)
async def test_the_privacy_page_speaks_the_readers_language(
    aiohttp_client: ClientFactory,
    database_url: str,
    query: str,
    headers: dict[str, str],
    language: str,
    expected: str,
) -> None:
    client = await aiohttp_client(create_app(settings_for(database_url)))
    response = await client.get("/privacy" + query, headers=headers)
    assert response.status == 200
    assert response.headers["Content-Language"] == language
    page = await response.text()
    assert expected in page and f'<html lang="{language}">' in page
    # the other language and the other pages are one click away
    other = "en" if language == "sv" else "sv"
    assert f'href="privacy?lang={other}"' in page
    assert f'href="about?lang={language}"' in page and f'href="terms?lang={language}"' in page


def test_the_privacy_page_names_the_usual_k_of_the_policy() -> None:
    assert "som omgången anger (oftast 3)" in render_page("privacy", "sv", policy=Policy())
    assert "the round sets (usually 5)" in render_page("privacy", "en", policy=Policy(k=5))
