"""One programme, several organisations: a regional R&D centre (SUD Dalarna's kind) shares its
programme, two municipalities join it from the command line and run their own rounds of it in
their own tenants in Teams (through the fake Bot Connector), and the centre's HR gets the digest
compiled across them — with the same privacy rules, and nothing a member's own rules keep."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
import yaml
from docx import Document
from docx.oxml.ns import qn
from openpyxl import load_workbook
from sqlmodel import select

from bot.settings import Settings
from dialogs.texts import t
from followup.digest.consortium import ConsortiumFigures
from followup.imports.plan import import_plan
from followup.imports.roster import import_roster
from followup.policy import Policy
from followup.rounds.calendar import close_with_results
from storage.database import Database
from storage.models import (
    AuditEvent,
    ConsortiumMember,
    ConsortiumPublication,
    Department,
    Programme,
    Role,
)
from storage.organisation_store import OrganisationStore
from storage.role_store import RoleStore
from storage.types import utcnow
from tests.bot.test_download_links import file_name_of
from tests.cards import assert_valid_cards
from tests.conftest import EXAMPLES
from tests.dialogs.checkin_world import (
    Client,
    Connector,
    add_person,
    card_action,
    cards_to,
    db_of,
    deliver_outbox,
    install,
    make_hr_admin,
    open_a_round,
    post,
    press,
    say,
    texts_to,
)
from tests.dialogs.test_check_in_dialog import answer_steps
from tests.dialogs.test_views_of_a_round import cli

pytestmark = pytest.mark.parametrize("world", ["endpoint"], indirect=True)

FOU, ALVBY, SKOGSA, GRANNBY = (
    "0c0c0c0c-0000-4000-8000-00000000f0f0",
    "0a0a0a0a-0000-4000-8000-00000000a1a1",
    "0b0b0b0b-0000-4000-8000-00000000b2b2",
    "0d0d0d0d-0000-4000-8000-00000000d3d3",
)
CODE = "starka-chefer-2024-2027"  # the demo plan's programme: the centre's, shared
K = Policy().k


def person(key: str, name: str, tenant: str, number: int) -> dict[str, str]:
    return {
        "id": f"29:{key}",
        "aadObjectId": f"2b3c4d5e-0002-4000-8000-0000000002{number:02d}",
        "upn": f"{key}@{tenant[:4]}.example.se",
        "name": name,
        "conv": f"a:{key}",
        "tenant": tenant,
    }


FRIDA = person("frida.fou", "Frida Forsberg", FOU, 1)  # the centre's HR admin
LARS = person("lars.lead", "Lars Lind", FOU, 2)  # a department lead at the centre
ANNA = person("anna.hr", "Anna Holm", ALVBY, 3)  # Älvby's HR admin
BO = person("bo.hr", "Bo Berg", SKOGSA, 4)  # Skogså's HR admin
ALVBY_CHEFS = [
    person("eva.ifo", "Eva Ek", ALVBY, 5),
    person("nils.ifo", "Nils Nord", ALVBY, 6),
    person("olle.ao", "Olle Ås", ALVBY, 7),
]
SKOGSA_CHEF = person("siv.lss", "Siv Sund", SKOGSA, 8)  # Skogså's only unit manager
GRANNBY_CHEF = person("gun.ifo", "Gun Grå", GRANNBY, 9)  # a municipality that is no member


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        database_url=database_url,
        run_scheduler=False,
        public_url="http://127.0.0.1:3978",  # download links
        download_link_secret="s" * 40,
    )


def roster(tmp_path: Path, name: str, chefs: list[tuple[dict[str, str], str]]) -> Path:
    path = tmp_path / f"{name}.yaml"
    rows = [
        {"upn": p["upn"], "name": p["name"], "department": dept, "unit": f"Enhet {p['name']}"}
        for p, dept in chefs
    ]
    path.write_text(yaml.safe_dump({"chefs": rows}, allow_unicode=True), encoding="utf-8")
    return path


async def municipality(
    db: Database, tenant: str, name: str, path: Path, *, plan: bool = False
) -> int:
    """An organisation of its own tenant, with its departments and roster (its plan too when
    it is no member: its own programme of the same code)."""
    org = await OrganisationStore(db).create(tenant_id=tenant, name=name, default_k=K)
    assert org.id is not None
    if plan:
        await import_plan(db, organisation_id=org.id, path=EXAMPLES / "demo-plan.yaml")
    else:
        await departments_only(db, org.id)
    await import_roster(db, organisation_id=org.id, path=path)
    return org.id


async def departments_only(db: Database, organisation_id: int) -> None:
    """A member's own departments (named its own way): the shared plan brings none."""
    async with db.session() as s, s.begin():
        for code, title in (("IFO", "Individ och familj"), ("ÄO", "Äldreomsorg"), ("LSS", "LSS")):
            s.add(Department(organisation_id=organisation_id, code=code, name=title))


async def programme_of(db: Database, organisation_id: int) -> int:
    async with db.session() as s:
        found = (
            await s.exec(select(Programme).where(Programme.organisation_id == organisation_id))
        ).one()
    assert found.id is not None and found.code == CODE
    return found.id


async def checks_in(client: Client, connector: Connector, chef: dict[str, str]) -> None:
    """The chef answers every step of the invitation and sends it in."""
    summary = await answer_steps(client, connector, chef)
    await press(client, connector, chef, summary, "submit")


def shown(card: dict[str, Any]) -> str:
    return str(card)


def section(card: dict[str, Any], title: str) -> list[str]:
    """The lines of the card under the heading `title`, up to the next heading."""
    lines, inside = [], False
    for element in card["body"]:
        text = element["inlines"][0]["text"] if "inlines" in element else ""
        heading = element.get("size") == "Medium" or element.get("separator")
        if inside and heading:
            break
        if inside:
            lines.append(text)
        inside = inside or text == title
    if not inside:
        raise AssertionError(f"no section {title}")
    return lines


def md_table(markdown: str, title: str) -> list[list[str]]:
    """A table of the Markdown (after the heading `## title`), as its cells."""
    after = markdown.split(f"## {title}\n", 1)[1].strip().split("\n\n", 1)[0]
    return [[c.strip() for c in line.strip("|").split("|")] for line in after.splitlines()]


def file_buttons(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The card's download buttons by the format they ask for (never a link)."""
    buttons = {}
    for action in card.get("actions", []):
        assert "url" not in action, "a card in a chat holds no link"
        if action["data"].get("action") == "consortium_download":
            buttons[action["data"]["format"]] = action
    return buttons


def docx_tables(content: bytes) -> dict[str, list[list[str]]]:
    """The document's tables by their captions, as their cells."""
    return {
        table._tbl.tblPr.find(qn("w:tblCaption")).get(qn("w:val")): [
            [cell.text for cell in row.cells] for row in table.rows
        ]
        for table in Document(io.BytesIO(content)).tables
    }


def docx_lines(content: bytes) -> list[str]:
    document = Document(io.BytesIO(content))
    lines = [p.text for p in document.paragraphs]
    for table in document.tables:
        lines += [" | ".join(cell.text for cell in row.cells) for row in table.rows]
    return lines


async def kept(db: Database) -> ConsortiumFigures:
    async with db.session() as s:
        [row] = (await s.exec(select(ConsortiumPublication))).all()
    return ConsortiumFigures.from_json(row.figures)


async def test_two_municipalities_run_one_shared_programme_and_the_centre_sees_it_compiled(
    client: Client,
    connector: Connector,
    settings: Settings,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    db = db_of(client)
    everyone = [FRIDA, LARS, ANNA, BO, *ALVBY_CHEFS, SKOGSA_CHEF, GRANNBY_CHEF]
    for someone in everyone:
        add_person(connector, someone, tenant_id=someone["tenant"])

    # the centre: its own tenant, plan and HR; a department lead of its own
    centre = await OrganisationStore(db).create(tenant_id=FOU, name="FoU Dalarna", default_k=K)
    assert centre.id is not None
    await import_plan(db, organisation_id=centre.id, path=EXAMPLES / "demo-plan.yaml")
    await make_hr_admin(db, centre.id, FRIDA)
    async with db.session() as s:
        ifo = (
            await s.exec(
                select(Department).where(
                    Department.organisation_id == centre.id, Department.code == "IFO"
                )
            )
        ).one()
    await RoleStore(db).grant(
        organisation_id=centre.id,
        principal=LARS["aadObjectId"],
        role=Role.DEPARTMENT_LEAD,
        department_id=ifo.id,
        created_by="test",
        now=utcnow(),
    )
    alvby_chefs = [(ALVBY_CHEFS[0], "IFO"), (ALVBY_CHEFS[1], "IFO"), (ALVBY_CHEFS[2], "ÄO")]
    alvby = await municipality(db, ALVBY, "Älvby kommun", roster(tmp_path, "a", alvby_chefs))
    skogsa = await municipality(
        db, SKOGSA, "Skogså kommun", roster(tmp_path, "b", [(SKOGSA_CHEF, "LSS")])
    )
    grannby = await municipality(
        db, GRANNBY, "Grannby kommun", roster(tmp_path, "c", [(GRANNBY_CHEF, "IFO")]), plan=True
    )
    await make_hr_admin(db, alvby, ANNA)
    await make_hr_admin(db, skogsa, BO)

    # set up from the command line: the centre shares, the two municipalities join
    out = await cli(settings, capsys, "consortium", "create", CODE, "--org", FOU)
    assert "FoU Dalarna delar nu programmet" in out
    for tenant in (ALVBY, SKOGSA):
        out = await cli(settings, capsys, "consortium", "join", "FoU Dalarna", "--org", tenant)
        assert "är medlem i" in out and CODE in out
    listed = await cli(settings, capsys, "consortium", "list", "--org", FOU)
    assert "Älvby kommun: medlem sedan" in listed and "Skogså kommun: medlem sedan" in listed
    assert "Grannby" not in listed
    async with db.session() as s:
        members = (await s.exec(select(ConsortiumMember))).all()
    assert {m.organisation_id for m in members} == {alvby, skogsa}

    # each member runs a round of the shared plan in its own tenant; so does Grannby, alone
    for someone in everyone:
        await install(client, connector, someone)
    rounds = {
        org: await open_a_round(db, org, await programme_of(db, org), title=title)
        for org, title in (
            (alvby, "Delår 1 Älvby"),
            (skogsa, "Delår 1 Skogså"),
            (grannby, "Delår 1 Grannby"),
        )
    }
    await deliver_outbox(client, paced=False)
    for chef in [*ALVBY_CHEFS, SKOGSA_CHEF, GRANNBY_CHEF]:
        await checks_in(client, connector, chef)

    # before every member's round has closed: whom it waits for, no figure
    await close_with_results(db, round_id=rounds[alvby], now=utcnow())
    await say(client, connector, FRIDA, "gemensam sammanställning")
    waiting = cards_to(connector, FRIDA)[-1]
    assert "Vi väntar på: Skogså kommun" in shown(waiting)
    assert "Aktiviteternas status" not in shown(waiting)
    assert file_buttons(waiting) == {}  # no figure yet: no file of them

    for org in (skogsa, grannby):
        await close_with_results(db, round_id=rounds[org], now=utcnow())
    await deliver_outbox(client, paced=False)

    # each member's HR gets its own digest, as for any round: its own chefs only
    anna_digest = next(c for c in reversed(cards_to(connector, ANNA)) if "Delår 1" in str(c))
    assert "Delår 1 Älvby" in shown(anna_digest) and "Skogså" not in shown(anna_digest)
    bo_digest = next(c for c in reversed(cards_to(connector, BO)) if "Delår 1" in str(c))
    assert "Delår 1 Skogså" in shown(bo_digest) and "Älvby" not in shown(bo_digest)

    # the centre's HR: the compiled digest
    await say(client, connector, FRIDA, "gemensam sammanställning")
    compiled = cards_to(connector, FRIDA)[-1]
    assert "gemensam sammanställning" in shown(compiled)
    assert_valid_cards([waiting, compiled])
    members = section(compiled, "Medlemmar")
    assert members == [
        "Skogså kommun",
        "Omgång: Delår 1 Skogså · Tillfrågade: 1 · Svarade: 1 · Svarsandel: 100 %",
        "Älvby kommun",
        "Omgång: Delår 1 Älvby · Tillfrågade: 3 · Svarade: 3 · Svarsandel: 100 %",
        "Alla medlemmar",
        "Tillfrågade: 4 · Svarade: 4 · Svarsandel: 100 %",
    ]
    figures = await kept(db)
    assert figures.submitted == 4  # Grannby's chef is in no figure: it is no member
    # activity statuses for every department: all four answered, a total of four ...
    every = [a for a in figures.activities if a.counts is not None and sum(a.counts.values()) == 4]
    assert every
    for a in figures.activities:
        assert a.counts is None or sum(a.counts.values()) <= 4
        # ... Skogså's one chef is hidden (fewer than k), and so is Älvby (complementary): the
        # total minus the members shown leaves at least k people, or none
        sizes = {name: sum(c.values()) for name, c in a.departments.items() if c is not None}
        if a.counts is not None:
            unaccounted = sum(a.counts.values()) - sum(sizes.values())
            assert unaccounted == 0 or unaccounted >= K, a
        assert a.departments.get("Skogså kommun") is None
    assert set(figures.hidden_members) == {"Skogså kommun", "Älvby kommun"}
    # confidence: Skogså's one answer is hidden in Skogså's own digest, so it is in no total
    assert figures.confidence is not None and figures.confidence.n == 3
    assert figures.confidence.mean is not None
    assert "Skogså kommun" in figures.left_out and "Skogså kommun" not in figures.confidence_members
    # no names, no comments, no quotes, anywhere in it
    for chef in [*ALVBY_CHEFS, SKOGSA_CHEF, GRANNBY_CHEF]:
        assert chef["name"] not in shown(compiled)
    assert "Ett svar" not in shown(compiled)  # what the chefs typed in every text field
    assert "Grannby" not in shown(compiled)

    # the same in the files the CLI writes
    md = await cli(settings, capsys, "consortium", "digest", "--org", FOU)
    assert "| Älvby kommun | Delår 1 Älvby | 3 | 3 | 100 % |" in md
    done = md_table(md, "Genomförd per medlem (antal av svaren)")
    assert done[0] == ["Aktivitet", "Skogså kommun", "Älvby kommun"]
    # no member's cell is shown (an empty one: the activity is not for its departments)
    assert {cell for row in done[2:] for cell in row[1:]} == {"–", ""}
    assert any(row[1:] == ["–", "–"] for row in done[2:])
    assert "Ett svar" not in md and "Eva Ek" not in md
    xlsx = tmp_path / "gemensam.xlsx"
    await cli(
        settings,
        capsys,
        "consortium",
        "digest",
        "--format",
        "xlsx",
        "--out",
        str(xlsx),
        "--org",
        FOU,
    )
    book = load_workbook(io.BytesIO(xlsx.read_bytes()))
    sheet = book["Medlemmar"]
    assert [c.value for c in sheet[4]] == ["Alla medlemmar", None, 4, 4, "100 %"]

    # the board's document: a button on the card, a fresh link for the centre's HR
    buttons = file_buttons(compiled)
    assert [(a["title"], kind) for kind, a in buttons.items()] == [
        ("Ladda ner DOCX", "docx"),
        ("Ladda ner XLSX", "xlsx"),
    ]
    await post(client, card_action(connector, FRIDA, buttons["docx"], {}, reply_to=None))
    answer = cards_to(connector, FRIDA)[-1]
    assert_valid_cards([answer])
    [link] = [a["url"] for a in answer["actions"] if a["type"] == "Action.OpenUrl"]
    response = await client.get("/" + link.split("://", 1)[1].split("/", 1)[1])
    assert response.status == 200
    name = file_name_of(response.headers["Content-Disposition"])
    assert name is not None and name.startswith("Gemensam sammanställning ")
    assert name.endswith(".docx") and f"Din fil är klar: {name}" in shown(answer)
    document = await response.read()
    assert (
        Document(io.BytesIO(document)).core_properties.title
        == compiled["body"][0]["inlines"][0]["text"]
    )
    board = docx_lines(document)
    tables = docx_tables(document)
    assert ["Älvby kommun", "Delår 1 Älvby", "3", "3", "100 %"] in tables["Medlemmar"]
    # no member's cell is shown (an empty one: the activity is not for its departments)
    done = tables["Genomförd per medlem (antal av svaren)"]
    assert done[0] == ["Aktivitet", "Skogså kommun", "Älvby kommun"]
    assert {cell for row in done[1:] for cell in row[1:]} == {"–", ""}
    for chef in [*ALVBY_CHEFS, SKOGSA_CHEF, GRANNBY_CHEF]:
        assert not [line for line in board if chef["name"] in line]
    assert not [line for line in board if "Ett svar" in line or "Grannby" in line]
    # the same from the command line
    docx = tmp_path / "gemensam.docx"
    await cli(
        settings,
        capsys,
        "consortium",
        "digest",
        "--format",
        "docx",
        "--out",
        str(docx),
        "--org",
        FOU,
    )
    assert docx_lines(docx.read_bytes()) == board

    # another organisation's HR pressing the same button: refused, no link, on record
    anna_cards = len(cards_to(connector, ANNA))
    await post(client, card_action(connector, ANNA, buttons["docx"], {}, reply_to=None))
    assert texts_to(connector, ANNA)[-1] == t("sv", "round.error.not_consortium")
    assert len(cards_to(connector, ANNA)) == anna_cards
    async with db.session() as s:
        downloads = (
            await s.exec(select(AuditEvent).where(AuditEvent.action == "consortium.download"))
        ).all()
    assert [(d.organisation_id, d.actor, d.detail["format"]) for d in downloads] == [
        (centre.id, FRIDA["aadObjectId"], "docx")
    ]

    # a member's HR and a lead are refused, and it is on record
    await say(client, connector, ANNA, "gemensam sammanställning")
    assert texts_to(connector, ANNA)[-1] == t("sv", "round.error.not_consortium")
    await say(client, connector, LARS, "gemensam sammanställning")
    assert texts_to(connector, LARS)[-1] == t("sv", "hr.refused")
    async with db.session() as s:
        refusals = (await s.exec(select(AuditEvent).where(AuditEvent.action == "hr.refused"))).all()
        reads = (
            await s.exec(select(AuditEvent).where(AuditEvent.action == "consortium.digest"))
        ).all()
    assert {(r.organisation_id, r.detail.get("command")) for r in refusals} >= {
        (alvby, "consortium"),
        (centre.id, "consortium"),
    }
    assert {r.organisation_id for r in reads} == {centre.id}

    # kept as published: a member leaving afterwards changes nothing in it
    await cli(settings, capsys, "consortium", "leave", "FoU Dalarna", "--org", SKOGSA)
    await say(client, connector, FRIDA, "gemensam sammanställning")
    assert section(cards_to(connector, FRIDA)[-1], "Medlemmar") == members
