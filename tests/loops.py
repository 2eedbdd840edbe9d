"""Event loops in tests that run `asyncio.run` themselves (the CLI, in this process).

After an async test, pytest-asyncio leaves a fresh, idle event loop as the thread's current loop
(so that sync code asking for one gets an open loop). `asyncio.run` replaces the current loop
with its own and never closes the one it replaced: that idle loop is then garbage, and its
socket pair surfaces as a ResourceWarning in whichever test the garbage collector happens to run
in. `released_loop()` closes that idle loop first, so `asyncio.run` finds none to orphan."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def released_loop() -> Iterator[None]:
    """Close the thread's idle current loop (not a running one) before `asyncio.run`."""
    policy = asyncio.get_event_loop_policy()
    try:
        idle = policy.get_event_loop()
    except RuntimeError:  # no current loop: nothing to orphan
        idle = None
    if idle is not None and not idle.is_running():
        if not idle.is_closed():
            idle.close()
        policy.set_event_loop(None)
    yield
