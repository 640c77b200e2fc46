"""reviews/overview.py: where each ISCM of a region stands for the region's review."""

import datetime

import pytest

from reviews.overview import round_overview
from submissions import editing, workflow
from submissions.models import Status

from ..submissions.conftest import fill

pytestmark = pytest.mark.django_db
TODAY = datetime.date.today()


def test_status_progress_orders_the_way_to_publication():
    order = sorted(Status, key=lambda s: Status(s).progress)
    assert order == [
        Status.WITHDRAWN,
        Status.DRAFT,
        Status.DECLINED,
        Status.CHANGES_REQUESTED,
        Status.SUBMITTED,
        Status.ACCEPTED,
        Status.PUBLISHED,
    ]


def _input(world, title, *, partners=(), targets):
    written_input = editing.create_input(
        by=world.lead_user,
        cycle=world.cycle,
        lead_iscm=world.lead,
        partners=list(partners),
        targets=targets,
        title=title,
        language="en",
        basis="written_input",
    )
    fill(written_input, world)
    return written_input


def test_an_iscm_stands_where_its_most_advanced_input_for_that_review_is(world):
    draft = _input(world, "Draft", targets=[world.reviews.amr])
    accepted = _input(world, "Accepted", targets=[world.reviews.amr])
    workflow.submit_input(accepted, by=world.lead_user, today=TODAY)
    workflow.accept_input(accepted, by=world.reviewer)
    joint = _input(world, "Joint", partners=[world.partner], targets=[world.reviews.eur])
    withdrawn = _input(world, "Withdrawn", targets=[world.reviews.afr])
    workflow.withdraw_input(withdrawn, by=world.lead_user, reason="No.")

    overview = round_overview()
    assert overview.cycle == world.cycle
    rows = {review.region.code: {s.iscm.acronym: s for s in row} for review, row in overview.rows}
    assert rows["AMR"]["LEAD"].input == accepted != draft
    assert rows["AMR"]["LEAD"].target.decision == "accepted"
    assert rows["EUR"]["PART"].input == joint  # as a partner
    assert rows["AFR"]["OTHER"].input is None  # withdrawn inputs stand nowhere
    assert [r.region.code for r in overview.unstaffed] == ["EUR"]


def test_no_open_round_is_an_empty_overview(world):
    world.cycle.active = False
    world.cycle.save(update_fields=["active"])
    overview = round_overview()
    assert (overview.cycle, overview.rows, overview.unstaffed) == (None, [], [])
