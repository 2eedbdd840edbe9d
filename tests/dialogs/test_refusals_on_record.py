"""Every refusal is on record: one audit row with who, `*.refused`, the reason and the round
when it is the sender's own — and nothing else changes. Never what the card held."""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select

from storage.database import Database
from storage.models import ActivityStatusAnswer, AuditEvent, Role, Round
from storage.role_store import RoleStore
from storage.types import utcnow
from tests.dialogs import test_hr_dialog
from tests.dialogs.checkin_world import (
    KARIN,
    MARIA,
    Client,
    Connector,
    activity,
    answer_all,
    button,
    card_action,
    db_of,
    open_a_round,
    post,
    press,
    submit_data,
)
from tests.dialogs.test_check_in_dialog import answer_steps, invited
from tests.dialogs.test_hr_dialog import (
    OUTSIDER,
    demo,
    hr_cards,
    last_text,
    say,
    state_of,
)
from tests.dialogs.test_hr_dialog import press as press_hr

Row = tuple[str, str, int | None, dict[str, Any]]


# the HR test world's connector, which also knows the HR admin of the next municipality
connector = test_hr_dialog.connector


async def refusals(db: Database, *, after: int = 0) -> list[Row]:
    """(actor, action, round, detail) of every refusal on record, oldest first."""
    async with db.session() as s:
        events = (
            await s.exec(
                select(AuditEvent)
                .where(col(AuditEvent.id) > after, col(AuditEvent.action).like("%.refused"))
                .order_by(col(AuditEvent.id))
            )
        ).all()
    return [(e.actor, e.action, e.round_id, e.detail) for e in events]


async def last_event_id(db: Database) -> int:
    async with db.session() as s:
        ids = (await s.exec(select(AuditEvent.id))).all()
    return max((i for i in ids if i is not None), default=0)


async def test_an_hr_admin_of_another_organisation_is_refused_on_record_and_changes_nothing(
    client: Client, connector: Connector
) -> None:
    db = db_of(client)
    org, programme = await demo(client, connector)
    round_id = await open_a_round(db, org, programme)
    cards = await hr_cards(client, connector, round_id)
    before, mark = await state_of(db), await last_event_id(db)

    # Karin's close card, forwarded to (or forged by) the HR admin of the next municipality
    await press_hr(client, connector, OUTSIDER, cards["close"], "close")
    await say(client, connector, OUTSIDER, f"status {round_id}")

    assert await state_of(db) == before
    async with db.session() as s:
        round_ = await s.get(Round, round_id)
    assert round_ is not None and round_.state == "open"
    # on his organisation's record, naming the round he asked for (not pointing into Karin's)
    assert await refusals(db, after=mark) == [
        (
            OUTSIDER["upn"],
            "hr.refused",
            None,
            {
                "command": "close",
                "reason": "unknown_round",
                "round": round_id,
                "via_card": True,
                "via": "teams",
            },
        ),
        (
            OUTSIDER["upn"],
            "hr.refused",
            None,
            {"command": "status", "reason": "unknown_round", "round": round_id, "via": "teams"},
        ),
    ]


async def test_a_revoked_role_a_rule_and_a_broken_form_are_refused_on_record(
    client: Client, connector: Connector
) -> None:
    db = db_of(client)
    org, programme = await demo(client, connector)
    round_id = await open_a_round(db, org, programme)
    cards = await hr_cards(client, connector, round_id)
    roles = RoleStore(db)
    await roles.grant(
        organisation_id=org,
        principal=MARIA["upn"],
        role=Role.HR_ADMIN,
        created_by="test",
        now=utcnow(),
    )
    await roles.revoke(organisation_id=org, principal=MARIA["upn"], role=Role.HR_ADMIN)
    before, mark = await state_of(db), await last_event_id(db)

    # Maria was HR until a moment ago: the card she kept is refused
    await press_hr(client, connector, MARIA, cards["close"], "close")
    assert last_text(connector, MARIA).startswith("Det här kortet är till för HR")
    # Karin's extension to a day that is no date
    await press_hr(client, connector, KARIN, cards["extend"], "extend", {"deadline": "snart"})
    # Karin asking for a round there is none of
    await say(client, connector, KARIN, "förläng 4711")

    assert await state_of(db) == before
    assert await refusals(db, after=mark) == [
        (
            MARIA["upn"],
            "hr.refused",
            None,
            {"command": "close", "reason": "not_permitted", "via": "teams"},
        ),
        (
            KARIN["upn"],
            "hr.refused",
            round_id,
            {
                "command": "extend",
                "reason": "invalid_form",
                "fields": ["deadline:bad_date"],
                "via_card": True,
                "via": "teams",
            },
        ),
        (
            KARIN["upn"],
            "hr.refused",
            None,
            {"command": "extend", "reason": "unknown_round", "round": 4711, "via": "teams"},
        ),
    ]
    assert "snart" not in str(await refusals(db))  # what was typed is no evidence


async def test_every_refused_check_in_card_is_on_record_and_changes_nothing(
    client: Client, connector: Connector
) -> None:
    round_id = await invited(client, connector, KARIN, MARIA)
    db = db_of(client)
    card = await answer_steps(client, connector, KARIN, steps=0)
    values = answer_all(card, text="Hemligt svar")
    some_status = next(k for k in values if k.startswith("status:"))
    mark = await last_event_id(db)

    # another chef's card
    await press(client, connector, MARIA, card, "save", values)
    # a value that is not offered, and a card whose invitation is no number
    await press(client, connector, KARIN, card, "save", {**values, some_status: "kanske"})
    await press(client, connector, KARIN, card, "save", values, invitation="7; DROP TABLE")
    # a card of no kind of ours: as a Universal Action Teams shows the error on the card (no
    # button of ours has it, nothing to put on record); as a message, it is a forgery
    answer = await post(
        client,
        card_action(
            connector,
            KARIN,
            button(card, "save"),
            {**values, "ledarpuls": "okänd"},
            reply_to=card["_id"],
        ),
    )
    assert answer is not None and answer["value"]["code"] == "NotSupported"
    forged = {**submit_data(card, "save"), **values, "ledarpuls": "okänd"}
    await post(client, activity(connector, KARIN, value=forged, replyToId=card["_id"]))
    # the round closed since: a stale card
    async with db.session() as s, s.begin():
        round_ = await s.get(Round, round_id)
        assert round_ is not None
        round_.state = "closed"
    await press(client, connector, KARIN, card, "save", values)

    async with db.session() as s:
        assert (await s.exec(select(ActivityStatusAnswer))).all() == []
    rows = await refusals(db, after=mark)
    data = submit_data(card, "save")
    assert [(actor, action, rid) for actor, action, rid, _ in rows] == [
        (MARIA["upn"], "checkin.refused", None),  # her own round or not, the card is not hers
        (KARIN["upn"], "checkin.refused", round_id),
        (KARIN["upn"], "checkin.refused", None),
        (KARIN["upn"], "card.refused", None),
        (KARIN["upn"], "checkin.refused", round_id),
    ]
    assert [detail for *_, detail in rows] == [
        {"reason": "not_yours", "invitation": data["invitation"]},
        {"reason": "invalid_answer", "step": data["step"], "errors": ["not_offered"]},
        {"reason": "invalid_card"},
        {"reason": "invalid_card"},
        {"reason": "round_closed", "invitation": data["invitation"]},
    ]
    assert "Hemligt svar" not in str(rows) and "kanske" not in str(rows)
