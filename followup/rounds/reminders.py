"""The reminder policy, as one idempotent pass over the database (the scheduler runs it; so can
a test with any clock).

- Only chefs who have not submitted and can be reached, and who are at work today: not on leave,
  not gone from the roster (read from the chef each time: `followup.people.presence`).
- At the round's offsets before the deadline (by default 7 and 2 days), at most its cap each.
- Only on working days (weekdays that are not Swedish holidays) in the policy's working hours
  (08:00–17:00) in its time zone: a reminder that falls due outside waits for the next window.
- A pass after downtime sends one reminder for everything missed, never one per missed offset.
- Only reminders that fell due after the chef was invited count: a chef invited late is not
  reminded together with the invitation.
- A chef who said "påminn mig senare" gets one reminder when that time has come (the next
  working morning), apart from the cap.
- First, roster changes reach the open rounds (`roster_reach`): a chef back from leave, added or
  moved in is invited before anyone is reminded.
- Each reminder has a dedupe key in the outbox, so two passes (or two replicas) never send
  the same one twice."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from followup.people.presence import away
from followup.policy import Policy
from followup.rounds.lifecycle import reminder_times
from followup.rounds.progress import WAITING, reminder_key, reminder_message
from followup.rounds.roster_reach import reach_every_organisation
from followup.rounds.workdays import in_working_hours
from storage.chef_store import ChefStore
from storage.database import Database
from storage.invitation_store import InvitationStore
from storage.models import OutboxKind
from storage.outbox_store import NewMessage, OutboxStore
from storage.round_store import RoundStore


def later_key(round_id: int, chef_id: int, asked_for: datetime) -> str:
    stamp = int(asked_for.timestamp())
    return f"round:{round_id}:chef:{chef_id}:{OutboxKind.REMINDER.value}:later:{stamp}"


@dataclass
class ReminderPass:
    """What one pass queued."""

    scheduled: int = 0  # at the round's offsets
    later: int = 0  # asked for with "påminn mig senare"
    outside_hours: bool = False  # nothing sent: evening, night, weekend or holiday


async def send_due_reminders(db: Database, *, now: datetime, policy: Policy) -> ReminderPass:
    """Queue every reminder that is due now; safe to run as often as one likes."""
    result = ReminderPass()
    if not in_working_hours(now, policy=policy):
        result.outside_hours = True
        return result
    await reach_every_organisation(db, now=now, policy=policy)
    today = policy.today(now)
    messages: list[NewMessage] = []
    async with db.session() as session, session.begin():
        # locked: a second replica's pass waits, then finds the counts this one raised
        rounds = await RoundStore(db).still_open(now=now, lock=True, session=session)
        waiting = [str(s) for s in WAITING]
        for round_ in rounds:
            assert round_.id is not None
            due = [moment for moment in reminder_times(round_) if moment <= now]
            invitations = await InvitationStore(db).in_states(
                round_id=round_.id, states=waiting, session=session
            )
            chefs = await ChefStore(db).by_ids(
                [i.chef_id for i in invitations if i.chef_id is not None], session=session
            )
            for invitation in invitations:
                assert invitation.chef_id is not None  # only a long-closed round's are detached
                if away(chefs.get(invitation.chef_id), today):
                    continue  # on leave or left: not chased; back from leave, they are again
                # only what fell due since the chef was invited: one invited late (added, moved
                # in, back from leave) is not reminded along with the invitation
                passed = sum(1 for moment in due if moment >= invitation.created_at)
                target = min(passed, round_.reminder_cap)
                if invitation.reminders_sent < target:
                    # one reminder however many offsets went by while nobody could send
                    invitation.reminders_sent = target
                    messages.append(
                        reminder_message(
                            round_,
                            invitation.chef_id,
                            reminder_key(round_.id, invitation.chef_id, target),
                        )
                    )
                    result.scheduled += 1
                    invitation.remind_later_at = None  # this one does for both
                elif invitation.remind_later_at is not None and invitation.remind_later_at <= now:
                    messages.append(
                        reminder_message(
                            round_,
                            invitation.chef_id,
                            later_key(round_.id, invitation.chef_id, invitation.remind_later_at),
                        )
                    )
                    invitation.remind_later_at = None
                    result.later += 1
        # in the same transaction: a crash loses neither the reminder nor its count
        await OutboxStore(db).enqueue(messages, now=now, session=session)
    return result
