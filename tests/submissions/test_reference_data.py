from datetime import date

import pytest
from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction

from submissions import models
from submissions.reference_data import load_reference_data
from submissions.roles import ROLE_GROUPS

EXPECTED_COUNTS = {
    models.Region: 5,
    models.ISCM: 30,
    models.GCMObjective: 23,
    models.GuidingPrinciple: 10,
    models.ContributionFormat: 9,
    models.Priority: 8,
    models.Challenge: 6,
    models.ReviewCycle: 3,
    models.RegionalReview: 15,
    models.Outline: 1,
    models.OutlineSection: 7,
}


def test_reference_data_loads_with_exact_counts(reference_data):
    counts = {model: model.objects.count() for model in EXPECTED_COUNTS}
    assert counts == EXPECTED_COUNTS


def test_reference_data_every_iscm_has_a_region(reference_data):
    assert not models.ISCM.objects.filter(regions=None).exists()
    gfmd = models.ISCM.objects.get(slug="gfmd")
    assert sorted(gfmd.regions.values_list("code", flat=True)) == [
        "ECA",
        "ECE",
        "ECLAC",
        "ESCAP",
        "ESCWA",
    ]
    assert models.ISCM.objects.get(slug="5plus5-dialogue").kind == models.ISCM.Kind.IRF


def test_reference_data_every_objective_has_a_round_table(reference_data):
    by_table = {
        table: models.GCMObjective.objects.filter(round_table=table).count()
        for table in models.RoundTable.values
    }
    assert sum(by_table.values()) == 23
    assert all(by_table.values())
    assert list(models.GCMObjective.objects.values_list("number", flat=True)) == list(range(1, 24))


def test_reference_data_each_cycle_has_the_default_outline_and_five_reviews(reference_data):
    for cycle in models.ReviewCycle.objects.all():
        assert cycle.outline.slug == "default-outline"
        assert cycle.regional_reviews.count() == 5
    assert models.ReviewCycle.objects.current().slug == "2028-2029"
    sections = models.OutlineSection.objects.filter(outline__slug="default-outline")
    assert [s.kind for s in sections].count("objectives") == 1
    assert [s.kind for s in sections].count("principles") == 1


def test_reference_data_unverified_facts_are_marked_not_asserted(reference_data):
    rmfm = models.ISCM.objects.get(slug="rmfm")
    assert rmfm.secretariat_host == ""
    assert "not verified" in rmfm.note
    escap = models.RegionalReview.objects.get(cycle__slug="2024-2025", region__code="ESCAP")
    assert escap.meeting_date is None
    assert "not verified" in escap.note


def test_reference_data_second_load_creates_nothing_and_keeps_edits(reference_data):
    models.Region.objects.filter(code="ECA").update(name="Africa (edited)")
    models.ISCM.objects.get(slug="rcm").regions.remove(models.Region.objects.get(code="ECE"))

    created, kept = load_reference_data()

    assert sum(created.values()) == 0
    assert sum(kept.values()) == sum(EXPECTED_COUNTS.values())
    assert models.Region.objects.get(code="ECA").name == "Africa (edited)"
    assert list(models.ISCM.objects.get(slug="rcm").regions.values_list("code", flat=True)) == [
        "ECLAC"
    ]
    assert {model: model.objects.count() for model in EXPECTED_COUNTS} == EXPECTED_COUNTS


def test_reference_data_creates_the_role_groups(reference_data):
    assert set(Group.objects.values_list("name", flat=True)) >= set(ROLE_GROUPS)


def test_regional_review_unique_per_cycle_and_region(reference_data):
    review = models.RegionalReview.objects.first()
    with pytest.raises(IntegrityError), transaction.atomic():
        models.RegionalReview.objects.create(cycle=review.cycle, region=review.region)


def test_only_one_cycle_can_be_current(reference_data):
    with pytest.raises(IntegrityError), transaction.atomic():
        models.ReviewCycle.objects.filter(slug="2020-2021").update(active=True)


def test_objective_number_out_of_range_is_refused_by_the_database(reference_data):
    with pytest.raises(IntegrityError), transaction.atomic():
        models.GCMObjective.objects.create(number=24, title="x", short_title="x", round_table=1)


def test_review_deadline_before_opening_is_refused_by_the_database(reference_data):
    review = models.RegionalReview.objects.filter(deadline__isnull=False).first()
    with pytest.raises(IntegrityError), transaction.atomic():
        models.RegionalReview.objects.filter(pk=review.pk).update(
            submission_opens=review.deadline.replace(year=review.deadline.year + 1)
        )


@pytest.mark.parametrize(
    ("day", "status", "days_left"),
    [
        (date(2027, 1, 1), "upcoming", 59),
        (date(2027, 2, 1), "open", 28),
        (date(2027, 3, 1), "open", 0),
        (date(2027, 3, 2), "closed", -1),
        (date(2027, 4, 2), "held", -32),
    ],
)
def test_regional_review_status_follows_the_dates(day, status, days_left):
    review = models.RegionalReview(
        submission_opens=date(2027, 2, 1),
        deadline=date(2027, 3, 1),
        meeting_date=date(2027, 4, 1),
    )
    assert review.status_on(day) == status
    assert review.days_left_on(day) == days_left


def test_regional_review_without_dates_is_not_scheduled():
    review = models.RegionalReview()
    assert review.status_on(date(2027, 1, 1)) == "not_scheduled"
    assert review.days_left_on(date(2027, 1, 1)) is None
