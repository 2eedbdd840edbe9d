"""Erasing a chef's own answers ("radera mina svar"): everything but what the organisation keeps
as public records, only what the confirmed plan showed, never anyone else's; that the chef was
asked and answered stays, so HR's counts and response rates stay true."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import col, select

from dialogs.my_data_cards import erase_card
from followup.digest.compile import compile_digest
from followup.imports.roster import import_roster
from followup.privacy.erasure import StaleErasure, erase_answers, plan_erasure
from followup.privacy.my_data import collect
from followup.privacy.retention import set_policy
from followup.rounds.lifecycle import close_round
from followup.rounds.progress import progress
from storage.conversation_store import ConversationStore
from storage.database import Database
from storage.models import (
    ActivityStatusAnswer,
    Chef,
    Invitation,
    RatingAnswer,
    ReflectionAnswer,
)
from tests.followup.privacy.test_departed import KARIN, LEFT, roster_without
from tests.followup.privacy.test_my_data import CLOSED, PR, change, world


async def chef(db: Database, first_name: str) -> int:
    async with db.session() as s:
        found = (
            await s.exec(select(Chef).where(col(Chef.name).startswith(f"{first_name} ")))
        ).one()
    assert found.id is not None
    return found.id


async def test_erasing_keeps_identified_statuses_as_public_records(db: Database) -> None:
    _, karin, _, second = await world(db)
    before = await compile_digest(db, round_id=second, now=CLOSED)
    plan = await plan_erasure(db, chef_id=karin)
    assert plan is not None and plan.erases_anything
    # kept: the identified status of the first round; erased: the second round's (confidential)
    assert (plan.kept_statuses, plan.statuses, plan.rounds) == (1, 1, 2)
    # two strengths and a private text; support, principle and confidence in each round
    assert (plan.texts, plan.ratings) == (3, 6)

    done = await erase_answers(db, chef_id=karin, fingerprint=plan.fingerprint)
    assert (done.statuses, done.texts, done.ratings, done.kept_statuses) == (1, 3, 6, 1)
    data = await collect(db, chef_id=karin)
    assert data is not None
    one, two = data.rounds
    assert [(s.status, s.comment) for s in one.statuses] == [("done", "Klart i mars")]
    assert (one.texts, one.ratings, two.statuses, two.texts, two.ratings) == ((),) * 5
    assert (await collect(db, chef_id=await chef(db, "Maria"))).rounds[1].texts  # type: ignore[union-attr]
    # she still answered the round; the round is open, so nothing confidential is out yet
    after = await compile_digest(db, round_id=second, now=CLOSED)
    assert after.total == before.total
    assert before.sealed and before.confidence is None and after.confidence is None
    # published at close, without her answers
    await close_round(db, round_id=second, now=CLOSED)
    closed = await compile_digest(db, round_id=second, now=CLOSED)
    assert closed.confidence is not None
    assert closed.confidence.n == closed.total.submitted - 1

    # the same confirmation again, or a plan with nothing left: nothing happens
    with pytest.raises(StaleErasure):
        await erase_answers(db, chef_id=karin, fingerprint=plan.fingerprint)
    again = await plan_erasure(db, chef_id=karin)
    assert again is not None and not again.erases_anything and again.kept_statuses == 1


async def test_a_policy_that_keeps_nothing_erases_the_statuses_too(db: Database) -> None:
    org, karin, _, _ = await world(db)
    await set_policy(db, organisation_id=org, keep_identified_statuses=False)
    plan = await plan_erasure(db, chef_id=karin)
    assert plan is not None and (plan.kept_statuses, plan.statuses) == (0, 2)
    await erase_answers(db, chef_id=karin, fingerprint=plan.fingerprint)
    async with db.session() as s:
        left = (
            await s.exec(
                select(ActivityStatusAnswer)
                .join(Invitation, col(Invitation.id) == col(ActivityStatusAnswer.invitation_id))
                .where(Invitation.chef_id == karin)
            )
        ).all()
    assert left == []


async def test_a_confirmation_of_other_answers_than_there_are_now_erases_nothing(
    db: Database,
) -> None:
    org, karin, _, second = await world(db)
    plan = await plan_erasure(db, chef_id=karin)
    assert plan is not None
    # answered since the question was asked
    await change(db, second, "Karin", {(PR, "example"): "Ett nytt exempel"})

    async def counts() -> tuple[int, int, int]:
        async with db.session() as s:
            return (
                len((await s.exec(select(ActivityStatusAnswer))).all()),
                len((await s.exec(select(ReflectionAnswer))).all()),
                len((await s.exec(select(RatingAnswer))).all()),
            )

    before = await counts()
    with pytest.raises(StaleErasure):
        await erase_answers(db, chef_id=karin, fingerprint=plan.fingerprint)
    # the policy changed since
    fresh = await plan_erasure(db, chef_id=karin)
    assert fresh is not None
    await set_policy(db, organisation_id=org, keep_identified_statuses=False)
    with pytest.raises(StaleErasure):
        await erase_answers(db, chef_id=karin, fingerprint=fresh.fingerprint)
    with pytest.raises(StaleErasure):
        await erase_answers(db, chef_id=await chef(db, "Maria"), fingerprint=fresh.fingerprint)
    assert await counts() == before


async def test_erasing_keeps_that_the_chef_was_asked_and_answered(db: Database) -> None:
    _, karin, first, second = await world(db)
    before = [await progress(db, round_id=r) for r in (first, second)]
    plan = await plan_erasure(db, chef_id=karin)
    assert plan is not None
    await erase_answers(db, chef_id=karin, fingerprint=plan.fingerprint)
    after = [await progress(db, round_id=r) for r in (first, second)]
    # HR's response rates do not drop because a chef erased her answers
    assert [(p.total.invited, p.total.submitted) for p in after] == [
        (p.total.invited, p.total.submitted) for p in before
    ]
    async with db.session() as s:
        rows = (await s.exec(select(Invitation).where(Invitation.chef_id == karin))).all()
        roster = await s.get(Chef, karin)
    assert sorted(i.state for i in rows) == ["submitted", "submitted"]
    assert roster is not None and roster.name == "Karin Sjöberg"  # HR's record stays


async def test_a_chef_who_has_not_answered_has_nothing_to_erase(db: Database) -> None:
    await world(db)
    mikael = await chef(db, "Mikael")
    plan = await plan_erasure(db, chef_id=mikael)
    assert plan is not None and not plan.erases_anything
    assert (plan.rounds, plan.statuses, plan.texts, plan.ratings, plan.kept_statuses) == (
        0,
        0,
        0,
        0,
        0,
    )
    with pytest.raises(StaleErasure):  # confirming nothing erases nothing
        await erase_answers(db, chef_id=mikael, fingerprint=plan.fingerprint)


async def test_there_is_nothing_to_erase_for_a_chef_who_is_not_there(db: Database) -> None:
    _, karin, _, _ = await world(db)
    plan = await plan_erasure(db, chef_id=karin)
    assert plan is not None
    assert await plan_erasure(db, chef_id=karin + 1000) is None
    with pytest.raises(StaleErasure):
        await erase_answers(db, chef_id=karin + 1000, fingerprint=plan.fingerprint)


async def test_a_chef_who_has_left_the_roster_erases_their_chat_address_too(
    db: Database, tmp_path: Path
) -> None:
    org, karin, _, _ = await world(db)
    conversations = ConversationStore(db)
    await conversations.remember(
        tenant_id="t",
        user_id="29:karin",
        conversation_id="a:karin",
        service_url="https://smba.example/",
        reference={},
        now=CLOSED,
        upn=KARIN,
        organisation_id=org,
        chef_id=karin,
    )
    on_roster = await plan_erasure(db, chef_id=karin)
    assert on_roster is not None and on_roster.on_roster
    # on the roster, the chat stays: the next invitation needs it
    assert (on_roster.conversations, on_roster.kept_conversations) == (0, 1)

    await import_roster(
        db, organisation_id=org, path=roster_without(tmp_path, KARIN), clock=lambda: LEFT
    )
    # the card was for a chef on the roster: it erases nothing now
    with pytest.raises(StaleErasure):
        await erase_answers(db, chef_id=karin, fingerprint=on_roster.fingerprint)
    plan = await plan_erasure(db, chef_id=karin)
    assert plan is not None and not plan.on_roster
    assert (plan.conversations, plan.kept_conversations) == (1, 0)
    told = str(erase_card(plan, "sv", issued=LEFT))
    assert "Adresser till din chatt i Teams" in told
    assert "tas bort automatiskt 24 månader efter att du lämnade den" in told
    assert "Adressen som Teams gav Ledarpuls" not in told  # not kept any more

    done = await erase_answers(db, chef_id=karin, fingerprint=plan.fingerprint)
    assert done.conversations == 1
    assert await conversations.all_of_chef(karin) == []
    assert await conversations.find(tenant_id="t", user_id="29:karin") is None
