"""HR keeps the roster and the plan from Teams: a file in the chat is previewed, applied once on
Verkställ by the admin who sent it; a broken file's problems are listed in the user's language;
a chef's file is refused unread; the upload page takes one file once; the templates download."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from aiohttp import FormData, web
from aiohttp.test_utils import TestClient, TestServer
from openpyxl import load_workbook
from sqlmodel import select

from dialogs.hr_imports import FILE_INFO
from dialogs.import_cards import problems_card
from followup.imports.problems import Location, Problem
from followup.policy import Policy
from storage.models import Chef, PendingImport, Role
from storage.pending_import_store import PendingImportStore
from storage.role_store import RoleStore
from storage.types import utcnow
from tests.cards import assert_valid_cards
from tests.dialogs import test_hr_dialog
from tests.dialogs.checkin_world import KARIN, MARIA, Client, Connector, db_of, post
from tests.dialogs.test_hr_dialog import (
    OUTSIDER,
    audit_actions,
    demo,
    from_person,
    last_card,
    last_text,
    press,
    say,
    updated,
)
from tests.followup.hr.test_imports import LEILA, NEW, edited_roster

connector = test_hr_dialog.connector
MARIA_UPN = MARIA["upn"]


@dataclass
class FileServer:
    """Stands in for SharePoint: serves the files HR sends, and records what was fetched."""

    url: str = ""
    files: dict[str, bytes] = field(default_factory=dict)
    fetched: list[str] = field(default_factory=list)

    async def serve(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        self.fetched.append(name)
        if name not in self.files:
            raise web.HTTPNotFound()
        return web.Response(body=self.files[name])


ServerFactory = Callable[[web.Application], Awaitable[TestServer]]


@pytest.fixture
async def sharepoint(aiohttp_server: ServerFactory) -> AsyncIterator[FileServer]:
    files = FileServer()
    app = web.Application()
    app.router.add_get("/files/{name}", files.serve)
    server = await aiohttp_server(app)
    files.url = str(server.make_url("/files/"))
    yield files


async def send_file(
    client: Client,
    connector: Connector,
    person: dict[str, str],
    sharepoint: FileServer,
    name: str,
    content: bytes,
    *,
    locale: str = "sv-SE",
    serve: bool = True,
) -> None:
    """The person attaches a file in their chat with the bot, as Teams delivers it (`serve`:
    False when the file is gone before the bot fetches it)."""
    if serve:
        sharepoint.files[name] = content
    url = sharepoint.url + name
    attachment = {
        "contentType": FILE_INFO,
        "contentUrl": url,
        "name": name,
        "content": {"downloadUrl": url, "uniqueId": "1", "fileType": name.rsplit(".", 1)[-1]},
    }
    await post(client, from_person(connector, person, attachments=[attachment], locale=locale))


async def roster(client: Client) -> dict[str, Chef]:
    async with db_of(client).session() as s:
        return {c.upn: c for c in (await s.exec(select(Chef))).all()}


async def test_hr_sends_a_roster_previews_it_and_applies_it_once(
    client: Client, connector: Connector, sharepoint: FileServer
) -> None:
    await demo(client, connector)
    await send_file(client, connector, KARIN, sharepoint, "chefer.yaml", edited_roster())

    preview = last_card(connector, KARIN)
    shown = str(preview)
    assert "Förhandsgranskning av chefer.yaml" in shown
    # Johan too: the file has the demo's day for his leave, not the one this world set
    assert "Enhetschefer: 1 läggs till, 2 ändras, 1 avaktiveras" in shown
    assert f"Läggs till: {NEW}" in shown and f"Avaktiveras: {LEILA}" in shown
    assert f"Ändras: {MARIA_UPN}" in shown
    assert NEW not in await roster(client)  # nothing until Verkställ

    await press(client, connector, KARIN, preview, "import_apply")
    done = updated(connector)
    assert "chefer.yaml är importerad." in str(done)
    chefs = await roster(client)
    assert chefs[NEW].active and not chefs[LEILA].active

    await press(client, connector, KARIN, preview, "import_apply")  # the old card again
    assert last_text(connector, KARIN).startswith("Den här filen väntar inte längre")
    actions = [action for _, action, _ in await audit_actions(db_of(client))]
    assert actions.count("import.applied") == 1
    assert_valid_cards([preview, done])


async def test_a_broken_file_lists_its_problems_in_the_users_language(
    client: Client, connector: Connector, sharepoint: FileServer
) -> None:
    await demo(client, connector)
    broken = "E-post (UPN);Namn;Avdelning\nny@demo.se;Ny Chef;OKÄND\n".encode()
    await send_file(client, connector, KARIN, sharepoint, "chefer.csv", broken)
    swedish = last_card(connector, KARIN)
    assert "chefer.csv kunde inte läsas in – ingenting har ändrats" in str(swedish)
    assert "chefer.csv, rad 2, kolumn 3 (Avdelning): Okänd avdelning ”OKÄND”." in str(swedish)

    await say(client, connector, KARIN, "language english")
    await send_file(client, connector, KARIN, sharepoint, "chefer.csv", broken, locale="en-GB")
    english = last_card(connector, KARIN)
    assert "chefer.csv could not be imported – nothing has changed" in str(english)
    assert "row 2" in str(english) and "OKÄND" in str(english)
    assert "ny@demo.se" not in await roster(client)
    async with db_of(client).session() as s:
        assert (await s.exec(select(PendingImport))).all() == []

    await say(client, connector, KARIN, "språk svenska")
    await send_file(client, connector, KARIN, sharepoint, "bild.png", b"\x89PNG")
    assert "Filtypen .png stöds inte" in str(last_card(connector, KARIN))
    assert "bild.png" not in sharepoint.fetched  # refused by its name, not fetched
    assert_valid_cards([swedish, english])


async def test_a_chef_or_a_lead_sending_a_file_is_refused_and_it_is_never_fetched(
    client: Client, connector: Connector, sharepoint: FileServer
) -> None:
    org, _ = await demo(client, connector)
    await send_file(client, connector, MARIA, sharepoint, "chefer.yaml", edited_roster())
    assert last_text(connector, MARIA).startswith("Det här kan bara HR")
    department = (await roster(client))[MARIA_UPN].department_id
    await RoleStore(db_of(client)).grant(
        organisation_id=org,
        principal=MARIA_UPN,
        role=Role.DEPARTMENT_LEAD,
        department_id=department,
        created_by="test",
        now=utcnow(),
    )
    await send_file(client, connector, MARIA, sharepoint, "plan.yaml", edited_roster())
    assert last_text(connector, MARIA).startswith("Det här kan bara HR")
    assert sharepoint.fetched == []
    assert NEW not in await roster(client)
    refused = [(actor, action) for actor, action, _ in await audit_actions(db_of(client))]
    assert refused.count((MARIA_UPN, "hr.refused")) == 2


async def test_another_admin_or_tenant_or_an_old_preview_changes_nothing(
    client: Client, connector: Connector, sharepoint: FileServer
) -> None:
    org, _ = await demo(client, connector)
    await send_file(client, connector, KARIN, sharepoint, "chefer.yaml", edited_roster())
    preview = last_card(connector, KARIN)

    await press(client, connector, OUTSIDER, preview, "import_apply")
    assert last_text(connector, OUTSIDER).startswith("Den här filen väntar inte längre")
    await press(client, connector, MARIA, preview, "import_apply")
    assert last_text(connector, MARIA).startswith("Det här kortet är till för HR")
    assert NEW not in await roster(client)

    # a preview left too long: made to have expired an hour ago
    store = PendingImportStore(db_of(client))
    now = utcnow()
    await store.create(
        organisation_id=org,
        token="gammal",
        uploaded_by=KARIN["upn"],
        now=now - timedelta(hours=2),
        expires_at=now - timedelta(hours=1),
        file_name="chefer.yaml",
        content=edited_roster(),
        kind="roster",
    )
    await press(client, connector, KARIN, preview, "import_apply", {"token": "gammal"})
    assert last_text(connector, KARIN).startswith("Förhandsgranskningen är för gammal")
    assert NEW not in await roster(client)

    await press(client, connector, KARIN, preview, "import_cancel")
    assert "Importen av chefer.yaml är avbruten" in str(updated(connector))
    await press(client, connector, KARIN, preview, "import_apply")
    assert NEW not in await roster(client)


@pytest.mark.parametrize("world", ["endpoint"], indirect=True)  # the upload page is served
async def test_the_upload_page_takes_one_file_then_teams_previews_it(
    client: TestClient[Any, Any], connector: Connector
) -> None:
    await demo(client, connector)
    await say(client, connector, KARIN, "importera")
    card = last_card(connector, KARIN)
    [link] = [a["url"] for a in card["actions"] if a["type"] == "Action.OpenUrl"]
    path = link.split("127.0.0.1:3978", 1)[-1]  # the app is served by the test client

    page = await client.get(path)
    assert page.status == 200
    form = await page.text()
    assert 'type="file"' in form and "Ladda upp programplan eller chefslista" in form
    english = await (await client.get(path + "?lang=en")).text()
    assert "Upload a programme plan or roster" in english

    def upload(name: str, content: bytes) -> FormData:
        data = FormData()
        data.add_field("file", content, filename=name)
        return data

    not_a_form = await client.post(path, json={"file": "chefer.yaml"})
    assert not_a_form.status == 400 and "Ingen fil kom med" in await not_a_form.text()
    refused = await client.post(path, data=upload("bild.png", b"\x89PNG"))
    assert refused.status == 415 and "Länken gäller fortfarande" in await refused.text()
    stored = await client.post(path, data=upload("chefer.yaml", edited_roster()))
    assert stored.status == 200 and "förhandsgranska" in await stored.text()
    again = await client.post(path, data=upload("chefer.yaml", edited_roster()))
    assert again.status == 410 and "redan använd" in await again.text()
    forged = await client.get("/upload/inte-en-riktig-lank")
    assert forged.status == 410

    await say(client, connector, KARIN, "förhandsgranska")
    preview = last_card(connector, KARIN)
    assert "1 läggs till, 2 ändras, 1 avaktiveras" in str(preview)
    await press(client, connector, KARIN, preview, "import_apply")
    assert (await roster(client))[NEW].active
    actions = [action for _, action, _ in await audit_actions(db_of(client))]
    assert {"import.upload_link", "import.upload", "import.applied"} <= set(actions)
    assert_valid_cards([card, preview])


@pytest.mark.parametrize("world", ["endpoint"], indirect=True)  # the templates are served
async def test_templates_download_and_a_filled_roster_template_imports(
    client: TestClient[Any, Any], connector: Connector, sharepoint: FileServer
) -> None:
    await demo(client, connector)
    await say(client, connector, KARIN, "language english")
    await say(client, connector, KARIN, "templates", locale="en-GB")
    card = last_card(connector, KARIN)
    links = {a["title"]: a["url"] for a in card["actions"]}
    assert set(links) == {"Programme plan", "Roster"}
    response = await client.get(links["Roster"].split("127.0.0.1:3978", 1)[-1])
    assert response.status == 200
    workbook = load_workbook(io.BytesIO(await response.read()))
    assert workbook.sheetnames == ["Instructions", "Chefer"]
    explained = [row[1] for row in workbook["Instructions"].iter_rows(min_row=4, values_only=True)]
    assert explained[:3] == ["E-post (UPN)", "Namn", "Avdelning"]

    sheet = workbook["Chefer"]
    sheet.append([NEW, "Nora Nilsson", "IFO", "Familjehem"])
    filled = io.BytesIO()
    workbook.save(filled)
    await say(client, connector, KARIN, "språk svenska")
    await send_file(client, connector, KARIN, sharepoint, "mall.xlsx", filled.getvalue())
    preview = last_card(connector, KARIN)
    assert f"Läggs till: {NEW}" in str(preview)
    assert_valid_cards([card, preview])


async def test_a_file_larger_than_the_limit_is_not_read(
    client: Client, connector: Connector, sharepoint: FileServer
) -> None:
    await demo(client, connector)
    limit = Policy().import_max_bytes
    await send_file(client, connector, KARIN, sharepoint, "stor.csv", b"x" * (limit + 1))
    assert "Filen är för stor (högst 5 MB)" in str(last_card(connector, KARIN))
    await send_file(client, connector, KARIN, sharepoint, "borta.csv", b"", serve=False)
    assert last_text(connector, KARIN).startswith("Jag kunde inte hämta filen")


def test_a_problem_worded_for_the_command_line_is_worded_for_teams_on_the_card() -> None:
    problem = Problem(Location("aktiviteter.csv"), "which_programme", {"code": ""})
    content = problems_card("aktiviteter.csv", [problem], "sv")
    assert "säger inte vilket den gäller" in str(content) and "--programme" not in str(content)
    assert "does not say which it is for" in str(problems_card("a.csv", [problem], "en"))
    assert_valid_cards([content])


def test_a_problem_whose_value_is_named_key_is_worded_not_a_crash() -> None:
    # the catalogue's own parameter is named `key` too: a duplicate key once raised TypeError
    problem = Problem(
        Location("chefer.csv", row=5, column="E-post (UPN)"),
        "duplicate_key",
        {"key": "ny@demo.se", "first_row": 3},
    )
    assert "”ny@demo.se” finns redan på rad 3." in str(problems_card("chefer.csv", [problem], "sv"))
    assert '"ny@demo.se" already appears on row 3.' in str(problems_card("c.csv", [problem], "en"))
