"""`Cache-Control: private` on every response that belongs to one person
(iscm_portal/cache_headers.py), and nothing changed for anonymous visitors of public pages.

Every route as every signed-in persona is checked by the access matrix
(tests/test_access_matrix.py); here, a sample per persona and the rules around it.
"""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.http import HttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.views.decorators.cache import cache_control

from iscm_portal.cache_headers import PrivateCacheMiddleware

from ..sample_files import make_pdf
from ..submissions.conftest import make_input, world  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db

MIDDLEWARE = "iscm_portal.cache_headers.PrivateCacheMiddleware"


def directives(response) -> set[str]:
    """The Cache-Control directives' names ("max-age=0" → "max-age")."""
    header = response.get("Cache-Control", "")
    return {part.split("=")[0].strip().lower() for part in header.split(",") if part.strip()}


def fetch(client, url):
    response = client.get(url)
    if response.streaming:
        b"".join(response.streaming_content)
    return response


@pytest.fixture
def published(world, make_input):  # noqa: F811
    return make_input(
        "Published contribution",
        attachments=[("Data", SimpleUploadedFile("data.pdf", make_pdf()))],
    )


def public_urls(published):
    return [
        reverse("home"),
        reverse("robots-txt"),
        reverse("public:sitemap"),
        reverse("public:contribution-list") + "?region=AMR",
        reverse("public:contribution-detail", args=[published.slug]),
        reverse(
            "public:contribution-attachment",
            args=[published.slug, published.attachments.get().pk],
        ),
        reverse("public:iscm-list"),
        reverse("public:objective-list"),
        reverse("public:open-data"),
        reverse("public:open-data-json"),
        reverse("public:open-data-csv"),
        reverse("public:feed"),
        reverse("public:packages"),
    ]


# Each persona's own pages, beside the public ones.
OWN_PAGES = {
    "secretariat": ["submissions:dashboard", "accounts:profile", "accounts:two-factor"],
    "reviewer": ["reviews:queue", "reviews:overview", "accounts:profile"],
    "admin": ["accounts:staff", "accounts:staff-people", "admin:index"],
}


@pytest.mark.parametrize("persona", OWN_PAGES)
def test_every_response_to_a_signed_in_person_is_private(client, world, published, persona):  # noqa: F811
    user = {"secretariat": world.lead_user, "reviewer": world.reviewer, "admin": world.admin}
    client.force_login(user[persona])
    own = [reverse(name) for name in OWN_PAGES[persona]]
    own.append(reverse("submissions:input-detail", args=[published.pk]))  # 404 but theirs
    for url in own + public_urls(published):
        response = fetch(client, url)
        assert response.status_code in (200, 404), url
        assert "private" in directives(response), (url, response.get("Cache-Control"))
        assert "public" not in directives(response), url


def test_a_stronger_no_store_set_by_a_page_is_kept(client, world):  # noqa: F811
    client.force_login(world.lead_user)
    response = client.get(reverse("accounts:two-factor"))  # never_cache
    assert {"private", "no-store", "no-cache", "must-revalidate", "max-age"} <= directives(
        response
    )


def test_a_public_directive_is_replaced_for_a_signed_in_person(rf, world):  # noqa: F811
    """Should a page ever send `public` (for anonymous visitors' shared caches), a signed-in
    person's copy of it still says private only; an anonymous visitor's keeps it."""
    view = cache_control(public=True, max_age=300)(lambda request: HttpResponse("page"))
    signed_in = rf.get("/")
    signed_in.user = world.reviewer
    assert directives(PrivateCacheMiddleware(view)(signed_in)) == {"private", "max-age"}
    anonymous = rf.get("/")
    anonymous.user = AnonymousUser()
    assert directives(PrivateCacheMiddleware(view)(anonymous)) == {"public", "max-age"}


def without_the_middleware(settings) -> Client:
    """A client whose handler is built without the middleware (a client builds its
    middleware chain once, at its first request)."""
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != MIDDLEWARE]
    return Client()


def test_anonymous_public_pages_are_unchanged(client, published, settings):
    """The same caching headers as without the middleware."""
    urls = public_urls(published)
    with_it = {url: fetch(client, url) for url in urls}
    plain = without_the_middleware(settings)
    for url in urls:
        without = fetch(plain, url)
        assert with_it[url].status_code == without.status_code == 200, url
        assert "private" not in directives(with_it[url]), url
        for header in ("Cache-Control", "Vary", "Expires"):
            assert with_it[url].get(header) == without.get(header), (url, header)


def test_an_anonymous_visitor_with_a_session_gets_private(client, published):
    session = client.session
    session["seen"] = True  # any data: the pages may depend on it
    session.save()
    response = fetch(client, reverse("public:contribution-list"))
    assert "private" in directives(response)


def test_signing_out_is_private(client, world):  # noqa: F811
    client.force_login(world.lead_user)
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert "private" in directives(response)


def test_the_middleware_adds_no_query(client, world, settings):  # noqa: F811
    url = reverse("submissions:dashboard")

    def count(some_client):
        some_client.force_login(world.lead_user)
        with CaptureQueriesContext(connection) as queries:
            assert some_client.get(url).status_code == 200
        return len(queries)

    with_it = count(client)
    assert count(without_the_middleware(settings)) == with_it
    anonymous = Client()
    with CaptureQueriesContext(connection) as queries:
        assert anonymous.get(reverse("robots-txt")).status_code == 200
    assert len(queries) == 0
