"""The stored conversations: an install that Teams announces twice at once is remembered once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from storage.conversation_store import ConversationStore
from storage.database import Database

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TENANT = "5f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f"


async def test_an_install_announced_twice_at_once_is_remembered_once(db: Database) -> None:
    # Teams sends installationUpdate and conversationUpdate together on install, and only one
    # carries the client's locale: both are kept, whichever is stored first
    store = ConversationStore(db)
    users = [f"29:chef-{n}" for n in range(8)]

    async def install(user: str, locale: str | None) -> bool:
        _, fresh = await store.remember(
            tenant_id=TENANT,
            user_id=user,
            conversation_id=f"a:{user}",
            service_url="https://smba.trafficmanager.net/emea/",
            reference={"user": {"id": user}},
            now=NOW,
            locale=locale,
        )
        return fresh

    results = await asyncio.gather(
        *(install(user, locale) for user in users for locale in (None, "en-US"))
    )

    # one of each pair is the install, the other an update of it
    assert [sum(results[2 * i : 2 * i + 2]) for i in range(len(users))] == [1] * len(users)
    for user in users:
        ref = await store.find(tenant_id=TENANT, user_id=user)
        assert ref is not None and ref.installed
        assert ref.locale == "en-US"
