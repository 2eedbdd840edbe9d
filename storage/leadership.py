"""Which replica runs the scheduled jobs: on PostgreSQL the one holding an advisory lock on its
own connection (the lock goes when the process or its connection does); on SQLite, the one
process there is."""

from __future__ import annotations

import logging

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.database import Database

logger = logging.getLogger(__name__)

# the advisory lock's key: "LP" + "sc" (Ledarpuls scheduler)
SCHEDULER_LOCK = 0x4C50_7363


class Leadership:
    """Asks, before every run of the jobs, whether this replica leads."""

    def __init__(self, db: Database, *, key: int = SCHEDULER_LOCK) -> None:
        self._db = db
        self._key = key
        self._connection: AsyncConnection | None = None

    @property
    def held(self) -> bool:
        return not self._db.is_postgres or self._connection is not None

    async def lead(self) -> bool:
        """True when this replica runs the jobs now: it holds the lock, or just took it."""
        if not self._db.is_postgres:
            return True
        if self._connection is not None:
            # that the lock is held by this very session, not only that a connection answers
            try:
                held = (
                    await self._connection.execute(
                        text(
                            "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory'"
                            " AND classid = :high AND objid = :low AND objsubid = 1"
                            " AND pid = pg_backend_pid() AND granted)"
                        ),
                        {"high": self._key >> 32, "low": self._key & 0xFFFF_FFFF},
                    )
                ).scalar_one()
                await self._connection.commit()
            except Exception:  # the connection (and with it the lock) is gone
                held = False
            if held:
                return True
            logger.warning("scheduler: lost the leader's lock; stopping the jobs here")
            await self._drop()
        connection = await self._db.engine.connect()
        try:
            taken = (
                await connection.execute(
                    text("SELECT pg_try_advisory_lock(:key)"), {"key": self._key}
                )
            ).scalar_one()
            await connection.commit()
        except Exception:
            await connection.close()
            raise
        if not taken:
            await connection.close()
            return False
        self._connection = connection
        logger.info("scheduler: this replica leads and runs the jobs")
        return True

    async def release(self) -> None:
        if self._connection is None:
            return
        try:
            await self._connection.execute(
                text("SELECT pg_advisory_unlock(:key)"), {"key": self._key}
            )
            await self._connection.commit()
        except Exception:
            logger.warning("scheduler: could not release the lock", exc_info=True)
        await self._drop()

    async def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                await connection.close()
            except Exception:
                logger.debug("scheduler: closing the lock's connection failed", exc_info=True)
