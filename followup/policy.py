"""The programme's rules and defaults in one place: time zone, working hours, deadlines, k,
reminders, link lifetimes, the calendar and how long a message is retried.

`Settings` builds one `Policy` at start (the time zone from TIMEZONE) and the app passes it down;
nothing else spells these values. Stored datetimes are UTC; the policy's zone is where a day
starts and ends, where working hours are, and how dates are shown."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DEFAULT_TIMEZONE = "Europe/Stockholm"
# what a round (or the policy) may set: k, and its reminders' days before the deadline and cap
K_RANGE = range(2, 51)
REMINDER_DAYS = range(0, 91)
REMINDER_CAP = range(0, 11)
# Teams' limit: about 50 requests a second per app and tenant; no rate may be set above it
SEND_RATE_MAX = 50.0


@dataclass(frozen=True)
class Policy:
    """Every rule and default of the programme that is a number, a time or a zone."""

    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo(DEFAULT_TIMEZONE))
    # reminders go out on working days, in these hours of the policy's zone
    workday_starts: time = time(8, 0)
    workday_ends: time = time(17, 0)
    # "påminn mig senare": the next working morning, at nine
    remind_later_at: time = time(9, 0)
    # a round opens at the start of a working day and is open all of its last day
    opens_at: time = time(8, 0)
    closes_at: time = time(23, 59)
    # the smallest group HR sees a figure for (an organisation's default, a round's own)
    k: int = 3
    # the fewest different free texts of a section that are quoted at all (scores need k; a
    # quote says more than a number, so texts need more: Viva Glint uses 10 against 5)
    quotes_k: int = 5
    # a round's reminders: days before the deadline, and at most this many per chef
    reminder_offsets: tuple[int, ...] = (7, 2)
    reminder_cap: int = 2
    # a digest or my-data download link, and a my-data question card (erase, download)
    link_lifetime: timedelta = timedelta(minutes=15)
    question_lifetime: timedelta = timedelta(minutes=15)
    # a plan or roster file HR sent from Teams waits this long for Verkställ; an upload page's
    # one-time link lives this long; a file from Teams (or the page) may be at most this large
    import_lifetime: timedelta = timedelta(hours=1)
    upload_lifetime: timedelta = timedelta(minutes=15)
    import_max_bytes: int = 5 * 1024 * 1024
    # a programme's calendar: the days ("MM-DD") its rounds open, and the days to answer
    round_opens: tuple[str, ...] = ("04-15", "10-15")
    answer_days: int = 21
    # HR hears of a calendar round this long before it opens; the calendar makes it earlier
    heads_up: timedelta = timedelta(days=7)
    plan_ahead: timedelta = timedelta(days=45)
    # a message Teams does not take (5xx, 412, 429) is tried again for this long from its first
    # failure: an afternoon's outage, not seconds; an invitation or reminder never past its
    # round's deadline. Between tries a capped exponential back-off with jitter (or Retry-After)
    send_retry_window: timedelta = timedelta(hours=6)
    send_retry_base: timedelta = timedelta(seconds=2)
    send_retry_cap: timedelta = timedelta(minutes=5)
    # proactive messages a second to one tenant, all replicas together (an organisation may set
    # its own). Teams allows about 50 per app and tenant; 45 keeps a tenth in hand for what
    # the budget cannot see: a request's time on the network and in the event loop between
    # its slot and Teams' count, and the clocks of two replicas differing by a few ms
    send_rate: float = 45.0
    # LibreOffice, which makes the board's PDF/A beside the DOCX (a name on PATH or a path);
    # where it is not installed there is no PDF/A, and the DOCX is offered
    soffice: str = "soffice"

    def local(self, moment: datetime) -> datetime:
        """The moment in the policy's zone (a naive datetime is taken as UTC, as stored)."""
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(self.zone)

    def today(self, now: datetime) -> date:
        """The day it is in the policy's zone at `now`."""
        return self.local(now).date()

    def at(self, day: date, moment: time) -> datetime:
        """A time of day on a day, in the policy's zone."""
        return datetime.combine(day, moment, self.zone)

    def opening(self, day: date) -> datetime:
        """When a round that opens on `day` opens."""
        return self.at(day, self.opens_at)

    def last_moment(self, day: date) -> datetime:
        """The deadline of a round whose last day to answer is `day`."""
        return self.at(day, self.closes_at)

    def day_end(self, day: date) -> datetime:
        """The very end of a day (a period "until" that day includes all of it)."""
        return self.at(day, time.max)
