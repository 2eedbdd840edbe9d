"""What IT watches: the outbox's depth per state, counted by the database at scrape time."""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import func
from sqlmodel import col, select

from storage.database import Database
from storage.models import Organisation, OutboxMessage, OutboxState

# what is still to do or went wrong: `sent` grows with every round ever sent, and counting it at
# every scrape would read the whole history (the sent counter of /metrics tells that instead)
WATCHED_STATES = tuple(s.value for s in OutboxState if s != OutboxState.SENT)


class Depth(NamedTuple):
    tenant_id: str
    state: str
    n: int


class OperationsStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def outbox_depth(self) -> list[Depth]:
        """How many outbox messages each organisation (by tenant) has in each watched state:
        one GROUP BY over the outbox's (state, not_before) index."""
        query = (
            select(Organisation.tenant_id, OutboxMessage.state, func.count())
            .join(Organisation, col(Organisation.id) == col(OutboxMessage.organisation_id))
            .where(col(OutboxMessage.state).in_(WATCHED_STATES))
            .group_by(col(Organisation.tenant_id), col(OutboxMessage.state))
        )
        async with self._db.session() as s:
            return [Depth(*row) for row in (await s.exec(query)).all()]
