"""public/views/packages.py: the published packages' list and the public edition's
download, one address per language (410 once an input in it left the public portal,
never cached stale)."""

import pytest
from django.urls import reverse

from reviews import editions, package_pdf, packages
from submissions.models import WrittenInput

from ...reviews.conftest import body_bytes, read_stored

pytestmark = pytest.mark.django_db


def test_public_url_and_list_serve_the_public_edition_only(client, review_world):
    package, _private, _public = review_world
    listing = client.get(reverse("public:packages"))
    assert list(listing.context["packages"]) == [package]
    response = client.get(reverse("public:package-download", args=[package.pk]))
    assert response.status_code == 200
    assert body_bytes(response) == read_stored(package.public_file)
    assert "-public.pdf" in response["Content-Disposition"]


def test_never_published_package_is_404_not_410(client, world, compiler, review_world):
    package, _private, _public = review_world
    editions.set_published(package, publish=False)
    assert client.get(reverse("public:package-download", args=[package.pk])).status_code == 404


def test_public_list_shows_the_public_editions_pages_and_size(client, review_world):
    package, _private, _public = review_world
    body = client.get(reverse("public:packages")).content.decode()
    assert f"<td>{package.public_page_count}</td>" in body
    assert f"<td>{package.page_count}</td>" not in body or (
        package.page_count == package.public_page_count
    )


def test_public_download_must_be_revalidated_by_caches(client, review_world):
    package, _private, public = review_world
    response = client.get(reverse("public:package-download", args=[package.pk]))
    assert "no-cache" in response["Cache-Control"]
    assert response["ETag"] == f'"{package.public_sha256}"'
    body_bytes(response)
    WrittenInput.objects.filter(pk=public.pk).update(status="accepted")
    gone = client.get(reverse("public:package-download", args=[package.pk]))
    assert gone.status_code == 410
    assert "no-store" in gone["Cache-Control"]


@pytest.fixture
def two_languages(review_world, compiler):
    """The published English package of `review_world` and the same version compiled in
    Arabic, published too."""
    english, _private, _public = review_world
    arabic, created = packages.request_compile(
        english.review, language="ar", by=compiler, enqueue=False
    )
    assert created and arabic.number == english.number
    arabic = package_pdf.compile_package(arabic.pk)
    editions.set_published(arabic, publish=True)
    arabic.refresh_from_db()
    return english, arabic


def _download(package, language=None):
    args = [package.pk] if language is None else [package.pk, language]
    return reverse("public:package-download", args=args)


def test_each_language_is_listed_and_served_at_its_own_address(client, two_languages):
    english, arabic = two_languages
    listing = client.get(reverse("public:packages"))
    assert list(listing.context["packages"]) == [arabic, english]
    body = listing.content.decode()
    for package in (arabic, english):
        url = f"/packages/{package.pk}/{package.language}/download/"
        assert _download(package, package.language) == url
        assert f'href="{url}" hreflang="{package.language}"' in body
    assert "<td>Arabic</td>" in body and "<td>English</td>" in body

    response = client.get(_download(arabic, "ar"))
    assert response.status_code == 200
    assert body_bytes(response) == read_stored(arabic.public_file)
    assert response["Content-Language"] == "ar"
    assert "-v1-ar-public.pdf" in response["Content-Disposition"]
    assert response["ETag"] == f'"{arabic.public_sha256}"'


def test_the_address_without_a_language_serves_english_and_sends_others_on(client, two_languages):
    """The address packages had before they had languages keeps working."""
    english, arabic = two_languages
    response = client.get(_download(english))
    assert response.status_code == 200
    assert body_bytes(response) == read_stored(english.public_file)
    moved = client.get(_download(arabic))
    assert moved.status_code == 301
    assert moved["Location"] == _download(arabic, "ar")
    # A language the package is not in: not found, whether one of the six or not.
    for package, language in ((arabic, "en"), (english, "ar"), (arabic, "de")):
        assert client.get(_download(package, language)).status_code == 404


def test_a_language_unpublished_or_taken_offline_is_404_or_410_at_every_address(
    client, two_languages
):
    english, arabic = two_languages
    editions.set_published(arabic, publish=False)
    assert client.get(_download(arabic, "ar")).status_code == 404
    assert client.get(_download(arabic)).status_code == 404  # never a redirect to a 404
    assert list(client.get(reverse("public:packages")).context["packages"]) == [english]

    editions.set_published(arabic, publish=True)
    public = english.public_input_versions.get().input
    WrittenInput.objects.filter(pk=public.pk).update(status="accepted")
    for url in (_download(arabic, "ar"), _download(arabic), _download(english, "en")):
        gone = client.get(url)
        assert gone.status_code == 410, url
        assert "no-store" in gone["Cache-Control"]
    assert client.get(_download(arabic, "fr")).status_code == 404


def test_public_list_query_count_does_not_grow_with_languages(
    client, two_languages, count_queries
):
    english, _arabic = two_languages
    two = count_queries(client, reverse("public:packages"))
    for language in ("zh-hans", "fr"):
        package, _created = packages.request_compile(
            english.review, language=language, enqueue=False
        )
        package_pdf.compile_package(package.pk)
        editions.set_published(package, publish=True)
    assert len(client.get(reverse("public:packages")).context["packages"]) == 4
    assert count_queries(client, reverse("public:packages")) == two <= 3
