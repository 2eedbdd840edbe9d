"""The drafts' store: one row a step, kept only for the current sending-in, cleared by round."""

from __future__ import annotations

from datetime import timedelta

import pytest

from storage.database import Database
from storage.draft_store import DraftStore, StaleDraft
from tests.followup.check_in.test_drafts import CHANGED, SENT, sent_in


async def test_a_step_has_one_draft_kept_only_for_the_current_sending_in(db: Database) -> None:
    _, _, check_in = await sent_in(db)
    store, invitation = DraftStore(db), check_in.invitation_id
    for value, now in ((1, CHANGED), (2, CHANGED + timedelta(minutes=1))):
        await store.put(
            invitation_id=invitation,
            step="confidence",
            values={"confidence": value},
            sent=SENT,
            now=now,
        )
    assert await store.of_invitation(invitation) == {"confidence": {"confidence": 2}}
    [row] = await store.of_invitations([invitation])
    assert row.updated_at == CHANGED + timedelta(minutes=1)
    for sent in (None, SENT - timedelta(seconds=1)):
        with pytest.raises(StaleDraft):
            await store.put(
                invitation_id=invitation,
                step="confidence",
                values={"confidence": 5},
                sent=sent,
                now=CHANGED,
            )
    assert await store.of_invitation(invitation) == {"confidence": {"confidence": 2}}
    # None: the step is back as sent in
    await store.put(
        invitation_id=invitation, step="confidence", values=None, sent=SENT, now=CHANGED
    )
    assert await store.of_invitation(invitation) == {}


async def test_drafts_are_cleared_by_round_and_for_rounds_no_longer_open(db: Database) -> None:
    round_id, _, check_in = await sent_in(db)
    store, invitation = DraftStore(db), check_in.invitation_id
    await store.put(
        invitation_id=invitation, step="consent", values={"consent": "no"}, sent=SENT, now=CHANGED
    )
    assert await store.clear_round(round_id + 1) == 0
    assert await store.clear_not_open() == 0  # the round is open
    assert await store.clear_round(round_id) == 1
    assert await store.of_invitation(invitation) == {}
