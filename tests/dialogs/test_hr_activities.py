"""HR's activities in Teams: `aktiviteter` lists them and ends one; a chef, another
organisation's HR admin and a stale card are refused, change nothing, and are on record."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient
from sqlmodel import col, select

from storage.models import Activity, AuditEvent
from tests.cards import assert_valid_cards
from tests.dialogs import test_hr_dialog
from tests.dialogs.checkin_world import KARIN, MARIA, db_of
from tests.dialogs.test_hr_dialog import OUTSIDER, demo, last_card, last_text, press, say
from tests.fakes.bot_connector import FakeBotConnector

# the HR test world's connector, which also knows the HR admin of another municipality
connector = test_hr_dialog.connector


async def test_hr_ends_an_activity_in_teams_and_nobody_else_can(
    client: TestClient[Any, Any], connector: FakeBotConnector
) -> None:
    db = db_of(client)
    await demo(client, connector)
    async with db.session() as s:
        a14 = (await s.exec(select(Activity).where(Activity.code == "A14"))).one()

    await say(client, connector, KARIN, "aktiviteter")
    listing = last_card(connector, KARIN)
    assert_valid_cards([listing])
    assert "A14 Fortbildning i arbetsrätt, arbetsmiljö och ekonomi" in str(listing)

    # a chef with the card in hand, and another municipality's HR admin: refused, nothing ends
    await press(client, connector, MARIA, listing, "end_activity", {"activity": str(a14.id)})
    assert last_text(connector, MARIA).startswith("Det här kortet är till för HR")
    await press(client, connector, OUTSIDER, listing, "end_activity", {"activity": str(a14.id)})
    assert "ingen aktivitet" in last_text(connector, OUTSIDER)
    async with db.session() as s:
        assert (await s.get(Activity, a14.id)) is not None
        assert all(a.ended_at is None for a in (await s.exec(select(Activity))).all())

    await press(client, connector, KARIN, listing, "end_activity", {"activity": str(a14.id)})
    assert last_text(connector, KARIN).startswith("Aktiviteten A14 Fortbildning i arbetsrätt")
    await say(client, connector, KARIN, "aktiviteter")
    assert "A14 Fortbildning" not in str(last_card(connector, KARIN))
    # the same card pressed again: told so, nothing changes
    await press(client, connector, KARIN, listing, "end_activity", {"activity": str(a14.id)})
    assert "redan avslutad" in last_text(connector, KARIN)
    await press(client, connector, KARIN, listing, "end_activity", {"activity": ""})
    assert "Aktivitet" in last_text(connector, KARIN)

    async with db.session() as s:
        events = (await s.exec(select(AuditEvent).order_by(col(AuditEvent.id)))).all()
    ends = [
        (e.actor, e.action, e.detail.get("reason"))
        for e in events
        if "activit" in str(e.detail) or e.action.startswith("activity")
    ]
    assert (MARIA["upn"], "hr.refused", "not_permitted") in ends
    assert (OUTSIDER["upn"], "hr.refused", "unknown_activity") in ends
    assert (KARIN["upn"], "activity.end", None) in ends
    assert (KARIN["upn"], "hr.refused", "activity_ended") in ends
    assert (KARIN["upn"], "hr.refused", "invalid_form") in ends
