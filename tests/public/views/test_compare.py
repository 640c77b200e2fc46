"""The public compare pages (`public/views/compare.py`), the "Compare across cycles"
list of an ISCM's page and the reporters per cycle of an objective's page: published
inputs only, each at the version made public. The rounds and inputs are those of
tests/submissions/test_compare.py."""

# The fixtures imported from the submissions tests are the tests' parameters.
# ruff: noqa: F811

import re

import pytest
from django.conf import settings
from django.urls import reverse

from submissions import crosscycle

from ...submissions.test_compare import history, input_in, rounds  # noqa: F401 (fixtures)

# Anonymous compare page: the ISCM, the objective (the section page: the section by
# key, and the outlines' numbers for keyless snapshots), the kept rows (whether
# counted, the rows: 2), the inputs, their partners, the published versions, the
# cycles = 8 (9).
COMPARE_QUERIES = 9
# Beside what the ISCM and objective pages queried before (tests/public/views/
# test_directory.py): the objectives and sections reported on (2); the reporters per
# cycle (counted?, the kept rows, their ISCMs, the cycles: 4).
ISCM_DETAIL_QUERIES = 9 + 2
OBJECTIVE_DETAIL_QUERIES = 5 + 4


def section_url(world, iscm=None):
    return reverse(
        "public:compare-section", args=[(iscm or world.lead).slug, world.sections.intro.key]
    )


def objective_url(world, iscm=None):
    return reverse(
        "public:compare-objective", args=[(iscm or world.lead).slug, world.objectives[0].number]
    )


def test_compare_page_shows_each_cycles_text_side_by_side_and_the_diff(client, world, history):
    response = client.get(section_url(world))
    body = response.content.decode()
    assert response.status_code == 200
    assert "We met once." in body and "We met twice." in body
    # The section as the latest round's outline names it, each round's own heading in
    # its column, and the version and review each text comes from.
    assert "<h1>Introduction</h1>" in body
    assert "2. Opening" in body and "2. Introduction and methodology" in body
    assert "Version 1" in body and "Regional reviews: AMR" in body
    assert history.first.get_public_url() in body and history.second.get_public_url() in body
    # The diff between the last two rounds with text: 2020 → 2024.
    comparison = response.context["comparison"]
    assert (comparison.old.cycle.start_year, comparison.new.cycle.start_year) == (2020, 2024)
    assert re.search(r"<del>.*?once\.</del>", body) and re.search(r"<ins>.*?twice\.</ins>", body)
    assert 'name="from"' in body and 'value="round-of-2020" selected' in body


def test_compare_objective_page_diffs_each_part(client, world, history):
    response = client.get(objective_url(world))
    body = response.content.decode()
    assert "Data collection started in three States." in body
    assert [b.label for b in response.context["comparison"].blocks] == [
        "Progress",
        "Practices worth sharing",
        "Challenges",
    ]
    assert [b.changed for b in response.context["comparison"].blocks] == [True, False, False]


def test_public_never_sees_a_draft_an_unconsented_or_an_unpublished_text(
    client, world, rounds, history
):
    input_in(world, rounds[2028], "Taken off", "unpublished", intro="Taken off the portal.")
    input_in(world, rounds[2024], "Submitted", "submitted", intro="Under review only.")
    for url in (section_url(world), objective_url(world), world.lead.get_absolute_url()):
        body = client.get(url).content.decode()
        for secret in (
            "unconsented",
            "Draft words",
            "Draft progress",
            "Accepted progress",
            "Taken off",
            "Under review only",
        ):
            assert secret not in body, (url, secret)
    comparison = client.get(section_url(world)).context["comparison"]
    assert [c.cycle.start_year for c in comparison.columns] == [2020, 2024]
    assert comparison.without_text == [world.cycle]


def test_iscm_page_lists_what_it_published_on_with_compare_links(client, world, history):
    body = client.get(world.lead.get_absolute_url()).content.decode()
    assert "Compare across cycles" in body
    assert objective_url(world) in body and section_url(world) in body
    # Objective 2 and the "context" section were never written on in a published input.
    assert reverse("public:compare-objective", args=[world.lead.slug, 2]) not in body
    assert "/compare/section/context/" not in body
    # An ISCM without a published input has no such list.
    assert (
        "Compare across cycles" not in client.get(world.other.get_absolute_url()).content.decode()
    )


def test_objective_page_lists_per_cycle_who_reported_with_compare_links(
    client, world, rounds, history
):
    input_in(
        world,
        rounds[2024],
        "PART on objective 1",
        lead=world.partner,
        regions=("EUR",),
        intro="Europe.",
        objective="Progress in Europe.",
    )
    response = client.get(reverse("public:objective-detail", args=[world.objectives[0].number]))
    reporters = [
        (cycle.start_year, [r.acronym for r in iscms])
        for cycle, iscms in response.context["reporters"]
    ]
    assert reporters == [(2024, ["LEAD", "PART"]), (2020, ["LEAD"])]  # not the unpublished 2028
    body = response.content.decode()
    assert objective_url(world) in body and objective_url(world, world.partner) in body


def test_a_cycle_with_many_inputs_shows_the_first_and_links_to_the_others(client, world, rounds):
    shown = crosscycle.TEXTS_PER_CYCLE
    for n in range(shown + 2):
        input_in(world, rounds[2024], f"Input {n}", intro=f"Text number {n}.")
    body = client.get(section_url(world)).content.decode()
    newest = range(shown + 2)[-shown:]
    for n in range(shown + 2):
        assert (f"Text number {n}." in body) == (n in newest), n
    assert "2 more inputs have text on this in this cycle." in body
    contributions = reverse("public:contribution-list")
    assert f"{contributions}?iscm={world.lead.slug}&amp;cycle=round-of-2024" in body
    # Each input reports on objective 2: its page links to the list narrowed to it.
    number = world.objectives[1].number
    url = reverse("public:compare-objective", args=[world.lead.slug, number])
    body = client.get(url).content.decode()
    assert "2 more inputs have text on this in this cycle." in body
    assert f"?iscm={world.lead.slug}&amp;cycle=round-of-2024&amp;objective={number}" in body


def test_arabic_and_chinese_texts_keep_their_language_and_direction(client, world, rounds):
    input_in(
        world,
        rounds[2024],
        "مساهمة",
        language="ar",
        intro="اجتمعنا مرة واحدة.",
    )
    input_in(world, rounds[2028], "贡献", language="zh", intro="我们开会两次。")
    for interface in ("en", "ar"):
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = interface
        response = client.get(section_url(world))
        body = response.content.decode()
        assert re.search(r'<div lang="ar" dir="rtl">\s*<p>اجتمعنا مرة واحدة.</p>', body), interface
        assert re.search(r'<div lang="zh" dir="ltr">\s*<p>我们开会两次。</p>', body), interface
        # The diff is in the newer text's language; what it deleted keeps the older one's.
        assert '<div class="diff-text" lang="zh" dir="ltr">' in body
        assert re.search(r'<del lang="ar" dir="rtl">.*?اجتمعنا', body, re.S)


def test_bad_query_parameters_explain_and_show_the_default(client, world, rounds, history):
    input_in(world, rounds[2028], "Published 2028", intro="We met four times.")
    for query in (
        "?from=nope",
        "?from=round-of-2020&to=round-of-2020",
        "?to=" + "9" * 300,
        "?from=%ff%fe",
        "?from[]=x&to=",
    ):
        response = client.get(section_url(world) + query)
        assert response.status_code == 200, query
        comparison = response.context["comparison"]
        assert (comparison.old.cycle.start_year, comparison.new.cycle.start_year) == (2024, 2028)
        assert ("cannot be compared here" in response.content.decode()) == (
            query != "?from[]=x&to="
        ), query
    chosen = client.get(section_url(world) + f"?from=round-of-2020&to={world.cycle.slug}")
    assert chosen.context["comparison"].old.cycle.start_year == 2020
    assert "four times." in chosen.content.decode()


def test_unknown_iscm_objective_or_section_is_404(client, world, history):
    assert (
        client.get(reverse("public:compare-section", args=["nope", "section-1"])).status_code
        == 404
    )
    assert (
        client.get(reverse("public:compare-objective", args=[world.lead.slug, 99])).status_code
        == 404
    )
    assert (
        client.get(reverse("public:compare-section", args=[world.lead.slug, "nope"])).status_code
        == 404
    )


def test_an_iscm_with_nothing_published_reads_so(client, world, history):
    response = client.get(section_url(world, world.other))
    assert response.status_code == 200
    assert "There is no text on this in any cycle yet." in response.content.decode()


@pytest.mark.parametrize("page", ["section", "objective", "iscm", "objective-detail"])
def test_query_count_is_the_same_for_one_input_and_many(
    client, world, rounds, page, count_queries, django_assert_max_num_queries
):
    url, budget = {
        "section": (section_url(world), COMPARE_QUERIES),
        "objective": (objective_url(world), COMPARE_QUERIES),
        "iscm": (world.lead.get_absolute_url(), ISCM_DETAIL_QUERIES),
        "objective-detail": (
            reverse("public:objective-detail", args=[world.objectives[0].number]),
            OBJECTIVE_DETAIL_QUERIES,
        ),
    }[page]
    input_in(world, rounds[2028], "Now", intro="Now.", objective="Now.")
    count_queries(client, url)  # the first read counts the kept numbers, once
    one = count_queries(client, url)
    # More inputs per cycle than a page shows.
    for start in (2020, 2024):
        for n in range(crosscycle.TEXTS_PER_CYCLE + 2):
            input_in(
                world,
                rounds[start],
                f"{start} {n}",
                intro=f"In {start}.",
                objective="P.",
                partners=[world.partner],
            )
    assert count_queries(client, url) == one
    with django_assert_max_num_queries(budget):
        client.get(url)
