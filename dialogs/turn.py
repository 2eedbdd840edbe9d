"""One message as routing settled it, and who sent it as the Teams edge looks that up."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from botbuilder.core import TurnContext

from followup.people.access import Access


@dataclass(frozen=True)
class Sender:
    """Who wrote: looked up by the bot only when a handler asks, at most once a turn."""

    chef_id: Callable[[], Awaitable[int | None]]
    access: Callable[[], Awaitable[Access]]
    # what to answer in: `person_language` (their choice, else their organisation's default)
    language: Callable[[], Awaitable[str]]


@dataclass(frozen=True)
class Turn:
    """A message routed to a handler: where to answer, who asks, in which language, with what."""

    context: TurnContext
    sender: Sender
    language: str
    round_id: int | None = None  # a typed HR command's round ("status 3")
    argument: str | None = None  # the word after `språk`/`language` ("engelska")
    value: dict[str, Any] = field(default_factory=dict)  # a pressed card's data


Handler = Callable[[Turn], Awaitable[None]]
