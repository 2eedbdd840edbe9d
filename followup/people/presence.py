"""Whether a chef is at work on a day: the one rule for leave and for having left the roster.

- A chef is **on leave** on every day up to and including `on_leave_until` (HR's card, the CLI or
  the roster import set it); the day after, they are back, without anyone doing anything.
- A chef who is **not active** has left the roster (HR ended the employment, or an import
  without them).

Neither is chased in an open round: no invitation is sent while away, no reminder, and HR's
status counts them as on leave or left. Nothing they answered is lost, and a chef who had
already sent their answers in stays counted as answered. Leave is read from the chef every time
it matters (reminders, status, answering) rather than written into the invitations, so setting
and ending leave never flips an invitation back and forth. The one change is one way: an
invitation the opening skipped because the chef was on leave (`on_leave`) becomes a real one,
with its invitation message, once the chef is back (`followup.rounds.roster_reach`)."""

from __future__ import annotations

import hashlib
from datetime import date
from enum import StrEnum

from storage.models import Chef


class Presence(StrEnum):
    """Where a chef stands on a day."""

    PRESENT = "present"
    ON_LEAVE = "on_leave"
    LEFT = "left"


def on_leave(chef: Chef, today: date) -> bool:
    """On leave today: `on_leave_until` is today or later."""
    return _leave(chef.on_leave_until, today)


def presence(chef: Chef, today: date) -> Presence:
    """Left, on leave or present today (having left wins over leave)."""
    return presence_of(active=chef.active, on_leave_until=chef.on_leave_until, today=today)


def presence_of(*, active: bool, on_leave_until: date | None, today: date) -> Presence:
    """The same, from the two fields of the roster that decide it (as a query read them)."""
    if not active:
        return Presence.LEFT
    return Presence.ON_LEAVE if _leave(on_leave_until, today) else Presence.PRESENT


def away(chef: Chef | None, today: date) -> bool:
    """Not to be chased today: left, on leave, or (detached by retention) no chef at all."""
    return chef is None or presence(chef, today) != Presence.PRESENT


def _leave(until: date | None, today: date) -> bool:
    return until is not None and until >= today


def roster_version(chef: Chef) -> str:
    """A short fingerprint of what HR's card about a chef showed (where they work, leave, on the
    roster or not): a card pressed after any of it changed is stale and changes nothing."""
    shown = "|".join(
        str(part)
        for part in (
            chef.name,
            chef.department_id,
            chef.unit,
            chef.active,
            chef.on_leave_until,
            chef.left_at.isoformat() if chef.left_at else None,
        )
    )
    return hashlib.sha256(shown.encode()).hexdigest()[:16]
