"""The regional dashboards' kept numbers (`submissions.tallies`) stay equal to the
numbers counted from scratch through every step of the workflow that moves them."""

import importlib
import io
import time
from types import SimpleNamespace

import pytest
from django.apps import apps as django_apps
from django.contrib.admin import site as admin_site
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from submissions import editing, public_tallies, subject_tallies, tallies, workflow
from submissions.models import (
    ISCM,
    CoverageTally,
    GCMObjective,
    ObjectiveResponse,
    PublicTally,
    Region,
    RegionalReview,
    SubjectTally,
    WrittenInput,
)
from tests.concurrency import at_once
from tests.factories import ISCMFactory, MembershipFactory, ReviewerAssignmentFactory


def _all(world):
    return [world.reviews.amr, world.reviews.eur, world.reviews.afr]


def assert_kept_as_counted(reviews):
    """The kept numbers of every review, both audiences, equal a count from scratch."""
    ids = [review.pk for review in reviews]
    for public in (True, False):
        kept = tallies.load(ids, public=public)
        counted = tallies.compute(ids, public=public)
        for pk in ids:
            assert sorted(kept[pk].rows()) == sorted(counted[pk].rows()), (pk, public)


def _numbers(review, *, public):
    return {
        (kind, key, iscm): count
        for kind, key, iscm, count, _examples in tallies.load([review.pk], public=public)[
            review.pk
        ].rows()
    }


@pytest.fixture
def eur_reviewer(world):
    return ReviewerAssignmentFactory(region=world.regions.eur).user


def test_a_review_is_counted_once_when_first_read(world, make_input):
    made = make_input("Published", "published")
    review = world.reviews.amr
    assert not CoverageTally.objects.filter(review=review).exists()
    tally = tallies.load([review.pk], public=True)[review.pk]
    assert tally.inputs == 1
    assert tally.iscm_ids == {made.lead_iscm_id}
    assert CoverageTally.objects.filter(review=review, kind=tallies.BUILT).count() == 2


def test_every_step_keeps_the_numbers_as_a_count_from_scratch(world, make_input, eur_reviewer):
    o1, o2, o3 = world.objectives
    reviews = _all(world)
    assert_kept_as_counted(reviews)  # counted from scratch (nothing yet), then kept
    joint = make_input(
        "Joint",
        "published",
        partners=[world.partner],
        targets=[world.reviews.amr, world.reviews.eur],
        objectives={o1: "a", o2: "b"},
        principles=world.principles[:2],
    )
    submitted = make_input("Submitted", "submitted", objectives={o2: "c", o3: "d"})
    back = make_input("Back", "changes_requested", objectives={o1: "e"})
    make_input("Declined", "declined", objectives={o3: "f"})
    make_input("Draft", "draft", objectives={o1: "g"})
    assert_kept_as_counted(reviews)
    assert_subjects_as_counted()
    eur, afr = world.regions.eur.pk, world.reviews.afr.region_id
    # The joint input counts for each ISCM in every region's row and in each of its
    # regions'; none in a region it does not target.
    for iscm in (world.lead, world.partner):
        for region in (None, eur):
            assert subject_tallies.load(iscm.pk, "objective", o1.number, region=region) == {
                world.cycle.pk: (1, [joint.pk])
            }
        assert subject_tallies.load(iscm.pk, "objective", o1.number, region=afr) == {}
    public_amr = _numbers(world.reviews.amr, public=True)
    assert public_amr[("inputs", 0, 0)] == 1
    assert _numbers(world.reviews.amr, public=False)[("inputs", 0, 0)] == 3  # not declined

    # Edits of an input back with its secretariat count only once resubmitted...
    editing.save_content(
        back,
        editing.ContentChanges(
            sections={},
            objectives={o3.pk: {"progress": "new", "practices": "", "challenges": ""}},
            removed_objectives={o1.pk},
        ),
        by=world.lead_user,
        expected_version=back.version,
    )
    assert_kept_as_counted(reviews)
    assert_subjects_as_counted()
    # ...but its partners and reviews count at once.
    back.refresh_from_db()
    editing.update_details(
        back,
        by=world.lead_user,
        expected_version=back.version,
        partners=[world.other],
        targets=[world.reviews.amr, world.reviews.afr],
        title=back.title,
        language=back.language,
        basis=back.basis,
    )
    assert_kept_as_counted(reviews)
    assert_subjects_as_counted()
    assert _numbers(world.reviews.afr, public=False)[("inputs", 0, 0)] == 1
    back.refresh_from_db()
    workflow.resubmit_input(back, by=world.lead_user, today=timezone.localdate())
    assert_kept_as_counted(reviews)
    assert_subjects_as_counted()

    workflow.accept_input(submitted, by=world.reviewer)
    assert_kept_as_counted(reviews)
    assert_subjects_as_counted()
    workflow.set_publication_consent(submitted, by=world.lead_user, consent=True)
    workflow.publish_input(submitted, by=world.reviewer)
    assert_kept_as_counted(reviews)
    assert_subjects_as_counted()
    workflow.unpublish_input(joint, by=world.reviewer, reason="A mistake in a name.")
    assert_kept_as_counted(reviews)
    assert_subjects_as_counted()
    assert subject_tallies.load(world.partner.pk, "objective", o1.number, region=eur) == {}
    workflow.withdraw_input(back, by=world.lead_user, reason="Not now.")
    assert_kept_as_counted(reviews)
    assert_subjects_as_counted()
    assert _numbers(world.reviews.afr, public=False) == {}
    assert _numbers(world.reviews.amr, public=True)[("inputs", 0, 0)] == 1  # `submitted`


def test_a_cell_takes_its_next_input_when_one_of_its_first_leaves(world, make_input):
    o1 = world.objectives[0]
    review = world.reviews.amr
    tallies.load([review.pk], public=False)
    made = [make_input(f"Cell {n}", "submitted", objectives={o1: "a"}) for n in range(5)]
    key = (review.pk, False)
    cell = tallies.load([review.pk], public=False)[review.pk].cells[o1.pk][world.lead.pk]
    assert cell == [5, [i.pk for i in made[:3]]]
    workflow.withdraw_input(made[0], by=world.lead_user, reason="Not now.")
    workflow.decline_input(made[2], by=world.reviewer, reason="Off topic.")
    cell = tallies.load([review.pk], public=False)[review.pk].cells[o1.pk][world.lead.pk]
    assert cell == [3, [made[1].pk, made[3].pk, made[4].pk]], key
    assert_kept_as_counted([review])


def test_a_review_not_yet_counted_is_left_to_its_first_reader(world, make_input):
    """Steps on inputs of a review nobody has read write nothing for it."""
    make_input("Published", "published")
    assert not CoverageTally.objects.exists()
    assert_kept_as_counted(_all(world))


def test_the_command_counts_again(world, make_input):
    make_input("Published", "published")
    review = world.reviews.amr
    tallies.load([review.pk], public=True)
    CoverageTally.objects.filter(review=review, kind="inputs").update(count=99)
    call_command("rebuild_counts", "--cycle", world.cycle.slug, verbosity=0)
    assert _numbers(review, public=True)[("inputs", 0, 0)] == 1
    assert RegionalReview.objects.count() == 3


def _accept_queries(world, written_input):
    with CaptureQueriesContext(connection) as queries:
        workflow.accept_input(written_input, by=world.reviewer)
    return len(queries)


def test_a_step_reads_the_input_not_the_archive(world, make_input):
    """Keeping the numbers costs the same whatever the number of inputs in the review."""
    o1, o2, _o3 = world.objectives
    tallies.load([world.reviews.amr.pk], public=False)
    few = _accept_queries(world, make_input("First", "submitted", objectives={o1: "a"}))
    for n in range(6):
        make_input(f"More {n}", "published", objectives={o1: "a", o2: "b"})
    many = _accept_queries(world, make_input("Last", "submitted", objectives={o1: "a"}))
    assert many == few


def assert_lists_as_counted():
    for listing in (public_tallies.CONTRIBUTIONS, public_tallies.PRACTICES):
        kept = public_tallies.load(listing)
        as_kept = {
            (facet, str(key)): n for facet, values in kept.items() for key, n in values.items()
        }
        assert as_kept == dict(public_tallies.compute(listing)), listing
    # Each input's facet keys, kept as it was published or taken off, are those computed
    # again for all inputs at once (what a bulk load or the migration relies on).
    kept_keys = dict(WrittenInput.objects.values_list("pk", "facet_keys"))
    public_tallies.refresh_facet_keys()
    assert dict(WrittenInput.objects.values_list("pk", "facet_keys")) == kept_keys


def test_the_public_lists_counts_follow_publication(world, make_input):
    o1, o2, o3 = world.objectives
    assert_lists_as_counted()  # counted from scratch (nothing yet), then kept
    joint = make_input(
        "Joint",
        "accepted",
        partners=[world.partner],
        targets=[world.reviews.amr, world.reviews.eur],
        objectives={o1: "a", o2: "b"},
        principles=world.principles[:2],
    )
    ObjectiveResponse.objects.filter(input=joint, objective=o1).update(practices="Shared.")
    ObjectiveResponse.objects.filter(input=joint, objective=o2).update(practices="Also.")
    workflow.set_publication_consent(joint, by=world.lead_user, consent=True)
    workflow.publish_input(joint, by=world.reviewer)
    assert_lists_as_counted()
    practices = public_tallies.load(public_tallies.PRACTICES)
    assert practices["total"] == {"": 2}
    assert practices["iscm"] == {world.lead.pk: 2, world.partner.pk: 2}
    assert practices["region"] == {world.regions.amr.pk: 2, world.regions.eur.pk: 2}
    assert practices["objective"] == {o1.pk: 1, o2.pk: 1}
    contributions = public_tallies.load(public_tallies.CONTRIBUTIONS)
    assert contributions["total"] == {"": 1}
    assert contributions["joint"] == {"joint": 1}
    assert contributions["language"] == {"en": 1}
    other = make_input("Other", "published", language="fr", objectives={o3: "c"})
    assert_lists_as_counted()
    assert public_tallies.load(public_tallies.CONTRIBUTIONS)["joint"] == {"joint": 1, "direct": 1}
    workflow.unpublish_input(joint, by=world.reviewer, reason="A mistake in a name.")
    assert_lists_as_counted()
    assert public_tallies.load(public_tallies.PRACTICES)["total"] == {}
    assert public_tallies.load(public_tallies.CONTRIBUTIONS)["total"] == {"": 1}
    assert other.status == "published"


def test_an_iscm_leading_one_input_and_partnering_another_counts_both_in_a_cell(world, make_input):
    o1 = world.objectives[0]
    review = world.reviews.amr
    tallies.load([review.pk], public=False)  # kept from here on
    both = ISCMFactory(acronym="BOTH", regions=[world.regions.amr])
    MembershipFactory(user=world.partner_user, iscm=both)
    make_input("Led by BOTH", "submitted", lead=both, objectives={o1: "a"})
    make_input("With BOTH", "submitted", partners=[both], objectives={o1: "b"})
    cell = tallies.compute([review.pk], public=False)[review.pk].cells[o1.pk][both.pk]
    assert cell[0] == 2
    assert_kept_as_counted([review])


def test_a_list_counted_while_nothing_was_kept_misses_no_publication(world, make_input):
    """A publication applied before the list was ever counted leaves it to the count."""
    make_input("Published", "published")
    assert not PublicTally.objects.filter(count__gt=0).exists()  # never counted yet
    assert public_tallies.load(public_tallies.CONTRIBUTIONS)["total"] == {"": 1}
    make_input("Another", "published")
    assert public_tallies.load(public_tallies.CONTRIBUTIONS)["total"] == {"": 2}
    assert_lists_as_counted()


def assert_subjects_as_counted():
    subject_tallies.load(0, "objective", "1")  # counted from scratch if never counted
    kept = {
        (row.iscm_id, row.cycle_id, row.region_id, row.kind, row.key): [row.count, row.examples]
        for row in SubjectTally.objects.all()
    }
    assert kept == subject_tallies.compute()


def test_the_subjects_kept_follow_publication_and_refill_their_first_inputs(world, make_input):
    o1, o2, _o3 = world.objectives
    assert_subjects_as_counted()
    joint = make_input("Joint", partners=[world.partner], objectives={o1: "a", o2: "b"})
    made = [make_input(f"Alone {n}", objectives={o1: "c"}) for n in range(4)]
    assert_subjects_as_counted()
    rows = subject_tallies.load(world.lead.pk, "objective", 1)
    count, first = rows[world.cycle.pk]
    assert count == 5
    # Led first, then the newest: the last three made (joint is led too, but older).
    assert first == [made[3].pk, made[2].pk, made[1].pk]
    assert subject_tallies.load(world.partner.pk, "objective", 1) == {
        world.cycle.pk: (1, [joint.pk])
    }
    workflow.unpublish_input(made[3], by=world.reviewer, reason="A mistake in a name.")
    assert subject_tallies.load(world.lead.pk, "objective", 1)[world.cycle.pk] == (
        4,
        [made[2].pk, made[1].pk, made[0].pk],
    )
    assert_subjects_as_counted()
    workflow.unpublish_input(joint, by=world.reviewer, reason="A mistake in a name.")
    assert world.partner.pk not in {iscm for _cycle, iscm in subject_tallies.reporters(o1.number)}
    assert_subjects_as_counted()
    numbers, keys = subject_tallies.subjects_of(world.lead.pk)
    assert numbers == {1}
    assert keys == {world.sections.intro.key}


def test_after_migration_0014_the_subjects_are_counted_again_with_their_regions(world, make_input):
    make_input("Published", objectives={world.objectives[0]: "a"})
    assert_subjects_as_counted()
    migration = importlib.import_module("submissions.migrations.0014_subject_tallies_by_region")
    migration.count_again(django_apps, None)
    assert not SubjectTally.objects.exists()
    assert not public_tallies.is_counted(public_tallies.SUBJECTS)
    assert_subjects_as_counted()  # the first read counts them, per region too
    assert SubjectTally.objects.filter(region=world.regions.amr).count() == 2  # o1, intro


def test_after_migration_0017_facet_keys_are_filled_by_their_first_reader(world, make_input):
    """Keys missing (the migration that made them, a bulk load) are filled by the first
    count of a filtered list that needs them, and by `manage.py rebuild_counts`; the
    counts are right either way."""
    o1, o2 = world.objectives[:2]
    joint = make_input(
        "Joint", "published", partners=[world.partner], objectives={o1: "a", o2: "b"}
    )
    direct = make_input("Direct", "published", language="fr", objectives={o2: "c"})
    assert f"objective:{o1.pk}" in WrittenInput.objects.get(pk=joint.pk).facet_keys
    kept = dict(WrittenInput.objects.values_list("pk", "facet_keys"))
    WrittenInput.objects.update(facet_keys=[])
    migration = importlib.import_module("submissions.migrations.0017_facet_keys")
    migration.count_again(django_apps, None)
    assert not public_tallies.is_counted(public_tallies.CONTRIBUTIONS)
    counted = public_tallies.count_facets({"both": [joint.pk, direct.pk], "one": [direct.pk]})
    assert counted["both"]["total"] == {"": 2}
    assert counted["both"]["objective"] == {o1.pk: 1, o2.pk: 2}
    assert counted["both"]["joint"] == {"joint": 1, "direct": 1}
    assert counted["both"]["iscm"] == {world.lead.pk: 2, world.partner.pk: 1}
    assert counted["one"]["language"] == {"fr": 1}
    assert dict(WrittenInput.objects.values_list("pk", "facet_keys")) == kept
    WrittenInput.objects.update(facet_keys=[])
    call_command("rebuild_counts", stdout=io.StringIO())  # every input's keys
    assert dict(WrittenInput.objects.values_list("pk", "facet_keys")) == kept


def test_a_change_of_reference_data_in_the_admin_has_everything_counted_again(
    world, make_input, rf, django_capture_on_commit_callbacks
):
    """An ISCM's kind, an objective's round table or a review's region changed in the
    admin moves published inputs between facet values without any workflow step: the
    admin has every number and key counted again once the change is committed, so a
    filtered list's counts and the region page's number follow."""
    o1 = world.objectives[0]
    joint = make_input("Joint", partners=[world.partner], objectives={o1: "a"})
    make_input("Direct", objectives={o1: "b"})
    ids = list(WrittenInput.objects.published().values_list("pk", flat=True))
    request = rf.post("/admin/")

    def saved(model, obj, *fields):
        with django_capture_on_commit_callbacks(execute=True):
            admin_site._registry[model].save_model(
                request, obj, SimpleNamespace(changed_data=list(fields)), change=True
            )
        return public_tallies.count_facets({"": ids})[""]

    kind = next(k for k in ISCM.Kind.values if k not in (world.partner.kind, world.lead.kind))
    world.partner.kind = kind
    assert saved(ISCM, world.partner, "kind")["kind"][kind] == 1
    round_table = o1.round_table % 6 + 1
    o1.round_table = round_table
    assert saved(GCMObjective, o1, "round_table")["round_table"] == {round_table: 2}
    review, moved_to = world.reviews.amr, Region.objects.create(code="ZZZ", name="Zed")
    review.region = moved_to
    counted = saved(RegionalReview, review, "region")
    assert counted["region"][moved_to.pk] == 2
    assert world.regions.amr.pk not in counted["region"]
    assert public_tallies.load(public_tallies.CONTRIBUTIONS)["region"][moved_to.pk] == 2
    assert_lists_as_counted()
    assert_kept_as_counted(_all(world))
    # An unrelated change counts nothing again.
    with django_capture_on_commit_callbacks() as callbacks:
        admin_site._registry[ISCM].save_model(
            request, world.partner, SimpleNamespace(changed_data=["name"]), change=True
        )
    assert callbacks == []
    assert joint.pk in ids


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_a_count_from_scratch_and_a_publication_never_deadlock(world, make_input, monkeypatch):
    """A publication holds its input's row, then the list's "built" row; a count from
    scratch holds the "built" row and writes no input (the facet keys are filled
    apart, a chunk of rows at a time): the two take turns, neither is aborted."""
    published = make_input("Published")
    make_input("Other")
    real_apply = public_tallies.apply

    def slow_apply(delta):
        time.sleep(1.0)  # the publication's transaction, still going, holds the input
        return real_apply(delta)

    monkeypatch.setattr(public_tallies, "apply", slow_apply)

    def count_everything():
        time.sleep(0.3)  # once the unpublication holds the input's row
        tallies.count_everything_again()

    outcomes = at_once(
        {
            "unpublish": lambda: workflow.unpublish_input(
                published, by=world.reviewer, reason="Error."
            ),
            "count": count_everything,
        },
        refused=workflow.TransitionRefused,
    )
    assert outcomes == {"unpublish": "done", "count": "done"}
    assert WrittenInput.objects.get(pk=published.pk).facet_keys == []
