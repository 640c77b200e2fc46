"""Forms Django cannot read (too big, too many fields, unparsable multipart) posted to a
page without a form page of its own: a short page in the site's layout with a link back,
never a bare "Bad Request (400)"; the rest of an oversized body is read and dropped for
signed-in people only, up to DRAIN_BYTES. The secretariat's form pages are tested in
tests/submissions/test_text_limits.py."""

import pytest
from django.conf import settings as django_settings
from django.urls import reverse

from iscm_portal.middleware import DRAIN_BYTES

pytestmark = pytest.mark.django_db

URLENCODED = "application/x-www-form-urlencoded"
# Nothing is read from the database for the short page of an anonymous visitor.
SHORT_PAGE_QUERIES = 1


def _too_big():
    return "text=" + "x" * django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def test_oversized_post_gets_a_short_page_with_a_link_back(client, django_assert_max_num_queries):
    with django_assert_max_num_queries(SHORT_PAGE_QUERIES):
        response = client.post(
            reverse("login"),
            _too_big(),
            content_type=URLENCODED,
            HTTP_REFERER="http://testserver/contributions/?q=x",
        )
    assert response.status_code == 413
    page = response.content.decode()
    assert "Nothing was saved: what you sent was larger than the portal accepts." in page
    assert 'href="http://testserver/contributions/?q=x"' in page
    assert "<nav" in page  # the site's layout


def test_short_page_links_back_to_this_site_only(client):
    response = client.post(
        reverse("login"), _too_big(), content_type=URLENCODED, HTTP_REFERER="https://evil.test/"
    )
    assert response.status_code == 413
    page = response.content.decode()
    assert "evil.test" not in page
    assert f'href="{reverse("home")}"' in page


def test_unparsable_multipart_gets_the_short_page(client, secretariat_user):
    client.force_login(secretariat_user)
    boundary = "b"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
        f'filename="{"n" * 1100}.pdf"\r\n\r\n%PDF\r\n--{boundary}--\r\n'
    ).encode()
    response = client.post(
        reverse("accounts:profile"), body, content_type=f"multipart/form-data; boundary={boundary}"
    )
    assert response.status_code == 400
    assert "Nothing was saved: the form could not be read." in response.content.decode()


def test_a_valid_post_is_not_touched(client):
    response = client.post(reverse("login"), {"username": "a@example.org", "password": "x"})
    assert response.status_code == 200
    assert "larger than the portal accepts" not in response.content.decode()


class _CountingBody:
    """A request body of `size` bytes that counts how many of them were read."""

    def __init__(self, size):
        self.left = size
        self.read_bytes = 0

    def read(self, size=-1):
        size = self.left if size is None or size < 0 else min(size, self.left)
        self.left -= size
        self.read_bytes += size
        return b"x" * size

    def readline(self, size=-1):
        return self.read(size)


def _post_oversized(client, url, size):
    body = _CountingBody(size)
    response = client.post(
        url, "x", content_type=URLENCODED, CONTENT_LENGTH=str(size), **{"wsgi.input": body}
    )
    return response, body


def test_oversized_post_of_anonymous_client_is_answered_without_reading_its_body(client):
    size = django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1024 * 1024

    response, body = _post_oversized(client, reverse("login"), size)

    assert response.status_code == 413
    assert body.read_bytes == 0


def test_oversized_post_of_signed_in_person_is_read_to_the_end(client, secretariat_user):
    client.force_login(secretariat_user)
    size = django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1024 * 1024
    assert size < DRAIN_BYTES

    response, body = _post_oversized(client, reverse("accounts:profile"), size)

    assert response.status_code == 413
    assert body.read_bytes == size


def test_oversized_post_of_signed_in_person_is_read_only_up_to_the_drain_limit(
    client, secretariat_user
):
    client.force_login(secretariat_user)

    response, body = _post_oversized(client, reverse("accounts:profile"), DRAIN_BYTES * 2)

    assert response.status_code == 413
    assert body.read_bytes == DRAIN_BYTES
