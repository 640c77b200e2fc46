"""The public site as a whole: what never appears on any public page, and the number
of queries each page makes whatever the number of contributions."""

from django.urls import reverse

from public.tasks import build_open_data
from submissions.models import WrittenInput

from ..factories import ISCMFactory
from .conftest import body_of, pages_showing_contributions


def test_only_published_inputs_appear_anywhere_public(client, world, every_state):
    published = every_state["published"]
    hidden = [i for state, i in every_state.items() if state != "published"]
    for name, url in pages_showing_contributions(world).items():
        response = client.get(url)
        assert response.status_code == 200, name
        body = body_of(response)
        assert published.title in body or published.slug in body, name
        for written_input in hidden:
            assert written_input.title not in body, (name, written_input.status)
            assert written_input.slug not in body, (name, written_input.status)


def test_query_counts_of_public_pages_do_not_grow_with_contributions(
    client, world, make_input, count_queries
):
    both = [world.reviews.amr, world.reviews.eur]
    first = make_input("First", partners=[world.partner], targets=both)
    make_input("Second")
    urls = {
        **pages_showing_contributions(world),
        "detail": first.get_public_url(),
        "pdf": reverse("public:contribution-pdf", args=[first.slug]),
        "objectives": reverse("public:objective-list"),
        "iscms": reverse("public:iscm-list"),
    }
    urls["filtered"] = urls["list"] + f"?objective=1&region=AMR&kind={world.lead.kind}"
    urls["regions"] = reverse("public:region-list")
    urls["open-data"] = reverse("public:open-data")
    urls["home"] = reverse("home")
    for url in urls.values():
        count_queries(client, url)  # the first read counts the kept numbers, once
    at_two = {name: count_queries(client, url) for name, url in urls.items()}
    for n in range(28):
        make_input(
            f"Input {n}",
            partners=[world.partner] if n % 2 else [],
            targets=both if n % 2 else [world.reviews.amr],
        )
    ISCMFactory.create_batch(3)
    assert WrittenInput.objects.published().count() == 30
    # The worker builds the open data's files of the new publication state after
    # commit (public/opendata_files.py); the tests' transactions never commit.
    build_open_data.call()
    at_thirty = {name: count_queries(client, url) for name, url in urls.items()}
    assert at_thirty == at_two
    # The list: session-less anonymous request; the newest event id (cache key); the
    # kept counts and total (submissions.public_tallies); the page's ids; the page's
    # inputs with partners and regions (4); labels of 6 reference facets. Filtered: the
    # newest ids of the selection once, and once more per applied filter (3 here: each
    # facet counts without its own), then 10 facet counts over those ids (+1, ISCMs
    # count leads and partners), instead of the kept counts.
    assert at_two["list"] <= 14, at_two
    assert at_two["filtered"] <= 28, at_two
    assert max(at_two.values()) <= 28, at_two
