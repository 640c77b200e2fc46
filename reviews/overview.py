"""The overview of the current round for IOM staff: per regional review, every ISCM
of its region and where it stands (its most advanced input for that review, with the
review's own decision), and the reviews that have no reviewer. A read, no writes."""

from dataclasses import dataclass

from submissions.models import (
    ISCM,
    InputTarget,
    RegionalReview,
    ReviewCycle,
    Status,
    WrittenInput,
)


@dataclass(frozen=True)
class Standing:
    iscm: ISCM
    input: WrittenInput | None  # its most advanced input for the review, if any
    target: InputTarget | None  # that review's decision on it


@dataclass(frozen=True)
class RoundOverview:
    cycle: ReviewCycle | None
    rows: list[tuple[RegionalReview, list[Standing]]]
    unstaffed: list[RegionalReview]


def round_overview() -> RoundOverview:
    """The current round's overview, in a fixed number of queries whatever its size."""
    cycle = ReviewCycle.objects.current()
    if cycle is None:
        return RoundOverview(cycle=None, rows=[], unstaffed=[])
    reviews = list(
        RegionalReview.objects.filter(cycle=cycle)
        .select_related("region")
        .prefetch_related("region__iscms")
        .order_by("region__code")
    )
    inputs = list(
        WrittenInput.objects.filter(cycle=cycle)
        .exclude(status=Status.WITHDRAWN)
        .prefetch_related("partner_iscms", "target_links")
        .select_related("lead_iscm")
    )
    # (review, ISCM) → the most advanced input of that ISCM (lead or partner) for it,
    # and that review's decision on it.
    best: dict[tuple[int, int], InputTarget] = {}
    for written_input in inputs:
        iscm_ids = [written_input.lead_iscm_id, *(p.pk for p in written_input.partner_iscms.all())]
        for link in written_input.target_links.all():
            link.writteninput = written_input  # already loaded: no query
            for iscm_id in iscm_ids:
                key = (link.regionalreview_id, iscm_id)
                current = best.get(key)
                progress = Status(written_input.status).progress
                if current is None or progress > Status(current.writteninput.status).progress:
                    best[key] = link
    rows = []
    for review in reviews:
        standings = []
        for iscm in review.region.iscms.all():
            link = best.get((review.pk, iscm.pk))
            standings.append(
                Standing(iscm=iscm, input=link.writteninput if link else None, target=link)
            )
        rows.append((review, standings))
    unstaffed = list(
        RegionalReview.objects.filter(cycle=cycle)
        .without_reviewer()
        .select_related("region")
        .order_by("region__code")
    )
    return RoundOverview(cycle=cycle, rows=rows, unstaffed=unstaffed)
