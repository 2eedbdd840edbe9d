"""Bot Framework state (dialog stacks, user state) on SQL, with optimistic concurrency by eTag.

It implements the Storage protocol of botbuilder (read, write, delete) without importing it, and
serialises state that plain JSON cannot hold with jsonpickle, as botbuilder's own stores do."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from jsonpickle.pickler import Pickler
from jsonpickle.unpickler import Unpickler
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, delete, select

from storage.database import Database
from storage.models import BotState
from storage.types import utcnow

ETAG = "e_tag"
ANY_ETAG = "*"


class StaleStateError(KeyError):
    """A write carried an eTag that is no longer the stored one: someone else wrote first."""


def _etag_of(item: Any) -> str | None:
    value = item.get(ETAG) if isinstance(item, Mapping) else getattr(item, ETAG, None)
    return None if value is None else str(value)


def _set_etag(item: Any, etag: str) -> None:
    if isinstance(item, dict):
        item[ETAG] = etag
    elif hasattr(item, ETAG):
        setattr(item, ETAG, etag)


def _flatten(item: Any) -> dict[str, Any]:
    data = Pickler().flatten(item)
    if isinstance(data, dict):
        data.pop(ETAG, None)
        return data
    return {"py/value": data}


def _restore(data: dict[str, Any], etag: str) -> Any:
    value = Unpickler().restore(data["py/value"] if set(data) == {"py/value"} else data)
    _set_etag(value, etag)
    return value


class StateStore:
    """Reads, writes and deletes state items by key; a stale eTag on write raises."""

    def __init__(self, db: Database, *, clock: Callable[[], datetime] = utcnow) -> None:
        self._db = db
        self._clock = clock

    async def read(self, keys: Iterable[str] | None) -> dict[str, Any]:
        if keys is None:
            raise ValueError("Keys are required when reading")
        wanted = list(keys)
        if not wanted:
            return {}
        async with self._db.session() as session:
            rows = (await session.exec(select(BotState).where(col(BotState.key).in_(wanted)))).all()
        return {row.key: _restore(row.data, row.etag) for row in rows}

    async def write(self, changes: Mapping[str, Any] | None) -> None:
        if changes is None:
            raise ValueError("Changes are required when writing")
        if not changes:
            return
        async with self._db.session() as session, session.begin():
            for key, item in changes.items():
                etag = _etag_of(item)
                if etag == "":
                    raise ValueError(f"state write for {key!r}: the eTag is empty")
                new_etag = uuid.uuid4().hex
                data = _flatten(item)
                now = self._clock()
                if etag is None or etag == ANY_ETAG:
                    await self._upsert(session, key=key, etag=new_etag, data=data, now=now)
                else:
                    result = await session.exec(
                        update(BotState)
                        .where(col(BotState.key) == key, col(BotState.etag) == etag)
                        .values(etag=new_etag, data=data, updated_at=now)
                    )
                    if result.rowcount == 0:
                        exists = await session.get(BotState, key)
                        if exists is not None:
                            raise StaleStateError(f"state for {key!r} was changed by another turn")
                        session.add(BotState(key=key, etag=new_etag, data=data, updated_at=now))
                _set_etag(item, new_etag)

    async def _upsert(
        self, session: Any, *, key: str, etag: str, data: dict[str, Any], now: datetime
    ) -> None:
        result = await session.exec(
            update(BotState)
            .where(col(BotState.key) == key)
            .values(etag=etag, data=data, updated_at=now)
        )
        if result.rowcount == 0:
            try:
                async with session.begin_nested():
                    session.add(BotState(key=key, etag=etag, data=data, updated_at=now))
            except IntegrityError:
                # a concurrent first write of the same key: last writer wins, as "*" asks
                await session.exec(
                    update(BotState)
                    .where(col(BotState.key) == key)
                    .values(etag=etag, data=data, updated_at=now)
                )

    async def delete(self, keys: Iterable[str]) -> None:
        wanted = list(keys)
        if not wanted:
            return
        async with self._db.session() as session, session.begin():
            await session.exec(delete(BotState).where(col(BotState.key).in_(wanted)))
