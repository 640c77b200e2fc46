"""A small world for the written-input tests: one open round with three regional
reviews, a lead ISCM (region AMR), a partner (EUR), an unrelated ISCM (AFR), and the
personas around them."""

import datetime
from types import SimpleNamespace

import pytest
from django.utils import timezone

from submissions import editing, workflow
from submissions.models import (
    Challenge,
    ContributionFormat,
    GuidingPrinciple,
    OutlineSection,
    Priority,
    ReviewerAssignment,
)
from submissions.roles import sync_role_groups

from ..factories import (
    GCMObjectiveFactory,
    ISCMFactory,
    MembershipFactory,
    OutlineFactory,
    OutlineSectionFactory,
    RegionalReviewFactory,
    RegionFactory,
    ReviewCycleFactory,
    ReviewerAssignmentFactory,
    UserFactory,
)


@pytest.fixture
def world(db):
    outline = OutlineFactory()
    intro = OutlineSectionFactory(outline=outline, number=1, title="Introduction", word_limit=50)
    objectives_section = OutlineSectionFactory(
        outline=outline,
        number=2,
        title="Progress on objectives",
        kind=OutlineSection.Kind.OBJECTIVES,
        word_limit=30,
    )
    principles_section = OutlineSectionFactory(
        outline=outline,
        number=3,
        title="Principles",
        kind=OutlineSection.Kind.PRINCIPLES,
        required=False,
        word_limit=40,
    )
    recommendations = OutlineSectionFactory(
        outline=outline, number=4, title="Recommendations", required=False, word_limit=None
    )
    objectives = [GCMObjectiveFactory(number=n) for n in (1, 2, 3)]
    principles = [
        GuidingPrinciple.objects.create(letter="a", title="People-centred"),
        GuidingPrinciple.objects.create(letter="f", title="Human rights"),
    ]
    ContributionFormat.objects.create(name="Dedicated events", slug="events", position=1)
    Priority.objects.create(name="Protection", slug="protection", position=1)
    Challenge.objects.create(name="Insufficient resources", slug="resources", position=1)
    cycle = ReviewCycleFactory(outline=outline, active=True)
    amr, eur, afr = RegionFactory(code="AMR"), RegionFactory(code="EUR"), RegionFactory(code="AFR")
    reviews = SimpleNamespace(
        amr=RegionalReviewFactory(cycle=cycle, region=amr),
        eur=RegionalReviewFactory(cycle=cycle, region=eur),
        afr=RegionalReviewFactory(cycle=cycle, region=afr),
    )
    lead = ISCMFactory(acronym="LEAD", regions=[amr])
    partner = ISCMFactory(acronym="PART", regions=[eur])
    other = ISCMFactory(acronym="OTHER", regions=[afr])

    def member(iscm, name):
        user = MembershipFactory(iscm=iscm, user=UserFactory(full_name=name)).user
        sync_role_groups(user)
        return user

    def reviewer(region, name):
        user = ReviewerAssignmentFactory(region=region, user=UserFactory(full_name=name)).user
        sync_role_groups(user)
        return user

    return SimpleNamespace(
        outline=outline,
        sections=SimpleNamespace(
            intro=intro,
            objectives=objectives_section,
            principles=principles_section,
            recommendations=recommendations,
        ),
        objectives=objectives,
        principles=principles,
        cycle=cycle,
        regions=SimpleNamespace(amr=amr, eur=eur, afr=afr),
        reviews=reviews,
        lead=lead,
        partner=partner,
        other=other,
        lead_user=member(lead, "Lea Lead"),
        partner_user=member(partner, "Pat Partner"),
        other_user=member(other, "Otto Other"),
        reviewer=reviewer(amr, "Rita Reviewer"),
        other_reviewer=reviewer(afr, "Rob Elsewhere"),
        admin=UserFactory(full_name="Ada Admin", is_staff=True, is_superuser=True),
    )


@pytest.fixture
def joint_input(world):
    """A joint draft: LEAD with PART, to the AMR and EUR reviews; empty content."""
    return editing.create_input(
        by=world.lead_user,
        cycle=world.cycle,
        lead_iscm=world.lead,
        partners=[world.partner],
        targets=[world.reviews.amr, world.reviews.eur],
        title="Joint input",
        language="en",
        basis="written_input",
    )


def fill(written_input, world, *, intro="We met twice and agreed on this text.", by=None):
    """Give the input what the checklist asks: the required section and one objective."""
    written_input.refresh_from_db()
    return editing.save_content(
        written_input,
        editing.ContentChanges(
            sections={world.sections.intro.pk: intro},
            objectives={
                world.objectives[0].pk: {
                    "progress": "Progress made.",
                    "practices": "",
                    "challenges": "",
                }
            },
        ),
        by=by or world.lead_user,
        expected_version=written_input.version,
    )


@pytest.fixture
def ready_input(world, joint_input):
    fill(joint_input, world)
    joint_input.refresh_from_db()
    return joint_input


STATES = (
    "draft",
    "submitted",
    "changes_requested",
    "accepted",
    "declined",
    "withdrawn",
    "published",
    "unpublished",
)


@pytest.fixture
def make_input(world):
    """make_input(title, state="published", …): an input driven through the real
    workflow to `state` (one of STATES; "unpublished" is published then taken off).
    `attachments`: (title, uploaded file) pairs added while it is a draft."""

    def reviewer_of(region):
        assignment = ReviewerAssignment.objects.filter(region=region, role="reviewer").first()
        return (assignment or ReviewerAssignmentFactory(region=region)).user

    def make(
        title,
        state="published",
        *,
        language="en",
        lead=None,
        partners=(),
        targets=None,
        intro="We met twice and agreed on this text.",
        objectives=None,
        principles=(),
        formats=(),
        attachments=(),
    ):
        lead = lead or world.lead
        secretariat = world.lead_user if lead == world.lead else world.partner_user
        written_input = editing.create_input(
            by=secretariat,
            cycle=world.cycle,
            lead_iscm=lead,
            partners=list(partners),
            targets=targets or [world.reviews.amr],
            title=title,
            language=language,
            basis="written_input",
        )
        objectives = objectives or {world.objectives[0]: "Progress made."}
        editing.save_content(
            written_input,
            editing.ContentChanges(
                sections={world.sections.intro.pk: intro},
                objectives={
                    o.pk: {"progress": text, "practices": "", "challenges": ""}
                    for o, text in objectives.items()
                },
                principles=list(principles),
                formats=list(formats),
            ),
            by=secretariat,
            expected_version=written_input.version,
        )
        for title, upload in attachments:
            editing.add_attachment(written_input, upload, title=title, by=secretariat)
        if state == "draft":
            return written_input
        today = timezone.localdate()
        if state == "withdrawn":
            return workflow.withdraw_input(written_input, by=secretariat, reason="Not now.")
        workflow.submit_input(written_input, by=secretariat, today=today)
        if state == "submitted":
            return written_input
        if state == "changes_requested":
            return workflow.request_changes(written_input, by=world.reviewer, message="More.")
        # Each target review decides for itself: a reviewer of each region decides.
        reviewers = [world.reviewer]
        for review in written_input.target_reviews.exclude(region=world.regions.amr):
            reviewers.append(reviewer_of(review.region))
        deciding = [
            r for r in dict.fromkeys(reviewers) if workflow.decidable_reviews(written_input, r)
        ]
        if state == "declined":
            for reviewer in deciding:
                workflow.decline_input(written_input, by=reviewer, reason="Off topic.")
            return written_input
        for reviewer in deciding:
            workflow.accept_input(written_input, by=reviewer)
        if state == "accepted":
            return written_input
        workflow.set_publication_consent(written_input, by=secretariat, consent=True)
        written_input = workflow.publish_input(written_input, by=world.reviewer)
        if state == "unpublished":
            return workflow.unpublish_input(written_input, by=world.reviewer, reason="Error.")
        assert state == "published", state
        return written_input

    return make


def submitted_input(world, title="Joint input", partners=None, targets=None):
    """A joint input of LEAD (with PART unless `partners` says otherwise) to `targets`
    (the AMR review by default), filled and submitted today."""
    written_input = editing.create_input(
        by=world.lead_user,
        cycle=world.cycle,
        lead_iscm=world.lead,
        partners=[world.partner] if partners is None else partners,
        targets=targets or [world.reviews.amr],
        title=title,
        language="en",
        basis="written_input",
    )
    fill(written_input, world)
    workflow.submit_input(written_input, by=world.lead_user, today=datetime.date.today())
    return written_input
