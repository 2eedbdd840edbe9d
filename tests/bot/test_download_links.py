"""Download links: signed, short-lived, bound to one round (or one chef) and format."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from aiohttp import web
from aiohttp.multipart import content_disposition_filename, parse_content_disposition

from bot.download_links import (
    DownloadLinks,
    attachment,
    consortium_handler,
    download_handler,
    my_data_handler,
)
from followup.policy import Policy
from storage.audit_store import AuditStore
from storage.database import Database
from storage.organisation_store import OrganisationStore
from tests.followup.check_in.test_steps import a_round, demo
from tests.followup.digest.test_pdf import failing_soffice, stand_in_soffice, uninstall

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def token(url: str) -> str:
    return unquote(url.rsplit("/", 1)[1])


def test_a_link_grants_its_round_format_and_reader_for_fifteen_minutes(tmp_path: Path) -> None:
    clock = [NOW]
    links = DownloadLinks(
        secret=b"s",
        base_url="https://bot.example/",
        clock=lambda: clock[0],
        lifetime=Policy().link_lifetime,
        soffice=str(tmp_path / "nowhere" / "soffice"),
    )
    urls = links.links(round_id=7, organisation_id=2, language="sv", actor="karin@k.se")
    assert set(urls) == {"xlsx", "docx", "md"}  # no PDF/A without LibreOffice
    with_pdf = DownloadLinks(
        secret=b"s",
        base_url="https://bot.example/",
        clock=lambda: clock[0],
        lifetime=Policy().link_lifetime,
        soffice=stand_in_soffice(tmp_path),
    )
    pdf = with_pdf.links(round_id=7, organisation_id=2, language="sv", actor="karin@k.se")
    assert set(pdf) == {"xlsx", "docx", "pdf", "md"}
    grant = links.check(token(pdf["pdf"]))
    assert grant is not None and (grant.round_id, grant.kind) == (7, "pdf")
    assert urls["xlsx"].startswith("https://bot.example/digest/")
    grant = links.check(token(urls["xlsx"]))
    assert grant is not None
    assert (grant.round_id, grant.organisation_id, grant.kind, grant.language, grant.actor) == (
        7,
        2,
        "xlsx",
        "sv",
        "karin@k.se",
    )
    clock[0] = NOW + timedelta(minutes=15)
    assert links.check(token(urls["xlsx"])) is not None  # still within its quarter of an hour
    clock[0] = NOW + timedelta(minutes=16)
    assert links.check(token(urls["xlsx"])) is None  # expired


def test_forged_damaged_or_foreign_tokens_grant_nothing() -> None:
    links = DownloadLinks(
        secret=b"s", base_url="http://x", clock=lambda: NOW, lifetime=Policy().link_lifetime
    )
    good = token(links.links(round_id=7, organisation_id=2, language="sv", actor="a")["md"])
    mine = token(links.links(round_id=8, organisation_id=2, language="sv", actor="a")["md"])
    other = DownloadLinks(
        secret=b"other", base_url="http://x", clock=lambda: NOW, lifetime=Policy().link_lifetime
    )
    forged = token(other.links(round_id=8, organisation_id=2, language="sv", actor="a")["md"])
    unsigned, signature = good.rsplit(".", 1)
    for bad in (
        forged,  # signed with another secret
        mine.rsplit(".", 1)[0] + "." + signature,  # round 8's fields under round 7's signature
        good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB"),
        unsigned,
        "nonsense",
        "",
        "....",
        "%%%.%%%",
    ):
        assert links.check(bad) is None, bad


def test_every_replica_with_the_same_secret_honours_a_link() -> None:
    lifetime = Policy().link_lifetime
    first = DownloadLinks(
        secret=b"shared", base_url="http://x", clock=lambda: NOW, lifetime=lifetime
    )
    second = DownloadLinks(
        secret=b"shared", base_url="http://y", clock=lambda: NOW, lifetime=lifetime
    )
    url = first.links(round_id=7, organisation_id=2, language="sv", actor="a")["docx"]
    grant = second.check(token(url))
    assert grant is not None and (grant.round_id, grant.kind) == (7, "docx")
    # without a configured secret each process has its own: its links work only there
    alone = DownloadLinks(secret=None, base_url="http://x", clock=lambda: NOW, lifetime=lifetime)
    other = DownloadLinks(secret=None, base_url="http://x", clock=lambda: NOW, lifetime=lifetime)
    url = alone.links(round_id=7, organisation_id=2, language="sv", actor="a")["docx"]
    assert alone.check(token(url)) is not None and other.check(token(url)) is None


def test_a_leads_link_keeps_their_departments() -> None:
    links = DownloadLinks(
        secret=b"s", base_url="http://x", clock=lambda: NOW, lifetime=Policy().link_lifetime
    )
    url = links.links(
        round_id=7, organisation_id=2, language="en", actor="a", departments=frozenset({3, 1})
    )["docx"]
    grant = links.check(token(url))
    assert grant is not None and grant.departments == frozenset({1, 3})
    whole = links.check(
        token(links.links(round_id=7, organisation_id=2, language="en", actor="a")["md"])
    )
    assert whole is not None and whole.departments is None


def test_a_my_data_link_grants_one_chef_and_never_a_digest() -> None:
    clock = [NOW]
    links = DownloadLinks(
        secret=b"s", base_url="http://x", clock=lambda: clock[0], lifetime=Policy().link_lifetime
    )
    urls = links.my_data_links(chef_id=4, organisation_id=2, language="sv", actor="karin@k.se")
    assert set(urls) == {"json", "xlsx"} and urls["json"].startswith("http://x/my-data/")
    grant = links.check_my_data(token(urls["xlsx"]))
    assert grant is not None
    assert (grant.chef_id, grant.organisation_id, grant.kind, grant.actor) == (
        4,
        2,
        "xlsx",
        "karin@k.se",
    )
    digest = token(links.links(round_id=4, organisation_id=2, language="sv", actor="a")["md"])
    assert links.check(token(urls["json"])) is None  # not a digest
    assert links.check_my_data(digest) is None  # not a chef's data
    clock[0] = NOW + timedelta(minutes=16)
    assert links.check_my_data(token(urls["json"])) is None  # expired


async def test_a_valid_link_refused_is_on_record_and_a_forged_one_is_not(
    db: Database, aiohttp_client: Any
) -> None:
    org = await OrganisationStore(db).create(tenant_id="t", name="Kommunen", default_k=3)
    assert org.id is not None
    links = DownloadLinks(secret=b"s", base_url="http://x", lifetime=Policy().link_lifetime)
    app = web.Application()
    app.router.add_get("/digest/{token}", download_handler(links, lambda: db, policy=Policy()))
    app.router.add_get("/my-data/{token}", my_data_handler(links, lambda: db, zone=Policy().zone))
    client = await aiohttp_client(app)
    # signed for Karin, but the round (or the chef) is no longer there
    gone = links.links(round_id=4711, organisation_id=org.id, language="sv", actor="karin@k.se")
    no_chef = links.my_data_links(chef_id=4711, organisation_id=org.id, language="sv", actor="x")
    # a valid link that gives nothing is refused (403); one that is no link of ours is not found
    for url, status in (
        (gone["md"], 403),
        (no_chef["json"], 403),
        ("http://x/digest/forged", 404),
        ("http://x/my-data/x", 404),
    ):
        response = await client.get(url.removeprefix("http://x"))
        assert response.status == status
        assert response.content_type == "text/html"
    events = await AuditStore(db).since(NOW - timedelta(days=3650))
    # a forged link names nobody to put on record (and would let anyone fill the log)
    assert [(e.actor, e.action, e.organisation_id, e.round_id, e.detail) for e in events] == [
        (
            "karin@k.se",
            "digest.refused",
            org.id,
            None,
            {"reason": "unknown_round", "round": 4711, "format": "md"},
        ),
        ("x", "mydata.refused", org.id, None, {"reason": "not_a_chef", "format": "json"}),
    ]


# --- what a link that gives no file answers, and how a file is named ---------------------------


def page_sections(page: str) -> dict[str, str]:
    """The page's text per language, by its sections' `lang` attributes."""
    parser = _Sections()
    parser.feed(page)
    return {language: " ".join(" ".join(words).split()) for language, words in parser.found.items()}


class _Sections(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: dict[str, list[str]] = {}
        self._language: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "section":
            self._language = dict(attrs).get("lang")

    def handle_endtag(self, tag: str) -> None:
        if tag == "section":
            self._language = None

    def handle_data(self, data: str) -> None:
        if self._language is not None:
            self.found.setdefault(self._language, []).append(data)


async def test_an_expired_or_damaged_link_answers_a_page_in_swedish_and_english(
    db: Database, aiohttp_client: Any
) -> None:
    clock = [NOW]
    links = DownloadLinks(
        secret=b"s", base_url="http://x", clock=lambda: clock[0], lifetime=Policy().link_lifetime
    )
    app = web.Application()
    app.router.add_get(
        "/digest/{token}",
        download_handler(links, lambda: db, policy=Policy(), clock=lambda: clock[0]),
    )
    app.router.add_get(
        "/my-data/{token}",
        my_data_handler(links, lambda: db, zone=Policy().zone, clock=lambda: clock[0]),
    )
    client = await aiohttp_client(app)
    digest = links.links(round_id=7, organisation_id=2, language="en", actor="a")["xlsx"]
    mine = links.my_data_links(chef_id=4, organisation_id=2, language="sv", actor="a")["json"]
    clock[0] = NOW + timedelta(days=3)  # the morning after the weekend
    for url in (digest, mine):
        response = await client.get(url.removeprefix("http://x"))
        assert response.status == 410
        assert response.content_type == "text/html" and response.charset == "utf-8"
        assert response.headers["Cache-Control"] == "no-store"
        page = await response.text()
        assert '<html lang="sv">' in page
        sections = page_sections(page)
        assert set(sections) == {"sv", "en"}
        assert (
            "Länken har gått ut. Tryck på knappen i Teams igen så får du en ny." in (sections["sv"])
        )
        assert "The link has expired. Press the button in Teams again" in sections["en"]
        # nothing fetched from anywhere: no scripts, images, style sheets or fonts
        assert not re.search(r"<script|<img|<link|src=|url\(|@import", page)
        assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    damaged = await client.get("/digest/" + token(digest)[:-3] + "xyz")
    assert damaged.status == 404
    assert "Länken fungerar inte" in page_sections(await damaged.text())["sv"]
    # nobody to put on record for a link that proves nothing
    assert await AuditStore(db).since(NOW - timedelta(days=3650)) == []


def file_name_of(header: str) -> str | None:
    """The name a browser saves the file as: aiohttp's RFC 6266 reader, which prefers
    `filename*` (RFC 5987) to the ASCII `filename`, as browsers do."""
    kind, params = parse_content_disposition(header)
    assert kind == "attachment"
    return content_disposition_filename(params, "filename")


def test_a_file_name_with_swedish_letters_arrives_exactly_as_written() -> None:
    name = "Sammanställning Delår 1 Äldreomsorg.xlsx"
    header = attachment(b"PK", "application/octet-stream", name).headers["Content-Disposition"]
    # RFC 6266: the ASCII fallback first, then the exact name (RFC 5987), which browsers prefer
    assert header == (
        'attachment; filename="Sammanstallning Delar 1 Aldreomsorg.xlsx"; '
        "filename*=UTF-8''Sammanst%C3%A4llning%20Del%C3%A5r%201%20%C3%84ldreomsorg.xlsx"
    )
    assert header.isascii()
    assert file_name_of(header) == name
    # quotes, slashes and line breaks never leave the name, in either form
    odd = attachment(b"", "text/plain", 'a"b\\c\r\nd;e.md').headers["Content-Disposition"]
    fallback = odd.split('filename="', 1)[1].split('"', 1)[0]
    assert fallback == "a_b_c__d_e.md" and "\r" not in odd and "\n" not in odd
    assert file_name_of(odd) == 'a"b\\c\r\nd;e.md'


async def test_a_digest_file_is_named_by_its_round(db: Database, aiohttp_client: Any) -> None:
    org, programme, _ = await demo(db)
    round_id = await a_round(db, org, programme, "Delår 1 Äldreomsorg", 10)
    links = DownloadLinks(secret=b"s", base_url="http://x", lifetime=Policy().link_lifetime)
    app = web.Application()
    app.router.add_get("/digest/{token}", download_handler(links, lambda: db, policy=Policy()))
    client = await aiohttp_client(app)
    for language, name in (
        ("sv", "Sammanställning Delår 1 Äldreomsorg.xlsx"),
        ("en", "Digest Delår 1 Äldreomsorg.xlsx"),
    ):
        url = links.links(round_id=round_id, organisation_id=org, language=language, actor="a")
        response = await client.get(url["xlsx"].removeprefix("http://x"))
        assert response.status == 200
        assert file_name_of(response.headers["Content-Disposition"]) == name


async def test_a_pdf_link_after_libreoffice_is_gone_says_so_and_gives_nothing(
    db: Database, aiohttp_client: Any, tmp_path: Path
) -> None:
    org, programme, _ = await demo(db)
    round_id = await a_round(db, org, programme, "Delår 1", 10)
    soffice = stand_in_soffice(tmp_path)
    links = DownloadLinks(
        secret=b"s", base_url="http://x", lifetime=Policy().link_lifetime, soffice=soffice
    )
    policy = Policy(soffice=soffice)
    app = web.Application()
    app.router.add_get("/digest/{token}", download_handler(links, lambda: db, policy=policy))
    client = await aiohttp_client(app)
    url = links.links(round_id=round_id, organisation_id=org, language="sv", actor="a")["pdf"]
    made = await client.get(url.removeprefix("http://x"))
    assert made.status == 200 and made.content_type == "application/pdf"
    assert (await made.read()).startswith(b"%PDF-")
    assert file_name_of(made.headers["Content-Disposition"]) == "Sammanställning Delår 1.pdf"
    events = await AuditStore(db).since(NOW - timedelta(days=3650))
    assert [(e.action, e.detail) for e in events] == [("digest.download", {"format": "pdf"})]

    uninstall(soffice)  # LibreOffice uninstalled while the link was on its way
    gone = await client.get(url.removeprefix("http://x"))
    assert gone.status == 503 and gone.content_type == "text/html"
    sections = page_sections(await gone.text())
    assert "Tryck på knappen för DOCX i Teams i stället" in sections["sv"]
    assert "Press the DOCX button in Teams instead" in sections["en"]
    assert len(await AuditStore(db).since(NOW - timedelta(days=3650))) == 1  # nothing more

    # installed, but it gives no PDF: the same page, nothing downloaded
    failing = Policy(soffice=failing_soffice(tmp_path))
    app = web.Application()
    app.router.add_get("/digest/{token}", download_handler(links, lambda: db, policy=failing))
    client = await aiohttp_client(app)
    failed = await client.get(url.removeprefix("http://x"))
    assert failed.status == 503
    assert "LibreOffice saknas eller svarade inte" in page_sections(await failed.text())["sv"]
    assert len(await AuditStore(db).since(NOW - timedelta(days=3650))) == 1


async def test_a_consortium_link_is_for_the_consortiums_hr_and_never_a_digest_link(
    db: Database, aiohttp_client: Any
) -> None:
    org = await OrganisationStore(db).create(tenant_id="t", name="Kommunen", default_k=3)
    assert org.id is not None
    links = DownloadLinks(secret=b"s", base_url="http://x", lifetime=Policy().link_lifetime)
    urls = links.consortium_links(
        organisation_id=org.id, period="2026-spring", language="sv", actor="anna@k.se"
    )
    assert set(urls) == {"md", "xlsx", "docx"}
    grant = links.check_consortium(token(urls["docx"]))
    assert grant is not None and (grant.organisation_id, grant.period, grant.kind) == (
        org.id,
        "2026-spring",
        "docx",
    )
    assert links.check(token(urls["docx"])) is None  # not a round's digest
    digest = links.links(round_id=1, organisation_id=org.id, language="sv", actor="a")["docx"]
    assert links.check_consortium(token(digest)) is None
    app = web.Application()
    app.router.add_get(
        "/consortium/{token}", consortium_handler(links, lambda: db, policy=Policy())
    )
    client = await aiohttp_client(app)
    # signed, but the organisation shares no programme (any more): refused, and on record
    refused = await client.get(urls["docx"].removeprefix("http://x"))
    assert refused.status == 403
    assert "Filen kan inte hämtas" in page_sections(await refused.text())["sv"]
    assert (await client.get("/consortium/forged")).status == 404
    events = await AuditStore(db).since(NOW - timedelta(days=3650))
    assert [(e.actor, e.action, e.detail.get("reason")) for e in events] == [
        ("anna@k.se", "hr.refused", "not_consortium")
    ]
