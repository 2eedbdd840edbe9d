"""The accessibility statement on DIGG's model: the organisation behind the service, the
shortcomings, where to report one (the deployment's contact), DIGG's enforcement, the standard,
how and when it was tested — in Swedish and English, linked from every info page."""

from __future__ import annotations

from typing import Any

import pytest

from bot.accessibility_page import Statement, contact_href
from bot.app import create_app
from bot.info_pages import PAGES, render_page
from bot.settings import Settings
from followup.policy import Policy


def statement(language: str, **given: Any) -> str:
    return render_page("accessibility", language, policy=Policy(), statement=Statement(**given))


def test_the_swedish_statement_follows_diggs_model() -> None:
    page = statement("sv", organisation="Falu kommun", contact="tillganglighet@falun.se")
    assert '<html lang="sv">' in page
    assert "<h1>Tillgänglighetsredogörelse för Ledarpuls</h1>" in page
    assert "Falu kommun står bakom Ledarpuls." in page
    assert "lagen (2018:1937) om tillgänglighet till digital offentlig service" in page
    for heading in (
        "Hur tillgänglig är tjänsten?",
        "Rapportera brister i tjänstens tillgänglighet",
        "Tillsyn",
        "Teknisk information om tjänstens tillgänglighet",
        "Innehåll som inte är tillgängligt",
        "Hur vi testat tjänsten",
    ):
        assert f"<h2>{heading}</h2>" in page
    assert '<a href="mailto:tillganglighet@falun.se">tillganglighet@falun.se</a>' in page
    assert '<a href="https://www.digg.se/tdosanmalan">digg.se/tdosanmalan</a>' in page
    assert "EN 301 549 och med WCAG 2.1 på nivå AA" in page
    # honest about what is not ours, and about the files
    assert "Microsoft Teams" in page and "Word (DOCX)" in page and "axe-core" in page
    assert "Den senaste bedömningen gjordes den 30 november 2026." in page
    assert "Redogörelsen upprättades den 30 november 2026" in page


def test_the_english_statement_says_the_same_with_a_web_address_to_report_to() -> None:
    page = statement("en", organisation="Falun", contact="https://falun.se/tillganglighet")
    assert '<html lang="en">' in page
    assert "Falun is responsible for Ledarpuls." in page
    assert '<a href="https://falun.se/tillganglighet">https://falun.se/tillganglighet</a>' in page
    assert "<h2>Enforcement</h2>" in page and "digg.se/tdosanmalan" in page
    assert "The latest assessment was made on 30 November 2026." in page


def test_without_a_contact_the_statement_points_to_the_employer() -> None:
    page = statement("sv", organisation="Kommunen")
    assert "kontakta HR eller it-supporten hos din arbetsgivare" in page
    assert "mailto:" not in page


@pytest.mark.parametrize(
    ("contact", "href"),
    [
        ("a11y@kommun.se", "mailto:a11y@kommun.se"),
        ("mailto:a11y@kommun.se", "mailto:a11y@kommun.se"),
        ("https://kommun.se/kontakt", "https://kommun.se/kontakt"),
        ("javascript:alert(1)", None),
        ("ring växeln", None),
        ("", None),
    ],
)
def test_the_contact_becomes_a_link_only_when_it_is_an_address(
    contact: str, href: str | None
) -> None:
    assert contact_href(contact) == href


def test_a_contact_that_is_no_address_is_shown_as_text() -> None:
    page = statement("sv", organisation="K", contact="<b>ring växeln</b>")
    assert "<b>" not in page


def test_the_organisation_defaults_to_the_teams_apps_developer() -> None:
    settings = Settings(_env_file=None, teams_app_developer="Luleå kommun")  # type: ignore[call-arg]
    assert settings.statement() == Statement(organisation="Luleå kommun")
    own = Settings(  # type: ignore[call-arg]
        _env_file=None,
        teams_app_developer="Luleå",
        accessibility_organisation="Socialförvaltningen, Luleå kommun",
        accessibility_contact=" webb@lulea.se ",
    )
    assert own.statement() == Statement("Socialförvaltningen, Luleå kommun", "webb@lulea.se")


async def test_every_info_page_links_to_the_statement(
    aiohttp_client: Any, database_url: str
) -> None:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, database_url=database_url, accessibility_contact="a@k.se"
    )
    client = await aiohttp_client(create_app(settings))
    for name in PAGES:
        for language in ("sv", "en"):
            page = await (await client.get(f"/{name}?lang={language}")).text()
            assert "accessibility?lang=" in page, (name, language)
    mine = await (await client.get("/accessibility?lang=en")).text()
    assert 'href="mailto:a@k.se"' in mine
