"""public/views/packages.py: the published packages' list and the public edition's
download (410 once an input in it left the public portal, never cached stale)."""

import pytest
from django.urls import reverse

from reviews import editions
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
