"""Every page the service serves passes axe-core at WCAG 2.1 AA in headless Chromium, reads
without sideways scrolling at 320 px and can be used with the Tab key: the info pages and the
accessibility statement in Swedish and English, the upload page with its results and errors, and
the pages of a download link that gives no file. Every page links to the statement."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiohttp import FormData
from aiohttp.test_utils import TestClient

from bot.app import DATABASE, create_app
from bot.download_links import DownloadLinks
from bot.info_pages import PAGES
from bot.settings import Settings
from bot.upload_page import ImportPages
from dialogs.texts import LANGUAGES
from followup.policy import Policy
from storage.organisation_store import OrganisationStore
from storage.pending_import_store import PendingImportStore
from tests.axe import check_pages
from tests.followup.digest.test_pdf import stand_in_soffice

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
SECRET = "test-link-secret"
# the routes that answer no page: the bot's endpoint, probes, and the empty workbooks
NOT_PAGES = {"/api/messages", "/healthz", "/metrics", "/templates/{kind}.xlsx"}


def _path(url: str) -> str:
    return "/" + url.split("/", 3)[3]


async def served_pages(
    client: TestClient[Any, Any], clock: list[datetime], *, soffice: str
) -> dict[str, str]:
    """Every kind of page the service answers, as it answered them: name → HTML. `soffice`:
    LibreOffice where the links are made (the service has none)."""
    pages: dict[str, str] = {}

    async def keep(name: str, response: Any, status: int) -> None:
        assert response.status == status, name
        assert response.content_type == "text/html", name
        pages[name] = await response.text()

    for name in PAGES:
        for language in LANGUAGES:
            await keep(f"{name}-{language}", await client.get(f"/{name}?lang={language}"), 200)

    db = client.app[DATABASE]
    org = await OrganisationStore(db).create(tenant_id="t", name="Kommunen", default_k=3)
    assert org.id is not None
    slots = PendingImportStore(db)
    uploads = ImportPages(secret=SECRET.encode(), base_url="http://x")
    far, long_ago = datetime(2999, 1, 1, tzinfo=UTC), datetime(2000, 1, 1, tzinfo=UTC)
    for token, expires_at in (("open", far), ("gone", long_ago)):
        await slots.create(
            organisation_id=org.id,
            token=token,
            uploaded_by="karin@k.se",
            now=NOW,
            expires_at=expires_at,
        )
    form = _path(uploads.upload("open"))

    def upload(name: str, content: bytes) -> FormData:
        data = FormData()
        data.add_field("file", content, filename=name)
        return data

    for language in LANGUAGES:
        await keep(f"upload-{language}", await client.get(f"{form}?lang={language}"), 200)
    await keep("upload-no-file", await client.post(form, json={"file": "x"}), 400)
    await keep("upload-unsupported", await client.post(form, data=upload("a.png", b"\x89PNG")), 415)
    await keep(
        "upload-stored-en", await client.post(f"{form}?lang=en", data=upload("a.csv", b"a\n")), 200
    )
    await keep("upload-used", await client.post(form, data=upload("a.csv", b"a\n")), 410)
    await keep("upload-expired", await client.get(_path(uploads.upload("gone"))), 410)
    await keep("upload-forged", await client.get("/upload/not-a-link"), 410)

    links = DownloadLinks(
        secret=SECRET.encode(),
        base_url="http://x",
        lifetime=Policy().link_lifetime,
        clock=lambda: clock[0],
        soffice=soffice,
    )
    digest = links.links(round_id=4711, organisation_id=org.id, language="sv", actor="k")
    await keep("link-refused", await client.get(_path(digest["md"])), 403)
    await keep("link-no-pdf", await client.get(_path(digest["pdf"])), 503)
    shared = links.consortium_links(
        organisation_id=org.id, period="2026-spring", language="sv", actor="k"
    )
    await keep("consortium-link-refused", await client.get(_path(shared["docx"])), 403)
    await keep("consortium-link-invalid", await client.get("/consortium/forged"), 404)
    expiring = links.my_data_links(chef_id=4, organisation_id=org.id, language="sv", actor="k")
    clock[0] = NOW + timedelta(days=3)
    await keep("link-expired", await client.get(_path(expiring["json"])), 410)
    await keep("link-invalid", await client.get("/digest/forged"), 404)
    await keep("export-link-invalid", await client.get("/export/forged"), 404)
    return pages


async def test_every_page_the_service_serves_passes_axe_at_wcag_21_aa(
    aiohttp_client: Any, tmp_path: Path
) -> None:
    # the pages are the same on any database: one browser run, on SQLite, is enough
    clock = [NOW]
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'pages.db'}",
        download_link_secret=SECRET,
        run_scheduler=False,
        accessibility_organisation="Socialförvaltningen i Exempelby kommun",
        accessibility_contact="tillganglighet@exempelby.se",
        soffice=str(tmp_path / "no-libreoffice" / "soffice"),
    )
    app = create_app(settings, clock=lambda: clock[0])
    client = await aiohttp_client(app)
    pages = await served_pages(client, clock, soffice=stand_in_soffice(tmp_path))

    # every route that answers a page is among those checked
    served = {
        resource.canonical
        for resource in app.router.resources()
        if any(route.method == "GET" for route in resource)
    }
    checked = {f"/{name}" for name in PAGES} | {
        "/upload/{token}",
        "/digest/{token}",
        "/my-data/{token}",
        "/export/{token}",
        "/consortium/{token}",
    }
    assert served - NOT_PAGES <= checked, served - NOT_PAGES - checked

    for name, page in pages.items():
        # a language, a title, one main heading, a main landmark, and the statement one click away
        assert re.search(r'<html lang="(sv|en)">', page), name
        assert re.search(r"<title>[^<]+</title>", page), name
        assert page.count("<h1>") == 1 and "<main>" in page, name
        assert re.search(r'href="(\.\./)?accessibility\?lang=(sv|en)"', page), name

    found = check_pages(sorted(pages.items()))
    assert [c.name for c in found] == sorted(pages)
    problems = {
        c.name: {
            "violations": [(v["id"], v["width"], v["targets"]) for v in c.violations],
            "sideways": c.sideways,
            "unreached": c.unreached,
        }
        for c in found
        if c.violations or c.sideways > 0 or c.unreached
    }
    assert problems == {}
    assert all(c.passes > 0 for c in found)
