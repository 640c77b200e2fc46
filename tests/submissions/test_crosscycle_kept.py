"""The secretariat's comparison across cycles, and a reviewer's of one region, read the
ISCM's published inputs from the numbers `subject_tallies` keeps (of every region, of
the reviewer's) and rank only the others in SQL (`crosscycle._kept_and_unpublished`):
the same columns as ranking every input, in a number of queries that does not grow
with them. The fixtures are those of test_compare.py."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from submissions import crosscycle, workflow
from submissions.crosscycle import OBJECTIVE, SECTION, Source
from submissions.models import ReviewerAssignment, WrittenInput
from tests.factories import ReviewerAssignmentFactory, UserFactory

from .conftest import world  # noqa: F401 (fixture)
from .test_compare import input_in, rounds  # noqa: F401 (fixture)


def _every_input_ranked(inputs, iscm, kind, key, source, region=None):
    """The plain computation: every input of the ISCM ranked in SQL."""
    selection = crosscycle.inputs_of(inputs, iscm)
    selection = crosscycle._to_read(selection, iscm, kind, key, source)
    return crosscycle._rows(selection, source)


def shown(columns):
    """What a page shows: per cycle the inputs, versions and texts, and how many more."""
    return [
        (
            column.cycle.slug,
            [(t.input.pk, t.version_number, t.parts, t.led) for t in column.texts],
            column.more,
        )
        for column in columns
    ]


@pytest.fixture
def reviewers(world):  # noqa: F811
    """A reviewer of EUR, one of AMR and EUR, and the administrator reviewing EUR
    (`reviewable_by` has no exception for staff: their assignments say)."""
    both = UserFactory(full_name="Bo Both")
    for region in (world.regions.amr, world.regions.eur):
        ReviewerAssignmentFactory(region=region, user=both)
    ReviewerAssignmentFactory(region=world.regions.eur, user=world.admin)
    return {
        "AMR": world.reviewer,
        "EUR": ReviewerAssignmentFactory(region=world.regions.eur).user,
        "AMR+EUR": both,
        "admin of EUR": world.admin,
    }


def audiences(world, reviewers):  # noqa: F811
    """(inputs, source, ISCM, region) per audience and ISCM whose page it may open: a
    secretariat its own ISCM's only (`submissions.views.compare`), a reviewer any."""
    found = {
        ("secretariat", "LEAD"): (
            WrittenInput.objects.for_secretariat(world.lead_user),
            Source.CURRENT,
            world.lead,
            None,
        ),
        ("secretariat", "PART"): (
            WrittenInput.objects.for_secretariat(world.partner_user),
            Source.CURRENT,
            world.partner,
            None,
        ),
    }
    for name, user in reviewers.items():
        reviewable = WrittenInput.objects.reviewable_by(user)
        region = crosscycle.reviewer_region(user)
        for iscm in (world.lead, world.partner):
            found[name, iscm.acronym] = (reviewable, Source.LATEST, iscm, region)
    return found


def everything_shown(world, reviewers):  # noqa: F811
    return {
        (*audience, kind): shown(
            crosscycle.texts_across_cycles(
                inputs, iscm=iscm, kind=kind, key=key, source=source, region=region
            )
        )
        for audience, (inputs, source, iscm, region) in audiences(world, reviewers).items()
        for kind, key in subjects(world)
    }


def assert_as_every_input_ranked(world, reviewers, monkeypatch):  # noqa: F811
    """Every audience's columns on both subjects equal those of the plain computation;
    returns them."""
    found = everything_shown(world, reviewers)
    with monkeypatch.context() as patched:
        patched.setattr(crosscycle, "_kept_and_unpublished", _every_input_ranked)
        exact = everything_shown(world, reviewers)
    for shown_to, columns in found.items():
        assert columns == exact[shown_to], shown_to
    return found


def subjects(world):  # noqa: F811
    return [(SECTION, world.sections.intro.key), (OBJECTIVE, world.objectives[0].number)]


@pytest.fixture
def mixed(world, rounds):  # noqa: F811
    """LEAD's inputs in every state over three rounds, more per round than a page shows;
    some joint with PART (led by either), some to EUR only (not the AMR reviewer's
    region), some to both AMR and EUR, one without the section."""
    for n in range(crosscycle.TEXTS_PER_CYCLE + 1):
        input_in(world, rounds[2020], f"2020 led {n}", intro=f"A{n}.", objective=f"A{n}.")
    input_in(
        world, rounds[2020], "2020 PART's", lead=world.partner, partners=[world.lead],
        intro="Theirs.", objective="Theirs.",
    )  # fmt: skip
    input_in(world, rounds[2024], "2024 published", intro="B.", objective="B.")
    input_in(
        world, rounds[2024], "2024 joint", partners=[world.partner], intro="J.", objective="J."
    )
    input_in(
        world, rounds[2024], "2024 to EUR", partners=[world.partner], regions=("EUR",),
        intro="E.", objective="E.",
    )  # fmt: skip
    for state in ("submitted", "changes_requested", "draft", "accepted"):
        input_in(world, rounds[2024], f"2024 {state}", state, intro=state, objective=state)
    input_in(
        world, rounds[2024], "2024 PART's to EUR", lead=world.partner, partners=[world.lead],
        regions=("EUR",), intro="PE.", objective="PE.",
    )  # fmt: skip
    for state in ("published", "submitted", "changes_requested"):
        input_in(
            world, rounds[2024], f"2024 AMR and EUR {state}", state, partners=[world.partner],
            regions=("AMR", "EUR"), intro=f"AE {state}.", objective=f"AE {state}.",
        )  # fmt: skip
    input_in(
        world, rounds[2028], "2028 AMR and EUR", partners=[world.partner],
        regions=("AMR", "EUR"), intro="AE.", objective="AE.",
    )  # fmt: skip
    input_in(
        world, rounds[2028], "2028 PART's draft", "draft", lead=world.partner,
        partners=[world.lead], intro="D.", objective="D.",
    )  # fmt: skip
    input_in(
        world, rounds[2028], "2028 PART's", lead=world.partner, partners=[world.lead],
        intro="P.", objective="P.",
    )  # fmt: skip
    input_in(world, rounds[2028], "2028 draft", "draft", intro="Now.", objective="Now.")
    input_in(world, rounds[2028], "2028 no section", "draft", objective="Only this.")


def test_kept_numbers_give_the_columns_of_every_input_ranked(
    world,  # noqa: F811
    mixed,
    reviewers,
    monkeypatch,
):
    regions = {name: crosscycle.reviewer_region(user) for name, user in reviewers.items()}
    eur = world.regions.eur.pk
    # A reviewer of two regions has none: their inputs are all ranked in SQL.
    assert regions == {"AMR": world.regions.amr.pk, "EUR": eur, "AMR+EUR": None,
                       "admin of EUR": eur}  # fmt: skip
    found = assert_as_every_input_ranked(world, reviewers, monkeypatch)
    # The mix shows: past the first texts a count; an unpublished input the ISCM leads
    # before a published one it partners, that one before a draft it partners; the
    # reviewer of AMR not the inputs to EUR only, the reviewer of EUR those.
    secretariat = {c[0]: c for c in found["secretariat", "LEAD", SECTION]}
    assert secretariat["round-of-2020"][2] == 2
    assert len(secretariat["round-of-2024"][1]) == crosscycle.TEXTS_PER_CYCLE
    newest = [t[0] for t in secretariat[world.cycle.slug][1]]
    titles = dict(WrittenInput.objects.values_list("pk", "title"))
    assert [titles[pk] for pk in newest] == ["2028 AMR and EUR", "2028 draft", "2028 PART's"]

    def read(audience, cycle="round-of-2024"):
        column = {c[0]: c for c in found[(*audience, SECTION)]}[cycle]
        return [titles[t[0]] for t in column[1]], column[2]

    amr_read, amr_more = read(("AMR", "LEAD"))
    assert "2024 to EUR" not in amr_read
    # EUR's 2024: the published inputs LEAD leads, newest first, then the submitted one;
    # the input being revised and PART's input to EUR counted.
    assert read(("EUR", "LEAD")) == (
        ["2024 AMR and EUR published", "2024 to EUR", "2024 AMR and EUR submitted"],
        2,
    )
    assert read(("admin of EUR", "PART")) == read(("EUR", "PART"))
    # Reviewing both: AMR's and the two to EUR only; the inputs to both count once.
    both_read, both_more = read(("AMR+EUR", "LEAD"))
    assert len(both_read) + both_more == len(amr_read) + amr_more + 2

    # Unpublished, an input to both regions leaves their numbers: the columns follow.
    unpublished = WrittenInput.objects.get(title="2024 AMR and EUR published")
    workflow.unpublish_input(unpublished, by=world.reviewer, reason="Error.")
    after = assert_as_every_input_ranked(world, reviewers, monkeypatch)
    assert after != found


def test_reviewer_comparison_queries_do_not_grow_with_the_inputs(
    world,  # noqa: F811
    rounds,  # noqa: F811
    reviewers,
):
    user = reviewers["EUR"]
    inputs = WrittenInput.objects.reviewable_by(user)
    region = crosscycle.reviewer_region(user)
    args = {"iscm": world.lead, "kind": SECTION, "key": world.sections.intro.key}

    def count():
        with CaptureQueriesContext(connection) as queries:
            columns = crosscycle.texts_across_cycles(
                inputs, source=Source.LATEST, region=region, **args
            )
        return len(queries), len(columns)

    joint = {"partners": [world.partner]}
    input_in(world, rounds[2024], "Published", regions=("EUR",), intro="B.", **joint)
    input_in(world, rounds[2028], "Submitted", "submitted", regions=("EUR",), intro="S.", **joint)
    count()  # the first read counts the published inputs' numbers, once
    few = count()
    for n in range(crosscycle.TEXTS_PER_CYCLE + 2):
        both = ("AMR", "EUR")
        input_in(world, rounds[2020], f"2020 {n}", regions=both, intro=f"A{n}.", **joint)
        input_in(world, rounds[2024], f"2024 {n}", regions=("EUR",), intro=f"B{n}.", **joint)
        input_in(world, rounds[2024], f"2024 AMR {n}", intro=f"C{n}.")
    back = {"regions": ("EUR",), "intro": "C."}
    input_in(world, rounds[2028], "Back", "changes_requested", **back, **joint)
    many = count()
    assert ReviewerAssignment.objects.filter(user=user).count() == 1
    assert (few[0], many[0]) == (few[0], few[0]) and (few[1], many[1]) == (2, 3)


def test_secretariat_comparison_queries_do_not_grow_with_its_inputs(
    world,  # noqa: F811
    rounds,  # noqa: F811
):
    inputs = WrittenInput.objects.for_secretariat(world.lead_user)
    args = {"iscm": world.lead, "kind": SECTION, "key": world.sections.intro.key}

    def count():
        with CaptureQueriesContext(connection) as queries:
            columns = crosscycle.texts_across_cycles(inputs, source=Source.CURRENT, **args)
        return len(queries), len(columns)

    input_in(world, rounds[2024], "Published", intro="B.")
    input_in(world, rounds[2028], "Draft", "draft", intro="Now.")
    count()  # the first read counts the published inputs' numbers, once
    few = count()
    for n in range(crosscycle.TEXTS_PER_CYCLE + 2):
        input_in(world, rounds[2020], f"2020 {n}", intro=f"A{n}.")
        input_in(world, rounds[2024], f"2024 {n}", intro=f"B{n}.")
    input_in(world, rounds[2028], "Submitted", "submitted", intro="S.")
    input_in(world, rounds[2028], "Back", "changes_requested", intro="C.")
    many = count()
    assert (few[0], many[0]) == (few[0], few[0]) and (few[1], many[1]) == (2, 3)
