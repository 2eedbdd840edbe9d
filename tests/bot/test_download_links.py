"""Download links: signed, short-lived, bound to one round (or one chef) and format."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote

from aiohttp import web

from bot.download_links import DownloadLinks, download_handler, my_data_handler
from followup.policy import Policy
from storage.audit_store import AuditStore
from storage.database import Database
from storage.organisation_store import OrganisationStore

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def token(url: str) -> str:
    return unquote(url.rsplit("/", 1)[1])


def test_a_link_grants_its_round_format_and_reader_for_fifteen_minutes() -> None:
    clock = [NOW]
    links = DownloadLinks(
        secret=b"s",
        base_url="https://bot.example/",
        clock=lambda: clock[0],
        lifetime=Policy().link_lifetime,
    )
    urls = links.links(round_id=7, organisation_id=2, language="sv", actor="karin@k.se")
    assert set(urls) == {"xlsx", "docx", "md"}
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
    for url in (gone["md"], no_chef["json"], "http://x/digest/forged", "http://x/my-data/x"):
        response = await client.get(url.removeprefix("http://x"))
        assert response.status == 404
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
