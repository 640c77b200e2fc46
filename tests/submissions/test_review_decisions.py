"""Each target regional review decides for itself (submissions/workflow.py): an input
sent to three reviews needs a decision of each region's reviewers; the input's status
is derived from them; a change request returns the one text to the secretariat and its
next version to every review that has not declined it."""

import datetime

import pytest
from django.core import mail
from django.db import connection
from django.urls import reverse

from reviews.packages import accepted_versions
from submissions import editing, workflow
from submissions.models import Decision, InputTarget, ReviewEvent, Status, WrittenInput
from submissions.roles import sync_role_groups

from ..concurrency import at_once
from ..factories import ReviewerAssignmentFactory, UserFactory
from .conftest import fill

TODAY = datetime.date.today()


@pytest.fixture
def eur_reviewer(world):
    user = ReviewerAssignmentFactory(
        region=world.regions.eur, user=UserFactory(full_name="Eva Europe")
    ).user
    sync_role_groups(user)
    return user


@pytest.fixture
def three_region_input(world, eur_reviewer):
    """LEAD with PART and OTHER, to the AMR, EUR and AFR reviews, submitted."""
    written_input = editing.create_input(
        by=world.lead_user,
        cycle=world.cycle,
        lead_iscm=world.lead,
        partners=[world.partner, world.other],
        targets=[world.reviews.amr, world.reviews.eur, world.reviews.afr],
        title="Three regions",
        language="en",
        basis="written_input",
    )
    fill(written_input, world)
    workflow.submit_input(written_input, by=world.lead_user, today=TODAY)
    written_input.refresh_from_db()
    return written_input


def _decisions(written_input):
    return dict(
        InputTarget.objects.filter(writteninput=written_input).values_list(
            "regionalreview__region__code", "decision"
        )
    )


def _status(written_input):
    return WrittenInput.objects.get(pk=written_input.pk).status


@pytest.mark.parametrize(
    ("decisions", "status"),
    [
        ([], Status.SUBMITTED),
        ([Decision.PENDING, Decision.ACCEPTED], Status.SUBMITTED),
        ([Decision.ACCEPTED, Decision.CHANGES_REQUESTED], Status.CHANGES_REQUESTED),
        ([Decision.PENDING, Decision.CHANGES_REQUESTED], Status.CHANGES_REQUESTED),
        ([Decision.ACCEPTED, Decision.DECLINED], Status.ACCEPTED),
        ([Decision.DECLINED, Decision.DECLINED], Status.DECLINED),
        ([Decision.ACCEPTED, Decision.ACCEPTED], Status.ACCEPTED),
    ],
)
def test_status_is_derived_from_every_reviews_decision(decisions, status):
    assert workflow.derive_status(decisions) == status


def test_three_region_input_needs_each_regions_reviewer(world, eur_reviewer, three_region_input):
    workflow.accept_input(three_region_input, by=world.reviewer)
    assert _decisions(three_region_input) == {
        "AMR": Decision.ACCEPTED,
        "EUR": Decision.PENDING,
        "AFR": Decision.PENDING,
    }
    assert _status(three_region_input) == Status.SUBMITTED
    # The AMR reviewer cannot decide for the others, nor twice for AMR.
    with pytest.raises(workflow.TransitionRefused, match="AMR: Accepted"):
        workflow.decline_input(three_region_input, by=world.reviewer, reason="Twice?")

    workflow.accept_input(three_region_input, by=eur_reviewer)
    assert _status(three_region_input) == Status.SUBMITTED
    workflow.decline_input(three_region_input, by=world.other_reviewer, reason="Out of scope.")
    assert _decisions(three_region_input)["AFR"] == Decision.DECLINED
    assert _status(three_region_input) == Status.ACCEPTED

    target = InputTarget.objects.get(
        writteninput=three_region_input, regionalreview=world.reviews.afr
    )
    assert (target.decided_by, target.decided_version) == (world.other_reviewer, 1)
    event = ReviewEvent.objects.filter(input=three_region_input).latest("pk")
    assert event.decision == Decision.DECLINED
    assert list(event.reviews.all()) == [world.reviews.afr]
    assert (event.from_status, event.to_status) == (Status.SUBMITTED, Status.ACCEPTED)


def test_a_regions_package_includes_the_input_only_when_that_region_accepted_it(
    world, eur_reviewer, three_region_input
):
    workflow.accept_input(three_region_input, by=world.reviewer)
    workflow.decline_input(three_region_input, by=world.other_reviewer, reason="No.")
    assert [v.input_id for v in accepted_versions(world.reviews.amr)] == [three_region_input.pk]
    assert accepted_versions(world.reviews.eur) == []  # still pending
    assert accepted_versions(world.reviews.afr) == []  # declined


def test_all_declined_is_declined(world, eur_reviewer, three_region_input):
    for reviewer in (world.reviewer, eur_reviewer, world.other_reviewer):
        workflow.decline_input(three_region_input, by=reviewer, reason="No.")
    assert _status(three_region_input) == Status.DECLINED


def test_change_request_returns_the_text_and_the_next_version_goes_to_every_review_not_declined(
    world, eur_reviewer, three_region_input, django_capture_on_commit_callbacks
):
    workflow.accept_input(three_region_input, by=world.reviewer)
    workflow.decline_input(three_region_input, by=world.other_reviewer, reason="No.")
    workflow.request_changes(three_region_input, by=eur_reviewer, message="Add figures.")
    assert _status(three_region_input) == Status.CHANGES_REQUESTED
    assert _decisions(three_region_input) == {
        "AMR": Decision.ACCEPTED,  # its package keeps the version it accepted meanwhile
        "EUR": Decision.CHANGES_REQUESTED,
        "AFR": Decision.DECLINED,
    }
    three_region_input.refresh_from_db()
    fill(three_region_input, world, intro="Now with figures.")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        workflow.resubmit_input(three_region_input, by=world.lead_user, today=TODAY)
    assert _status(three_region_input) == Status.SUBMITTED
    assert _decisions(three_region_input) == {
        "AMR": Decision.PENDING,
        "EUR": Decision.PENDING,
        "AFR": Decision.DECLINED,
    }
    to_review = [m for m in mail.outbox if m.subject.startswith("To review:")]
    assert sorted(m.to[0] for m in to_review) == sorted([world.reviewer.email, eur_reviewer.email])
    # Those who decided on version 1 get version 2 with the diff.
    assert f"/review/inputs/{three_region_input.pk}/diff/?from=1&to=2" in to_review[0].body


def test_a_reviewer_of_several_regions_decides_for_the_ones_chosen(
    world, eur_reviewer, three_region_input
):
    ReviewerAssignmentFactory(region=world.regions.eur, user=world.reviewer)
    assert [
        r.region.code for r in workflow.decidable_reviews(three_region_input, world.reviewer)
    ] == [
        "AMR",
        "EUR",
    ]
    workflow.accept_input(three_region_input, by=world.reviewer, reviews=[world.reviews.eur])
    assert _decisions(three_region_input)["EUR"] == Decision.ACCEPTED
    assert _decisions(three_region_input)["AMR"] == Decision.PENDING
    # A review outside their regions is not theirs to decide.
    with pytest.raises(workflow.TransitionRefused):
        workflow.accept_input(three_region_input, by=world.reviewer, reviews=[world.reviews.afr])


def test_only_a_reviewer_of_an_accepting_region_publishes(world, eur_reviewer, three_region_input):
    workflow.accept_input(three_region_input, by=world.reviewer)
    workflow.accept_input(three_region_input, by=eur_reviewer)
    workflow.decline_input(three_region_input, by=world.other_reviewer, reason="No.")
    workflow.set_publication_consent(three_region_input, by=world.lead_user, consent=True)
    with pytest.raises(workflow.TransitionRefused):
        workflow.publish_input(three_region_input, by=world.other_reviewer)
    workflow.publish_input(three_region_input, by=eur_reviewer)
    assert _status(three_region_input) == Status.PUBLISHED


def test_a_review_without_reviewer_warns_the_administrators(
    world, django_capture_on_commit_callbacks
):
    """The EUR region has no reviewer in the world: the administrators hear of it."""
    written_input = editing.create_input(
        by=world.lead_user,
        cycle=world.cycle,
        lead_iscm=world.lead,
        partners=[world.partner],
        targets=[world.reviews.amr, world.reviews.eur],
        title="To a region without reviewer",
        language="en",
        basis="written_input",
    )
    fill(written_input, world)
    assert [r.region.code for r in written_input.unstaffed_target_reviews()] == ["EUR"]
    with django_capture_on_commit_callbacks(execute=True):
        workflow.submit_input(written_input, by=world.lead_user, today=TODAY)
    warnings = [m for m in mail.outbox if m.subject.startswith("No reviewer")]
    assert [m.to for m in warnings] == [[world.admin.email]]
    assert "EUR" in warnings[0].body


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_race_two_regions_reviewers_decide_at_once(world, eur_reviewer, three_region_input):
    """AMR accepts while EUR requests changes, on two connections at once. Whichever
    order the row lock gives them, the status is the one the recorded decisions give,
    and every decision that went through wrote one event."""
    outcomes = at_once(
        {
            "accept": lambda: workflow.accept_input(three_region_input, by=world.reviewer),
            "request_changes": lambda: workflow.request_changes(
                three_region_input, by=eur_reviewer, message="Wait."
            ),
        },
        refused=workflow.TransitionRefused,
    )

    assert outcomes["request_changes"] == "done"  # never stale: nothing it saw changed
    decisions = _decisions(three_region_input)
    assert decisions["EUR"] == Decision.CHANGES_REQUESTED
    assert _status(three_region_input) == workflow.derive_status(decisions.values())
    assert _status(three_region_input) == Status.CHANGES_REQUESTED
    done = list(outcomes.values()).count("done")
    assert ReviewEvent.objects.filter(input=three_region_input, decision__gt="").count() == done
    if outcomes["accept"] != "done":  # the change request came first: told, not applied
        assert decisions["AMR"] == Decision.PENDING
        assert "now (" in outcomes["accept"]


def test_secretariat_page_shows_each_reviews_decision_and_reviews_without_reviewer(
    client, world, three_region_input, django_assert_max_num_queries
):
    workflow.accept_input(three_region_input, by=world.reviewer)
    InputTarget.objects.filter(regionalreview=world.reviews.afr).update(decision="declined")
    client.force_login(world.lead_user)
    body = client.get(reverse("submissions:input-detail", args=[three_region_input.pk]))
    page = body.content.decode()
    assert "AMR: Accepted" in page
    assert "EUR: Waiting for a decision" in page
    assert "AFR: Declined" in page
    assert "No reviewer is assigned" not in page

    staffed_out = world.other_reviewer
    staffed_out.is_active = False
    staffed_out.save(update_fields=["is_active"])
    page = client.get(
        reverse("submissions:input-detail", args=[three_region_input.pk])
    ).content.decode()
    assert "No reviewer is assigned to the AFR review yet" in page


def test_review_queue_and_overview_show_each_reviews_decision(
    client, world, eur_reviewer, three_region_input
):
    workflow.accept_input(three_region_input, by=world.reviewer)
    client.force_login(eur_reviewer)
    queue = client.get(reverse("reviews:queue")).content.decode()
    assert "AMR: Accepted" in queue and "EUR: Waiting for a decision" in queue
    page = client.get(reverse("reviews:input", args=[three_region_input.pk])).content.decode()
    assert "AMR: Accepted" in page
    assert reverse("reviews:decide", args=[three_region_input.pk, "accept"]) in page
    client.force_login(world.reviewer)  # AMR has decided: no decision left for them
    page = client.get(reverse("reviews:input", args=[three_region_input.pk])).content.decode()
    assert reverse("reviews:decide", args=[three_region_input.pk, "accept"]) not in page
    overview = client.get(reverse("reviews:overview")).content.decode()
    assert "AMR: Accepted" in overview


def test_decision_pages_query_counts_do_not_grow_with_targets(
    client, world, eur_reviewer, three_region_input, count_queries
):
    """The secretariat's input page, the review page and the queue make as many
    queries for an input to one review as for an input to three."""
    one = editing.create_input(
        by=world.lead_user,
        cycle=world.cycle,
        lead_iscm=world.lead,
        partners=[world.partner, world.other],
        targets=[world.reviews.amr],
        title="One region",
        language="en",
        basis="written_input",
    )
    fill(one, world)
    workflow.submit_input(one, by=world.lead_user, today=TODAY)
    workflow.accept_input(three_region_input, by=world.reviewer)
    # The same history on both: the pages read a decision's reviews (and their regions)
    # only when there is one.
    workflow.request_changes(one, by=world.reviewer, message="More.")
    workflow.request_changes(three_region_input, by=eur_reviewer, message="More.")

    def counts(written_input):
        client.force_login(world.lead_user)
        detail = count_queries(
            client, reverse("submissions:input-detail", args=[written_input.pk])
        )
        client.force_login(world.reviewer)
        review = count_queries(client, reverse("reviews:input", args=[written_input.pk]))
        return detail, review

    assert counts(one) == counts(three_region_input)


def test_a_resubmission_no_review_is_left_to_decide_on_is_refused(
    world, eur_reviewer, three_region_input
):
    workflow.decline_input(three_region_input, by=world.reviewer, reason="No.")
    workflow.request_changes(three_region_input, by=eur_reviewer, message="More.")
    three_region_input.refresh_from_db()
    # The lead takes off the reviews that had not declined, leaving AMR (declined).
    editing.update_details(
        three_region_input,
        by=world.lead_user,
        expected_version=three_region_input.version,
        partners=[world.partner, world.other],
        targets=[world.reviews.amr],
        title=three_region_input.title,
        language="en",
        basis="written_input",
    )
    with pytest.raises(workflow.TransitionRefused, match="has declined it"):
        workflow.resubmit_input(three_region_input, by=world.lead_user, today=TODAY)
    assert _status(three_region_input) == Status.CHANGES_REQUESTED
    assert three_region_input.versions.count() == 1  # nothing taken


def test_a_review_that_declined_cannot_be_chosen_again(world, eur_reviewer, three_region_input):
    workflow.decline_input(three_region_input, by=world.other_reviewer, reason="No.")
    workflow.request_changes(three_region_input, by=eur_reviewer, message="More.")
    three_region_input.refresh_from_db()

    def details(targets):
        three_region_input.refresh_from_db()
        editing.update_details(
            three_region_input,
            by=world.lead_user,
            expected_version=three_region_input.version,
            partners=[world.partner, world.other],
            targets=targets,
            title=three_region_input.title,
            language="en",
            basis="written_input",
        )

    details([world.reviews.amr, world.reviews.eur])  # AFR taken off: allowed
    with pytest.raises(editing.EditRefused, match="AFR"):
        details([world.reviews.amr, world.reviews.eur, world.reviews.afr])
    assert _decisions(three_region_input) == {
        "AMR": Decision.PENDING,
        "EUR": Decision.CHANGES_REQUESTED,
    }


def test_history_names_each_decision_and_its_reviews(
    client, world, eur_reviewer, three_region_input
):
    workflow.accept_input(three_region_input, by=world.reviewer)
    workflow.decline_input(three_region_input, by=eur_reviewer, reason="Not for us.")
    client.force_login(world.lead_user)
    page = client.get(
        reverse("submissions:input-detail", args=[three_region_input.pk])
    ).content.decode()
    assert "Decision: Accepted — AMR; Status: Submitted" in page
    assert "Decision: Declined — EUR; Status: Submitted" in page
