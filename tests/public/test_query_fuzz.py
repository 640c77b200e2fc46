"""Whatever the query string, a public page never answers with a 5xx.

The pages are every route an anonymous visitor may GET, taken from the URL configuration
and the access matrix's table (`tests/test_access_matrix.py`: `named_routes()` walks the
URLconf, `EXPECTED` says who gets a 200). The parameter names are the ones the code
reads, from the filter sets' own definitions plus the few names views read by hand,
and some no page knows. Hypothesis throws at all of them values of every kind: any
Unicode text, digits of other scripts ("²", "①", "٣", "๓"), huge and negative numbers,
NUL and control characters, very long strings, repeated parameters, and percent-encoded
bytes that are not UTF-8.
"""

import json
from urllib.parse import quote, quote_from_bytes

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from public.filters import ContributionFilter, ISCMFilter
from submissions.models import ContributionFormat
from submissions.querystrings import LARGEST_ID

from ..sample_files import make_pdf
from ..test_access_matrix import EXPECTED, PERSONAS, named_routes

pytestmark = pytest.mark.django_db

# Anonymous 200s that are not public pages of the portal, or need objects this test
# does not build. The sign-in and password forms (and the admin's) read only `next`,
# which their own tests cover; a package download needs a compiled package (seconds of
# WeasyPrint) and reads no query string, and so does the review edition behind its
# signed link; an invitation page needs a live token.
NOT_FUZZED = {
    "login",
    "password_reset",
    "password_reset_done",
    "password_reset_complete",
    "admin:login",
    "accounts:invitation",
    "public:package-download",
    "packages:review-edition",
}

# What the pages read: every filter of the contributions list, the open data and the
# feed, and of the ISCM directory (from the filter sets themselves), the page number,
# and what other views read by hand; then names no page reads.
PARAMETERS = sorted(
    {*ContributionFilter.base_filters, *ISCMFilter.base_filters}
    | {"page", "version", "from", "to", "next"}
    | {"order", "priority", "challenge", "lang", "format[]", "", "x"}
)

OTHER_DIGITS = "²³¹①⑳٣۳०১๓໓༣၃០᠓１𝟑߃"
PLAUSIBLE = ["AMR", "EUR", "1", "2", "3", "a", "f", "events", "en", "ar", "RCP", "IRF"]
PLAUSIBLE += ["joint", "direct", "newest", "relevance", "0", "-1", "1.5", "1e3", " 1", "0x1"]

texts = st.one_of(
    st.text(max_size=30),
    st.text(alphabet=OTHER_DIGITS, min_size=1, max_size=4),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.integers(min_value=LARGEST_ID - 2, max_value=LARGEST_ID + 2).map(str),
    st.integers(min_value=4300, max_value=5000).map(lambda n: "9" * n),  # int() stops at 4,300
    st.text(alphabet=st.characters(max_codepoint=0x1F) | st.sampled_from("\x7f\x85\u2028\ufeff")),
    st.builds(lambda chunk, n: chunk * n, st.text(min_size=1, max_size=3), st.integers(200, 1500)),
    st.sampled_from(PLAUSIBLE),
)
# A value is text (percent-encoded as UTF-8) or raw bytes, which need not be UTF-8.
values = st.one_of(
    texts.map(lambda text: quote(text, safe="")),
    st.binary(min_size=1, max_size=12).map(lambda raw: quote_from_bytes(raw, safe="")),
)
names = st.one_of(
    st.sampled_from(PARAMETERS), st.text(max_size=8).map(lambda t: quote(t, safe=""))
)
pairs = st.tuples(names, values).map(lambda pair: f"{pair[0]}={pair[1]}")
# Query strings as browsers never send them too: bare names, stray separators, broken
# escapes, and one name repeated many times.
oddities = st.sampled_from(["", "&", "=", "region", "region=", "%", "%zz", "%C2", "=%FF", "&&="])
repeated = st.builds(
    lambda name, value, n: "&".join([f"{name}={value}"] * n),
    st.sampled_from(PARAMETERS),
    values,
    st.integers(2, 50),
)
query_strings = st.lists(st.one_of(pairs, pairs, oddities, repeated), min_size=1, max_size=6).map(
    "&".join
)


def public_routes() -> list[str]:
    anonymous = PERSONAS.index("anonymous")
    routes = named_routes()
    return sorted(
        name
        for name in routes
        if EXPECTED.get(name, (None,) * len(PERSONAS))[anonymous] == 200 and name not in NOT_FUZZED
    )


def test_public_routes_are_the_public_pages():
    """The enumeration finds what the portal calls public (so a new public page is
    fuzzed as soon as the access matrix has its row)."""
    assert set(public_routes()) == {
        "home",
        "robots-txt",
        "public:sitemap",
        "public:packages",
        "public:contribution-list",
        "public:contribution-detail",
        "public:contribution-pdf",
        "public:contribution-attachment",
        "public:region-list",
        "public:region-detail",
        "public:region-dashboard",
        "public:open-data",
        "public:open-data-json",
        "public:open-data-csv",
        "public:open-data-practices-json",
        "public:open-data-practices-csv",
        "public:open-data-datapackage",
        "public:open-data-cycle-file",
        "public:practice-list",
        "public:feed",
        "public:iscm-list",
        "public:iscm-detail",
        "public:compare-objective",
        "public:compare-section",
        "public:objective-list",
        "public:objective-detail",
    }
    assert {"q", "page", "region", "cycle", "objective", "iscm", "format", "kind"} <= set(
        PARAMETERS
    )


@pytest.fixture
def public_urls(world, make_input):
    """The URL of every public page, over two published inputs that use every facet."""
    first = make_input(
        "Labour migration",
        objectives=dict.fromkeys(world.objectives, "Progress."),
        principles=world.principles,
        formats=list(ContributionFormat.objects.all()),
        attachments=[("Data", SimpleUploadedFile("data.pdf", make_pdf()))],
    )
    make_input("Joint work", partners=[world.partner])
    arguments = {
        "public:contribution-detail": {"slug": first.slug},
        "public:contribution-pdf": {"slug": first.slug},
        "public:contribution-attachment": {
            "slug": first.slug,
            "attachment_pk": first.attachments.get().pk,
        },
        "public:region-detail": {"code": world.regions.amr.code},
        "public:region-dashboard": {"code": world.regions.amr.code, "cycle": world.cycle.slug},
        "public:iscm-detail": {"slug": world.lead.slug},
        "public:objective-detail": {"number": world.objectives[0].number},
        "public:compare-objective": {
            "slug": world.lead.slug,
            "number": world.objectives[0].number,
        },
        "public:compare-section": {"slug": world.lead.slug, "key": world.sections.intro.key},
        "public:open-data-cycle-file": {"cycle": world.cycle.slug, "filename": "practices.csv"},
    }
    return [reverse(name, kwargs=arguments.get(name, {})) for name in public_routes()]


def _fetch(client, url):
    """GET `url`; the response and its body. A streamed body is read to its end, where a
    generator's error shows. The test client re-raises a view's exception, so a 500
    fails the test with its traceback."""
    response = client.get(url)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response, body


@settings(
    max_examples=15,
    deadline=None,
    database=None,  # nothing written to .hypothesis/ in the checkout
    # `client` and the published inputs are made once for all the examples, on purpose:
    # every example only reads.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(value=values, extra=query_strings)
def test_no_public_page_answers_5xx_whatever_the_query(client, public_urls, value, extra):
    """Each example gives one value to every parameter at once (so a value that breaks
    one parameter is tried on all of them, on every page), followed by a query string
    of mixed pairs, repetitions and oddities."""
    query = "&".join(f"{quote(name, safe='')}={value}" for name in PARAMETERS) + "&" + extra
    for url in public_urls:
        response, _body = _fetch(client, f"{url}?{query}")
        assert response.status_code < 500, (url, query)


# --- The values named in the issue, on the three endpoints that filter ------------------


@pytest.mark.parametrize("name", ["region", "cycle", "objective", "iscm", "format", "principle"])
def test_unicode_digits_in_a_filter_are_reported_as_invalid(client, public_urls, name):
    """The list shows the filter as invalid and ignores it; the JSON names it under
    "errors"; the CSV (which has no place for a message) ignores it. All answer 200."""
    for value in ("²", "①", "٣", "๓"):
        query = f"?{name}={quote(value)}"
        page, html = _fetch(client, reverse("public:contribution-list") + query)
        assert page.status_code == 200, value
        assert name in page.context["form"].errors, value
        assert "Select a valid choice" in html.decode()
        data, body = _fetch(client, reverse("public:open-data-json") + query)
        assert data.status_code == 200, value
        document = json.loads(body)
        assert name in document["errors"], value
        assert document["count"] == 2  # the invalid filter is ignored
        csv, body = _fetch(client, reverse("public:open-data-csv") + query)
        assert csv.status_code == 200, value
        assert len(body.decode("utf-8-sig").splitlines()) == 3  # header and both inputs


@pytest.mark.parametrize("value", ["2", "٣", "99999999999999999999", "9" * 5000, "-2", "+2"])
def test_only_ascii_digits_in_range_pick_an_objective(client, public_urls, world, value):
    """`objective=2` filters; any other spelling of a number is an invalid filter, never
    read as another number ("٣" is not objective 3) and never a 500."""
    response, _body = _fetch(client, reverse("public:contribution-list") + f"?objective={value}")
    assert response.status_code == 200
    assert ("objective" in response.context["form"].errors) == (value != "2")
