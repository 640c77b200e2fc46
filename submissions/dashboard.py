"""What a secretariat member's dashboard shows: their ISCMs' inputs grouped by cycle,
with the deadline that applies to each target review and the days left, and the open
reviews of the current round their ISCMs' regions take part in. A read, no writes."""

import datetime
from dataclasses import dataclass
from itertools import groupby
from typing import NamedTuple

from .models import Membership, RegionalReview, ReviewCycle, Status, WrittenInput


class Target(NamedTuple):
    """One target review of an input (a tuple, so templates may unpack it)."""

    review: RegionalReview
    deadline: datetime.date | None  # the review's, or the input's later extension
    days_left: int | None


@dataclass(frozen=True)
class Dashboard:
    memberships: list[Membership]
    by_cycle: list[tuple[ReviewCycle, list[WrittenInput]]]  # each input has .targets
    cycle: ReviewCycle | None
    # (review, days left, the person's ISCMs' inputs to it) for the reviews open today
    open_reviews: list[tuple[RegionalReview, int | None, list[WrittenInput]]]


def dashboard_for(user, *, today: datetime.date) -> Dashboard:
    """The dashboard of `user` on `today`, in a fixed number of queries."""
    memberships = list(Membership.objects.filter(user=user).select_related("iscm"))
    inputs = list(
        WrittenInput.objects.for_secretariat(user)
        .select_related("cycle", "lead_iscm")
        .prefetch_related("partner_iscms", "target_reviews__region")
        .order_by("-cycle__start_year", "cycle_id", "-updated_at")
    )
    for written_input in inputs:
        written_input.targets = []
        for review in written_input.target_reviews.all():
            deadline = written_input.deadline_for(review)
            days_left = (deadline - today).days if deadline else None
            written_input.targets.append(Target(review, deadline, days_left))
    by_cycle = [(cycle, list(items)) for cycle, items in groupby(inputs, key=lambda i: i.cycle)]

    cycle = ReviewCycle.objects.current()
    open_reviews = []
    if cycle is not None and memberships:
        covered_inputs = {}
        for written_input in inputs:
            if written_input.cycle_id == cycle.pk and written_input.status != Status.WITHDRAWN:
                for review in written_input.target_reviews.all():
                    covered_inputs.setdefault(review.pk, []).append(written_input)
        reviews = (
            RegionalReview.objects.filter(cycle=cycle, region__iscms__memberships__user=user)
            .open_on(today)
            .select_related("region")
            .distinct()
            .order_by("deadline", "region__code")
        )
        open_reviews = [
            (review, review.days_left_on(today), covered_inputs.get(review.pk, []))
            for review in reviews
        ]
    return Dashboard(memberships, by_cycle, cycle, open_reviews)
