"""Inputs with practices worth sharing, driven through the real workflow (the shared
`make_input` leaves every practice empty), in any cycle of the `world`, and a closed
cycle beside the world's open one."""

import datetime

from django.utils import timezone

from submissions import editing, workflow
from submissions.models import ReviewerAssignment, WrittenInput

from ..factories import RegionalReviewFactory, ReviewCycleFactory, ReviewerAssignmentFactory


def closed_cycle(world):
    """A 2024–2025 cycle with reviews of AMR and EUR, closed because its last year is
    over; its reviews still take inputs (their dates are the factory's), so inputs can
    be published to it through the workflow."""
    cycle = ReviewCycleFactory(
        outline=world.outline,
        slug="2024-2025",
        name="Second round",
        start_year=2024,
        end_year=2025,
    )
    assert cycle.end_year < timezone.localdate().year
    reviews = {
        "amr": RegionalReviewFactory(cycle=cycle, region=world.regions.amr),
        "eur": RegionalReviewFactory(cycle=cycle, region=world.regions.eur),
    }
    return cycle, reviews


def reviewer_of(region):
    assignment = ReviewerAssignment.objects.filter(region=region, role="reviewer").first()
    return (assignment or ReviewerAssignmentFactory(region=region)).user


def publish_practices(
    world,
    title,
    practices,
    *,
    cycle=None,
    targets=None,
    lead=None,
    partners=(),
    language="en",
    principles=(),
    state="published",
    consent=True,
):
    """An input of `lead` (LEAD) with `practices` ({objective: text}) and a progress
    text on each of those objectives, to `targets` (the world's AMR review), taken to
    `state`: "draft", "submitted", "accepted" or "published"."""
    lead = lead or world.lead
    secretariat = world.lead_user if lead == world.lead else world.partner_user
    written_input = editing.create_input(
        by=secretariat,
        cycle=cycle or world.cycle,
        lead_iscm=lead,
        partners=list(partners),
        targets=targets or [world.reviews.amr],
        title=title,
        language=language,
        basis="written_input",
    )
    editing.save_content(
        written_input,
        editing.ContentChanges(
            sections={world.sections.intro.pk: "We met twice and agreed on this text."},
            objectives={
                o.pk: {"progress": "Progress made.", "practices": text, "challenges": ""}
                for o, text in practices.items()
            },
            principles=list(principles),
        ),
        by=secretariat,
        expected_version=written_input.version,
    )
    if state == "draft":
        return written_input
    workflow.submit_input(written_input, by=secretariat, today=datetime.date.today())
    if state == "submitted":
        return written_input
    deciders = [reviewer_of(review.region) for review in written_input.target_reviews.all()]
    for reviewer in dict.fromkeys(deciders):
        if workflow.decidable_reviews(written_input, reviewer):
            workflow.accept_input(written_input, by=reviewer)
    if consent:
        workflow.set_publication_consent(written_input, by=secretariat, consent=True)
    if state == "accepted":
        return written_input
    assert state == "published", state
    return workflow.publish_input(written_input, by=deciders[0])


def published(written_input) -> WrittenInput:
    return WrittenInput.objects.get(pk=written_input.pk)
