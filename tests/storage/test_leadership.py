"""One replica leads the scheduler: the lock is checked on its own session, so a leader whose
lock went (while its connection still answers) stops leading before another takes over."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from storage.database import Database
from storage.leadership import Leadership


async def test_a_leader_that_lost_its_lock_stops_leading(db: Database) -> None:
    if not db.is_postgres:
        pytest.skip("the leader's lock is PostgreSQL's; SQLite runs one process")
    first, second = Leadership(db), Leadership(db)
    try:
        assert await first.lead()
        assert not await second.lead()  # one leader at a time
        # the lock lost behind the leader's back, its connection still answering
        connection = first._connection
        assert connection is not None
        await connection.execute(text("SELECT pg_advisory_unlock_all()"))
        await connection.commit()
        assert await second.lead()
        assert not await first.lead()  # it notices, rather than run the jobs twice
        assert not first.held
    finally:
        await first.release()
        await second.release()
