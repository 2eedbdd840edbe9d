"""The chef's feedback after a round: their own answers beside the group's published figures,
the same figures HR has, and nothing the group's own k does not allow."""

from __future__ import annotations

from typing import Any

from sqlmodel import select

from dialogs.outbox_renderer import OutboxRenderer
from followup.policy import Policy
from storage.database import Database
from storage.models import Chef, OutboxKind, OutboxMessage
from tests.cards import assert_valid_cards, walk
from tests.followup.digest.test_compile import two_rounds


async def feedback_of(db: Database, first_name: str, round_id: int, language: str = "sv") -> str:
    async with db.session() as s:
        chefs = (await s.exec(select(Chef))).all()
    chef = next(c for c in chefs if c.name.split()[0] == first_name)
    message = OutboxMessage(
        organisation_id=chef.organisation_id,
        dedupe_key=f"feedback:{round_id}:{chef.id}",
        kind=OutboxKind.FEEDBACK.value,
        round_id=round_id,
        chef_id=chef.id,
    )
    activity = await OutboxRenderer(db, policy=Policy())(message, language)
    assert activity is not None
    card: dict[str, Any] = activity["attachments"][0]["content"]
    assert_valid_cards([card])
    lines = []
    for element in walk(card):
        if element.get("type") == "TextBlock":
            lines.append(element["text"])
        if element.get("type") == "FactSet":
            lines += [f"{f['title']}: {f['value']}" for f in element["facts"]]
    return "\n".join(lines)


async def test_feedback_shows_the_organisation_and_a_published_department(db: Database) -> None:
    _, second, hr = await two_rounds(db)
    mikael = await feedback_of(db, "Mikael", second)  # Äldreomsorg: 3 answered, published
    assert "Din trygghet i rollen" in mikael  # his own answers first
    assert "Så svarade gruppen" in mikael
    assert "Hela organisationen: 3,6 i genomsnitt (7 svar)" in mikael
    assert "Din avdelning (Äldreomsorg): 4,0 i genomsnitt (3 svar)" in mikael
    # round by round, as HR's trend has it
    assert "Delår 1: 2,8" in mikael and "Delår 2: 3,6" in mikael
    assert "Stöd: 4 chefer" in mikael  # the organisation's most named need
    assert hr.confidence is not None and hr.confidence.n == 7


async def test_feedback_hides_a_department_that_hr_does_not_see(db: Database) -> None:
    _, second, hr = await two_rounds(db)
    johan = await feedback_of(db, "Johan", second)  # IFO: hidden from HR too
    assert hr.confidence_departments["Individ- och familjeomsorg"] is None
    assert "Din avdelning (Individ- och familjeomsorg): Visas inte – för få svar" in johan
    assert "Hela organisationen: 3,6 i genomsnitt (7 svar)" in johan
    english = await feedback_of(db, "Johan", second, "en")
    assert "Your department (Individ- och familjeomsorg): Not shown – too few answers" in english
    assert "The whole organisation:" in english and "on average (7 answers)" in english
