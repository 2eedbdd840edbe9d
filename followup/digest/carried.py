"""The digest's list of activities carried over into a round (asked only because departments
left them unfinished before: the rule of `followup.check_in.carried`), counted and published."""

from __future__ import annotations

from collections.abc import Callable, Collection

from followup.check_in.carried import carried_into_round
from followup.check_in.steps import round_year
from followup.digest.figures import CarriedActivity
from followup.policy import Policy
from storage.database import Database, Session
from storage.digest_store import InvitationCount, PlannedActivity
from storage.models import InvitationState, Round


async def count_carried(
    db: Database,
    round_: Round,
    invitations: Collection[InvitationCount],
    *,
    policy: Policy,
    session: Session | None = None,
) -> dict[int, set[int]]:
    """Activity id → the departments (of those the round asked) it was carried into."""
    asked = {
        c.department_id
        for c in invitations
        if c.department_id is not None and c.state != InvitationState.ON_LEAVE
    }
    return await carried_into_round(
        db, round_, year=round_year(round_, policy=policy), department_ids=asked, session=session
    )


def carried_list(
    plan: Collection[PlannedActivity],
    carried: dict[int, set[int]],
    name: Callable[[int | None], str],
    *,
    identified: bool,
) -> list[CarriedActivity]:
    """The carried activities in plan order; which departments left each unfinished is told
    only where the activity statuses carry names anyway (`identified`)."""
    return [
        CarriedActivity(
            planned.code,
            planned.title,
            planned.area,
            sorted(name(i) for i in carried[planned.activity_id]) if identified else None,
        )
        for planned in plan
        if planned.activity_id in carried
    ]
