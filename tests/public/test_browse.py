"""Caching of the public list: counts and pages come from the cache until anything
public changes, and a publication shows at once."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from submissions import workflow


@pytest.fixture
def caching(settings):
    settings.PUBLIC_CACHE_SECONDS = 300
    cache.clear()
    yield
    cache.clear()


def test_cached_list_skips_the_counting_queries(client, world, make_input, caching, count_queries):
    make_input("First")
    url = reverse("public:contribution-list") + "?region=AMR"
    cold = count_queries(client, url)
    warm = count_queries(client, url)
    # Warm: the newest event id, the region filter's value, the page's inputs with
    # partners and regions. Skipped: the selection's newest ids (twice: with and
    # without its region filter), the one query of their facet counts, the six facet
    # label lists (the panel is a cached fragment).
    assert (cold, warm) == (15, 6)
    assert client.get(url).context["results"].total == 1


def test_a_publication_or_withdrawal_shows_at_once_despite_the_cache(
    client, world, make_input, caching
):
    url = reverse("public:contribution-list")
    make_input("First")
    assert client.get(url).context["results"].total == 1
    second = make_input("Second")
    results = client.get(url).context["results"]
    assert results.total == 2 and results.inputs[0].pk == second.pk
    workflow.unpublish_input(second, by=world.reviewer, reason="Error.")
    assert client.get(url).context["results"].total == 1


def test_cache_is_off_with_zero_seconds(client, world, make_input, settings, count_queries):
    settings.PUBLIC_CACHE_SECONDS = 0
    make_input("First")
    url = reverse("public:contribution-list")
    count_queries(client, url)  # the first read counts the list from scratch, once
    assert count_queries(client, url) == count_queries(client, url)


def test_a_filter_ignored_as_invalid_is_not_shown_ticked_nor_cached_so(
    client, world, make_input, caching
):
    make_input("First")
    url = reverse("public:contribution-list")
    half_bad = client.get(url + "?language=en&language=zz").content.decode()
    assert 'value="en" id="facet-language-1" checked' not in half_bad
    plain = client.get(url).content.decode()
    assert "checked" not in plain.split('id="results-heading"')[0].split("Filters")[1]


@pytest.mark.parametrize(
    "query",
    ["objective=99999999999999999999999", "region=" + "A" * 500, "cycle=x%00y", "iscm=%00"],
)
def test_impossible_filter_values_are_reported_not_a_500(client, world, make_input, query):
    make_input("First")
    for name in ("public:contribution-list", "public:open-data-json"):
        response = client.get(reverse(name) + "?" + query)
        assert response.status_code == 200, (name, query)
        if response.streaming:
            b"".join(response.streaming_content)
