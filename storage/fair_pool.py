"""A connection pool that serves turns in the order they asked.

SQLAlchemy's asyncio pool takes a free connection at once, ahead of the turns already waiting
for one: a turn woken for a returned connection finds it taken by one that just arrived and
queues again at the back. With a hundred turns on a few connections (on SQLite, one) a turn can
lose that race until its `pool_timeout` runs out, and the chef gets the apology. Here a returned
connection goes straight to the turn that has waited longest."""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any

from sqlalchemy.pool import AsyncAdaptedQueuePool
from sqlalchemy.util import await_only
from sqlalchemy.util.queue import AsyncAdaptedQueue, Empty, Full


class FairQueue(AsyncAdaptedQueue[Any]):
    """First come, first served: a connection put back is handed to the oldest waiter."""

    def __init__(self, maxsize: int = 0, use_lifo: bool = False) -> None:
        super().__init__(maxsize, use_lifo)
        self._items: deque[Any] = deque()
        self._waiters: deque[asyncio.Future[Any]] = deque()

    def empty(self) -> bool:
        return not self._items

    def full(self) -> bool:
        return 0 < self.maxsize <= len(self._items)

    def qsize(self) -> int:
        return len(self._items)

    def put_nowait(self, item: Any) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():  # one that gave up meanwhile is passed over
                waiter.set_result(item)
                return
        if self.full():
            raise Full()
        self._items.append(item)

    def put(self, item: Any, block: bool = True, timeout: float | None = None) -> None:
        self.put_nowait(item)

    def get_nowait(self) -> Any:
        if not self._items:
            raise Empty()
        return self._items.popleft() if not self.use_lifo else self._items.pop()

    def get(self, block: bool = True, timeout: float | None = None) -> Any:
        # a free connection is only ever here when nobody waits (put hands it over otherwise)
        if self._items or not block:
            return self.get_nowait()
        waiter: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        await_only(asyncio.wait({waiter}, timeout=timeout))
        if waiter.done():
            return waiter.result()
        waiter.cancel()
        raise Empty()


class FairQueuePool(AsyncAdaptedQueuePool):
    """SQLAlchemy's asyncio pool with connections handed out first come, first served."""

    _queue_class = FairQueue
