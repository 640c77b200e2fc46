"""The secretariat's comparison across cycles reads its ISCM's published inputs from the
numbers `subject_tallies` keeps and ranks only the others in SQL
(`crosscycle._kept_and_unpublished`): the same columns as ranking every input, in a
number of queries that does not grow with them. The fixtures are those of
test_compare.py."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from submissions import crosscycle
from submissions.crosscycle import OBJECTIVE, SECTION, Source
from submissions.models import WrittenInput

from .conftest import world  # noqa: F401 (fixture)
from .test_compare import input_in, rounds  # noqa: F401 (fixture)


def _every_input_ranked(inputs, iscm, kind, key):
    """The plain computation: every input of the ISCM ranked in SQL."""
    selection = crosscycle.inputs_of(inputs, iscm)
    selection = crosscycle._to_read(selection, iscm, kind, key, Source.CURRENT)
    return crosscycle._rows(selection, Source.CURRENT)


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


def audiences(world):  # noqa: F811
    """(inputs, source, ISCM) per audience and ISCM whose page it may open: a
    secretariat its own ISCM's only (`submissions.views.compare`)."""
    reviewable = WrittenInput.objects.reviewable_by(world.reviewer)
    return {
        ("secretariat", "LEAD"): (
            WrittenInput.objects.for_secretariat(world.lead_user),
            Source.CURRENT,
            world.lead,
        ),
        ("secretariat", "PART"): (
            WrittenInput.objects.for_secretariat(world.partner_user),
            Source.CURRENT,
            world.partner,
        ),
        ("reviewer", "LEAD"): (reviewable, Source.LATEST, world.lead),
        ("reviewer", "PART"): (reviewable, Source.LATEST, world.partner),
    }


def subjects(world):  # noqa: F811
    return [(SECTION, world.sections.intro.key), (OBJECTIVE, world.objectives[0].number)]


@pytest.fixture
def mixed(world, rounds):  # noqa: F811
    """LEAD's inputs in every state over three rounds, more per round than a page shows;
    some joint with PART (led by either), one of them to EUR only (not the reviewer's
    region), one without the section."""
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
    monkeypatch,
):
    found = {}
    for audience, (inputs, source, iscm) in audiences(world).items():
        for kind, key in subjects(world):
            columns = crosscycle.texts_across_cycles(
                inputs, iscm=iscm, kind=kind, key=key, source=source
            )
            found[(*audience, kind)] = shown(columns)
    monkeypatch.setattr(crosscycle, "_kept_and_unpublished", _every_input_ranked)
    for audience, (inputs, source, iscm) in audiences(world).items():
        for kind, key in subjects(world):
            exact = crosscycle.texts_across_cycles(
                inputs, iscm=iscm, kind=kind, key=key, source=source
            )
            assert found[(*audience, kind)] == shown(exact), (audience, kind)
    # The mix shows: past the first texts a count; an unpublished input the ISCM leads
    # before a published one it partners, that one before a draft it partners; the
    # reviewer not the input to EUR only.
    secretariat = {c[0]: c for c in found["secretariat", "LEAD", SECTION]}
    assert secretariat["round-of-2020"][2] == 2
    assert len(secretariat["round-of-2024"][1]) == crosscycle.TEXTS_PER_CYCLE
    newest = [t[0] for t in secretariat[world.cycle.slug][1]]
    titles = dict(WrittenInput.objects.values_list("pk", "title"))
    assert [titles[pk] for pk in newest] == ["2028 draft", "2028 PART's", "2028 PART's draft"]
    reviewer = {c[0]: c for c in found["reviewer", "LEAD", SECTION]}
    assert "2024 to EUR" not in {titles[t[0]] for t in reviewer["round-of-2024"][1]}


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
