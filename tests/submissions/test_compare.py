"""Comparing across cycles (`submissions/crosscycle.py`) and its secretariat and
reviewer pages (`submissions/views/compare.py`, `reviews/views/compare.py`).

The world's round (2028–2029) gets two earlier rounds, each with its own outline in
which the introduction has another number and title but the same key. Inputs go
through the real workflow in any round with `input_in`; the public pages' tests
(tests/public/views/test_compare.py) use the same fixtures.
"""

from types import SimpleNamespace

import pytest
from django.urls import reverse
from django.utils import timezone

from submissions import crosscycle, crosscycle_subjects, editing, workflow
from submissions import reporters as reporters_module
from submissions.crosscycle import OBJECTIVE, SECTION, Source
from submissions.models import InputVersion, OutlineSection, ReviewerAssignment, WrittenInput

from ..factories import (
    OutlineFactory,
    OutlineSectionFactory,
    RegionalReviewFactory,
    ReviewCycleFactory,
    ReviewerAssignmentFactory,
)
from .conftest import world  # noqa: F401 (fixture)

# Pages' queries, whatever the number of cycles, inputs and versions. Every signed-in
# page: session, user, second-factor device, the navigation's roles (2) = 5. Then:
# secretariat compare page: the ISCM through the membership, the objective (or the
# section by key), the first inputs not published, whether the kept numbers were
# counted and the numbers of the published ones, the inputs, their partners, their
# target reviews and regions (2), the live texts, the cycles = 16.
SECRETARIAT_COMPARE_QUERIES = 16
# reviewer compare page: the ISCM, "has it an input I review", the objective (or the
# section), the reviewer's regions, the first inputs not published, whether the kept
# numbers were counted and the numbers of the published ones (of their one region), the
# inputs, their partners, the latest versions (the section page: and the outlines'
# numbers), the cycles = 16 or 17.
REVIEWER_COMPARE_QUERIES = 17
# the index pages: the ISCM, objectives and sections (reviewers: "has it an input I
# review", the inputs, the outlines' keys and the latest versions first).
SECRETARIAT_INDEX_QUERIES = 8
REVIEWER_INDEX_QUERIES = 12


@pytest.fixture
def rounds(world):  # noqa: F811 (the fixture imported above)
    """{start year: round}: 2020 and 2024 made here, 2028 the world's. In the earlier
    outlines the introduction (the world's key) is section 2, after a "context" one."""
    regions = (world.regions.amr, world.regions.eur, world.regions.afr)
    made = {}
    for start, title in ((2020, "Opening"), (2024, "Introduction and methodology")):
        outline = OutlineFactory()
        OutlineSectionFactory(
            outline=outline, number=1, key="context", title="Context", required=False
        )
        intro = OutlineSectionFactory(
            outline=outline,
            number=2,
            key=world.sections.intro.key,
            title=title,
            word_limit=None,
        )
        OutlineSectionFactory(
            outline=outline,
            number=3,
            key="objectives",
            title="Objectives",
            kind=OutlineSection.Kind.OBJECTIVES,
            word_limit=None,
        )
        cycle = ReviewCycleFactory(
            outline=outline,
            start_year=start,
            end_year=start + 1,
            name=f"Round of {start}",
            slug=f"round-of-{start}",
        )
        reviews = {r.code: RegionalReviewFactory(cycle=cycle, region=r) for r in regions}
        made[start] = SimpleNamespace(cycle=cycle, intro=intro, reviews=reviews)
    made[2028] = SimpleNamespace(
        cycle=world.cycle,
        intro=world.sections.intro,
        reviews={"AMR": world.reviews.amr, "EUR": world.reviews.eur, "AFR": world.reviews.afr},
    )
    return made


def _reviewer_of(world, region):  # noqa: F811 (a parameter, not the fixture)
    if region == world.regions.amr:
        return world.reviewer
    assignment = ReviewerAssignment.objects.filter(region=region, role="reviewer").first()
    return (assignment or ReviewerAssignmentFactory(region=region)).user


def input_in(
    world,  # noqa: F811
    round_,
    title,
    state="published",
    *,
    intro="",
    objective=None,
    language="en",
    lead=None,
    partners=(),
    regions=("AMR",),
    consent=True,
):
    """An input of `lead` (LEAD by default) to the reviews of `regions` in `round_`,
    driven through the real workflow to `state` (draft, submitted, changes_requested,
    accepted, published, unpublished). `objective`: the progress text on objective 1
    (else objective 2 has one). `consent` False: accepted without consent (so never
    published)."""
    lead = lead or world.lead
    secretariat = {
        world.lead: world.lead_user,
        world.partner: world.partner_user,
        world.other: world.other_user,
    }[lead]
    written_input = editing.create_input(
        by=secretariat,
        cycle=round_.cycle,
        lead_iscm=lead,
        partners=list(partners),
        targets=[round_.reviews[code] for code in regions],
        title=title,
        language=language,
        basis="written_input",
    )
    # Every outline asks for one objective: without `objective`, objective 2.
    reported = world.objectives[0] if objective is not None else world.objectives[1]
    objectives = {
        reported.pk: {"progress": objective or "Elsewhere.", "practices": "", "challenges": ""}
    }
    editing.save_content(
        written_input,
        editing.ContentChanges(sections={round_.intro.pk: intro}, objectives=objectives),
        by=secretariat,
        expected_version=written_input.version,
    )
    if state == "draft":
        return written_input
    workflow.submit_input(written_input, by=secretariat, today=timezone.localdate())
    if state == "submitted":
        return written_input
    reviewers = [
        _reviewer_of(world, review.region) for review in written_input.target_reviews.all()
    ]
    if state == "changes_requested":
        return workflow.request_changes(written_input, by=reviewers[0], message="More.")
    for reviewer in dict.fromkeys(reviewers):
        if workflow.decidable_reviews(written_input, reviewer):
            workflow.accept_input(written_input, by=reviewer)
    if state == "accepted" or not consent:
        return written_input
    workflow.set_publication_consent(written_input, by=secretariat, consent=True)
    written_input = workflow.publish_input(written_input, by=reviewers[0])
    if state == "unpublished":
        return workflow.unpublish_input(written_input, by=reviewers[0], reason="Error.")
    assert state == "published", state
    return written_input


@pytest.fixture
def history(world, rounds):  # noqa: F811
    """LEAD's record: published in 2020 and 2024; in 2028 an accepted input without
    consent (the reviewers' latest) and a draft (the secretariat's only)."""
    return SimpleNamespace(
        first=input_in(
            world,
            rounds[2020],
            "Input 2020",
            intro="We met once.",
            objective="Data collection started.",
        ),
        second=input_in(
            world,
            rounds[2024],
            "Input 2024",
            intro="We met twice.",
            objective="Data collection started in three States.",
        ),
        accepted=input_in(
            world,
            rounds[2028],
            "Accepted 2028",
            "accepted",
            intro="We met three times, unconsented.",
            objective="Accepted progress.",
            consent=False,
        ),
        draft=input_in(
            world,
            rounds[2028],
            "Draft 2028",
            "draft",
            intro="Draft words only the secretariat reads.",
            objective="Draft progress.",
        ),
    )


def texts(columns):
    """{cycle slug: [(input title, first part's text), …]}"""
    return {
        column.cycle.slug: [(t.title, t.parts[0].text) for t in column.texts] for column in columns
    }


def fragments(block):
    return [(f.op, f.text) for f in block.fragments]


# --- The domain ---------------------------------------------------------------------


def test_published_texts_across_cycles_match_the_section_by_key_not_number(
    world,  # noqa: F811
    rounds,
    history,
):
    columns = crosscycle.texts_across_cycles(
        WrittenInput.objects.published(),
        iscm=world.lead,
        kind=SECTION,
        key=world.sections.intro.key,
        source=Source.PUBLISHED,
    )
    assert texts(columns) == {
        "round-of-2020": [("Input 2020", "We met once.")],
        "round-of-2024": [("Input 2024", "We met twice.")],
    }
    first, second = (column.main for column in columns)
    # The section as each round's outline named it, and the version read.
    assert (first.heading["number"], first.heading["title"]) == (2, "Opening")
    assert second.heading["title"] == "Introduction and methodology"
    assert first.version_number == history.first.published_version == 1
    assert [t["region"] for t in first.targets] == ["AMR"]
    assert first.led


def test_objective_texts_hold_every_part_and_the_diff_is_word_level(
    world,  # noqa: F811
    history,
):
    comparison = crosscycle.compare_across_cycles(
        WrittenInput.objects.published(),
        iscm=world.lead,
        kind=OBJECTIVE,
        key=world.objectives[0].number,
        source=Source.PUBLISHED,
    )
    assert [c.cycle.slug for c in comparison.columns] == ["round-of-2020", "round-of-2024"]
    assert [p.name for p in comparison.new.main.parts] == ["progress", "practices", "challenges"]
    progress, practices, challenges = comparison.blocks
    assert fragments(progress) == [
        ("equal", "Data collection "),
        ("delete", "started."),
        ("insert", "started in three States."),
    ]
    assert progress.changed and not practices.changed and not challenges.changed
    # The world's round has no published text: it is listed as without one.
    assert comparison.without_text == [world.cycle]


def test_each_audience_reads_its_own_text_of_the_newest_round(world, history):  # noqa: F811
    def newest(inputs, source):
        columns = crosscycle.texts_across_cycles(
            inputs, iscm=world.lead, kind=SECTION, key=world.sections.intro.key, source=source
        )
        return texts(columns).get(world.cycle.slug)

    assert newest(WrittenInput.objects.published(), Source.PUBLISHED) is None
    assert newest(WrittenInput.objects.reviewable_by(world.reviewer), Source.LATEST) == [
        ("Accepted 2028", "We met three times, unconsented.")
    ]
    # The secretariat: everything, drafts included; the more advanced input first.
    assert newest(WrittenInput.objects.for_secretariat(world.lead_user), Source.CURRENT) == [
        ("Accepted 2028", "We met three times, unconsented."),
        ("Draft 2028", "Draft words only the secretariat reads."),
    ]


def test_reviewers_read_the_latest_version_not_the_draft_being_revised(
    world,  # noqa: F811
    rounds,
):
    sent_back = input_in(
        world, rounds[2028], "Sent back", "changes_requested", intro="As submitted."
    )
    editing.save_content(
        sent_back,
        editing.ContentChanges(
            sections={world.sections.intro.pk: "Revised, not sent."}, objectives={}
        ),
        by=world.lead_user,
        expected_version=WrittenInput.objects.get(pk=sent_back.pk).version,
    )
    args = {"iscm": world.lead, "kind": SECTION, "key": world.sections.intro.key}
    reviewer = crosscycle.texts_across_cycles(
        WrittenInput.objects.reviewable_by(world.reviewer), source=Source.LATEST, **args
    )
    secretariat = crosscycle.texts_across_cycles(
        WrittenInput.objects.for_secretariat(world.lead_user), source=Source.CURRENT, **args
    )
    assert texts(reviewer) == {world.cycle.slug: [("Sent back", "As submitted.")]}
    assert reviewer[0].main.version_number == 1
    assert texts(secretariat) == {world.cycle.slug: [("Sent back", "Revised, not sent.")]}
    assert secretariat[0].main.is_draft_text


def test_snapshot_taken_before_sections_had_keys_is_found_by_its_outline_number(
    world,  # noqa: F811
    history,
):
    version = InputVersion.objects.get(input=history.first, number=1)
    snapshot = version.snapshot
    for section in snapshot["sections"]:
        del section["key"]
    InputVersion.objects.filter(pk=version.pk).update(snapshot=snapshot)  # bypasses immutability
    columns = crosscycle.texts_across_cycles(
        WrittenInput.objects.published(),
        iscm=world.lead,
        kind=SECTION,
        key=world.sections.intro.key,
        source=Source.PUBLISHED,
    )
    assert texts(columns)["round-of-2020"] == [("Input 2020", "We met once.")]
    subjects = crosscycle_subjects.subjects_reported(
        WrittenInput.objects.reviewable_by(world.reviewer), iscm=world.lead, source=Source.LATEST
    )
    assert [s.key for s in subjects.sections] == [world.sections.intro.key]


def test_joint_input_counts_for_the_partner_with_its_lead_named(world, rounds):  # noqa: F811
    input_in(world, rounds[2024], "Joint 2024", intro="Together.", partners=[world.partner])
    columns = crosscycle.texts_across_cycles(
        WrittenInput.objects.published(),
        iscm=world.partner,
        kind=SECTION,
        key=world.sections.intro.key,
        source=Source.PUBLISHED,
    )
    (column,) = columns
    assert column.main.title == "Joint 2024" and not column.main.led


def test_chosen_cycles_are_compared_and_unusable_ones_fall_back_with_a_notice(
    world,  # noqa: F811
    rounds,
    history,
):
    input_in(world, rounds[2028], "Published 2028", intro="We met four times.")
    args = {
        "iscm": world.lead,
        "kind": SECTION,
        "key": world.sections.intro.key,
        "source": Source.PUBLISHED,
    }
    published = WrittenInput.objects.published()
    default = crosscycle.compare_across_cycles(published, **args)
    assert (default.old.cycle.start_year, default.new.cycle.start_year, default.notice) == (
        2024,
        2028,
        "",
    )
    chosen = crosscycle.compare_across_cycles(
        published, from_slug="round-of-2020", to_slug=world.cycle.slug, **args
    )
    assert (chosen.old.cycle.start_year, chosen.new.cycle.start_year) == (2020, 2028)
    assert fragments(chosen.blocks[0]) == [
        ("equal", "We met "),
        ("delete", "once."),
        ("insert", "four times."),
    ]
    only_to = crosscycle.compare_across_cycles(published, to_slug="round-of-2024", **args)
    assert (only_to.old.cycle.start_year, only_to.new.cycle.start_year) == (2020, 2024)
    for bad in (
        {"from_slug": "nope", "to_slug": "round-of-2020"},
        {"from_slug": "round-of-2020", "to_slug": "round-of-2020"},
        {"to_slug": "round-of-2020"},  # nothing before the first
        {"from_slug": "x" * 5000},
    ):
        fallback = crosscycle.compare_across_cycles(published, **bad, **args)
        assert fallback.notice, bad
        assert (fallback.old.cycle.start_year, fallback.new.cycle.start_year) == (2024, 2028)


def test_a_cycle_shows_its_first_texts_and_counts_the_others(world, rounds):  # noqa: F811
    """Past TEXTS_PER_CYCLE inputs in a cycle, each audience sees the first ones (those
    the ISCM leads, the most advanced, the newest) and how many more have text, as it
    reads them: a reviewer counts an input sent back whose live text was since cleared
    (its latest version has text), its secretariat does not."""
    shown = crosscycle.TEXTS_PER_CYCLE
    input_in(
        world, rounds[2024], "Joint, led by PART", lead=world.partner, partners=[world.lead],
        intro="Theirs.",
    )  # fmt: skip
    for n in range(shown + 2):
        input_in(world, rounds[2024], f"Led {n}", intro=f"Ours {n}.")
    sent_back = input_in(world, rounds[2024], "Sent back", "changes_requested", intro="As sent.")
    editing.save_content(
        sent_back,
        editing.ContentChanges(sections={rounds[2024].intro.pk: ""}, objectives={}),
        by=world.lead_user,
        expected_version=WrittenInput.objects.get(pk=sent_back.pk).version,
    )
    newest_led = [f"Led {n}" for n in reversed(range(shown + 2))][:shown]
    for inputs, source, more in (
        (WrittenInput.objects.published(), Source.PUBLISHED, 3),
        (WrittenInput.objects.reviewable_by(world.reviewer), Source.LATEST, 4),
        (WrittenInput.objects.for_secretariat(world.lead_user), Source.CURRENT, 3),
    ):
        (column,) = crosscycle.texts_across_cycles(
            inputs, iscm=world.lead, kind=SECTION, key=world.sections.intro.key, source=source
        )
        assert [t.title for t in column.texts] == newest_led, source
        assert column.more == more, source
    # The partner's page: the joint input it does not lead is its only one.
    (column,) = crosscycle.texts_across_cycles(
        WrittenInput.objects.published(),
        iscm=world.partner,
        kind=SECTION,
        key=world.sections.intro.key,
        source=Source.PUBLISHED,
    )
    assert [t.title for t in column.texts] == ["Joint, led by PART"] and column.more == 0


def test_a_reviewer_reads_an_input_being_revised_from_its_latest_version(
    world,  # noqa: F811
    rounds,
):
    """An input sent back may have lost or gained text since: the reviewer's page
    follows its latest version, not the tables, for the objective and in the index."""
    sent_back = input_in(
        world, rounds[2028], "Sent back", "changes_requested", intro="Sent.", objective="Sent."
    )
    editing.save_content(
        sent_back,
        editing.ContentChanges(
            sections={world.sections.intro.pk: "Still here."},
            objectives={
                world.objectives[1].pk: {
                    "progress": "Added since.",
                    "practices": "",
                    "challenges": "",
                }
            },
        ),
        by=world.lead_user,
        expected_version=WrittenInput.objects.get(pk=sent_back.pk).version,
    )
    reviewable = WrittenInput.objects.reviewable_by(world.reviewer)
    args = {"iscm": world.lead, "kind": OBJECTIVE, "source": Source.LATEST}
    (column,) = crosscycle.texts_across_cycles(reviewable, key=world.objectives[0].number, **args)
    assert column.main.text("progress") == "Sent." and column.more == 0
    assert crosscycle.texts_across_cycles(reviewable, key=world.objectives[1].number, **args) == []
    subjects = crosscycle_subjects.subjects_reported(
        reviewable, iscm=world.lead, source=Source.LATEST
    )
    assert [o.number for o in subjects.objectives] == [world.objectives[0].number]


def test_one_cycle_compares_nothing(world, rounds):  # noqa: F811
    input_in(world, rounds[2024], "Alone", intro="Only once.")
    comparison = crosscycle.compare_across_cycles(
        WrittenInput.objects.published(),
        iscm=world.lead,
        kind=SECTION,
        key=world.sections.intro.key,
        source=Source.PUBLISHED,
        from_slug="round-of-2020",
    )
    assert len(comparison.columns) == 1 and comparison.old is None and not comparison.blocks
    assert comparison.notice


def test_reporters_by_cycle_name_leads_and_partners_of_published_inputs(
    world,  # noqa: F811
    rounds,
    history,
):
    input_in(
        world,
        rounds[2024],
        "Joint by OTHER",
        lead=world.other,
        partners=[world.partner],
        regions=("AFR",),
        intro="Ours.",
        objective="Shared progress.",
    )
    input_in(world, rounds[2020], "No objective", lead=world.partner, regions=("EUR",), intro="x")
    reporters = reporters_module.reporters_by_cycle(
        WrittenInput.objects.published(), world.objectives[0]
    )
    assert [(c.start_year, [r.acronym for r in iscms]) for c, iscms in reporters] == [
        (2024, ["LEAD", "OTHER", "PART"]),
        (2020, ["LEAD"]),
    ]


# --- The secretariat's pages --------------------------------------------------------


def secretariat_url(world, name="compare", *args):  # noqa: F811
    return reverse(f"submissions:{name}", args=[world.lead.slug, *args])


def test_secretariat_page_shows_every_cycle_drafts_included_and_the_diff(
    client,
    world,  # noqa: F811
    history,
):
    client.force_login(world.lead_user)
    url = secretariat_url(world, "compare-section", world.sections.intro.key)
    response = client.get(url)
    body = response.content.decode()
    assert response.status_code == 200
    for text in ("We met once.", "We met twice.", "Draft words only the secretariat reads."):
        assert text in body
    assert "Introduction and methodology" in body and "Opening" in body
    # Default: the last two cycles with text (2024 → 2028, the accepted input first).
    assert response.context["comparison"].old.cycle.start_year == 2024
    assert '<del><span class="visually-hidden"' in body and "<ins>" in body
    assert history.draft.get_absolute_url() in body

    index = client.get(secretariat_url(world))
    assert index.status_code == 200
    assert url in index.content.decode()
    objective_url = secretariat_url(world, "compare-objective", world.objectives[0].number)
    assert objective_url in index.content.decode()
    assert "Draft progress." in client.get(objective_url).content.decode()


def test_secretariat_pages_of_another_iscm_are_404(client, world, history):  # noqa: F811
    client.force_login(world.partner_user)  # on PART's secretariat, not LEAD's
    for url in (
        secretariat_url(world),
        secretariat_url(world, "compare-objective", world.objectives[0].number),
        secretariat_url(world, "compare-section", world.sections.intro.key),
    ):
        assert client.get(url).status_code == 404, url
    client.force_login(world.reviewer)
    assert client.get(secretariat_url(world)).status_code == 404
    client.logout()
    assert client.get(secretariat_url(world)).status_code == 302  # to the sign-in page


def test_input_page_links_to_the_compare_pages_of_the_persons_iscm(
    client,
    world,  # noqa: F811
    rounds,
):
    joint = input_in(world, rounds[2028], "Joint", "draft", intro="x", partners=[world.partner])
    link = reverse("submissions:input-compare", args=[joint.pk])
    client.force_login(world.lead_user)
    assert link in client.get(joint.get_absolute_url()).content.decode()
    assert client.get(link)["Location"] == reverse("submissions:compare", args=[world.lead.slug])
    client.force_login(world.partner_user)
    assert client.get(link)["Location"] == reverse(
        "submissions:compare", args=[world.partner.slug]
    )
    client.force_login(world.other_user)
    assert client.get(link).status_code == 404


def test_unknown_objective_or_section_is_404(client, world, history):  # noqa: F811
    client.force_login(world.lead_user)
    assert client.get(secretariat_url(world, "compare-objective", 99)).status_code == 404
    assert client.get(secretariat_url(world, "compare-section", "nope")).status_code == 404
    # The objectives section has no text of its own to compare.
    objectives_key = world.sections.objectives.key
    assert client.get(secretariat_url(world, "compare-section", objectives_key)).status_code == 404


def test_bad_cycle_parameters_explain_and_show_the_default(client, world, history):  # noqa: F811
    client.force_login(world.lead_user)
    url = secretariat_url(world, "compare-section", world.sections.intro.key)
    for query in (
        "?from=nope&to=nope",
        "?from=round-of-2020&to=round-of-2020",
        "?to=%00",
        "?from=\u202e",
    ):
        response = client.get(url + query)
        assert response.status_code == 200, query
        assert "cannot be compared here" in response.content.decode(), query
        assert response.context["comparison"].new.cycle == world.cycle


def test_secretariat_compare_query_count_is_the_same_for_one_input_and_many(
    client,
    world,  # noqa: F811
    rounds,
    count_queries,
    django_assert_max_num_queries,
):
    client.force_login(world.lead_user)
    urls = [
        secretariat_url(world, "compare-section", world.sections.intro.key),
        secretariat_url(world, "compare-objective", world.objectives[0].number),
        secretariat_url(world),
    ]
    input_in(world, rounds[2028], "Now", "draft", intro="Now.", objective="Now.")
    client.get(urls[0])  # the first read counts the published inputs' numbers, once
    one = [count_queries(client, url) for url in urls]
    # More inputs per cycle than a page shows, some joint, one being revised.
    for start in (2020, 2024):
        for n in range(crosscycle.TEXTS_PER_CYCLE + 2):
            input_in(world, rounds[start], f"{start} {n}", intro=f"In {start}.", objective="P.",
                     partners=[world.partner] if n % 2 else [])  # fmt: skip
    input_in(world, rounds[2024], "Back", "changes_requested", intro="B.", objective="B.")
    three = [count_queries(client, url) for url in urls]
    assert one == three
    for url, budget in zip(
        urls,
        (SECRETARIAT_COMPARE_QUERIES, SECRETARIAT_COMPARE_QUERIES, SECRETARIAT_INDEX_QUERIES),
        strict=True,
    ):
        with django_assert_max_num_queries(budget):
            client.get(url)


# --- The reviewers' pages -------------------------------------------------------------


def reviewer_url(world, name="compare", *args):  # noqa: F811
    return reverse(f"reviews:{name}", args=[world.lead.slug, *args])


def test_reviewer_page_shows_latest_versions_of_their_regions_only(
    client,
    world,  # noqa: F811
    rounds,
    history,
):
    input_in(
        world,
        rounds[2024],
        "To EUR only",
        lead=world.partner,
        partners=[world.lead],
        regions=("EUR",),
        intro="Only Europe reads this.",
    )
    client.force_login(world.reviewer)
    url = reviewer_url(world, "compare-section", world.sections.intro.key)
    body = client.get(url).content.decode()
    assert "We met once." in body and "We met three times, unconsented." in body
    assert "Draft words only the secretariat reads." not in body
    assert "Only Europe reads this." not in body
    assert reverse("reviews:input", args=[history.accepted.pk]) + "?version=1" in body
    index = client.get(reviewer_url(world)).content.decode()
    assert url in index


def test_reviewer_pages_of_an_iscm_outside_their_regions_are_404(
    client,
    world,  # noqa: F811
    history,
):
    for user in (world.other_reviewer, world.lead_user):
        client.force_login(user)
        for url in (
            reviewer_url(world),
            reviewer_url(world, "compare-objective", world.objectives[0].number),
            reviewer_url(world, "compare-section", world.sections.intro.key),
        ):
            assert client.get(url).status_code == 404, (user, url)


def test_review_page_links_to_the_compare_pages_of_the_lead_iscm(
    client,
    world,  # noqa: F811
    history,
):
    client.force_login(world.reviewer)
    body = client.get(reverse("reviews:input", args=[history.accepted.pk])).content.decode()
    assert reviewer_url(world) in body


def test_reviewer_compare_query_count_is_the_same_for_one_input_and_many(
    client,
    world,  # noqa: F811
    rounds,
    count_queries,
    django_assert_max_num_queries,
):
    client.force_login(world.reviewer)
    urls = [
        reviewer_url(world, "compare-section", world.sections.intro.key),
        reviewer_url(world, "compare-objective", world.objectives[0].number),
        reviewer_url(world),
    ]
    input_in(world, rounds[2028], "Now", "submitted", intro="Now.", objective="Now.")
    input_in(world, rounds[2028], "Back", "changes_requested", intro="B.", objective="B.")
    client.get(urls[0])  # the first read counts the published inputs' numbers, once
    one = [count_queries(client, url) for url in urls]
    # More inputs per cycle than a page shows, some joint, one more being revised.
    for start in (2020, 2024):
        for n in range(crosscycle.TEXTS_PER_CYCLE + 2):
            input_in(world, rounds[start], f"{start} {n}", intro=f"In {start}.", objective="P.",
                     partners=[world.partner] if n % 2 else [])  # fmt: skip
    input_in(world, rounds[2024], "Back 2024", "changes_requested", intro="B.", objective="B.")
    three = [count_queries(client, url) for url in urls]
    assert one == three
    for url, budget in zip(
        urls,
        (REVIEWER_COMPARE_QUERIES, REVIEWER_COMPARE_QUERIES, REVIEWER_INDEX_QUERIES),
        strict=True,
    ):
        with django_assert_max_num_queries(budget):
            client.get(url)
