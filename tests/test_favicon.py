"""/favicon.ico, which browsers ask for whatever a page links: it leads to the portal's
icon among the static files, served and cached like them."""

import pytest
from django.test import Client
from django.urls import reverse

# Closing a response (WhiteNoise's stream an open file) closes old database connections.
pytestmark = pytest.mark.django_db

ICO_MAGIC = b"\x00\x00\x01\x00"  # the ICO header: reserved 0, type 1 (icon)


@pytest.fixture
def static_client(settings):
    """A client whose WhiteNoise serves the static files from the source folders, as
    it serves the collected ones in production (without collectstatic in tests)."""
    settings.WHITENOISE_USE_FINDERS = True
    return Client()  # a new client builds its middleware, WhiteNoise's included, anew


def test_favicon_leads_to_the_static_icon(static_client):
    response = static_client.get("/favicon.ico")
    assert reverse("favicon") == "/favicon.ico"
    assert response.status_code == 302
    assert response["Location"] == "/static/img/favicon.ico"
    assert "max-age=86400" in response["Cache-Control"]
    icon = static_client.get(response["Location"])
    assert icon.status_code == 200
    assert icon["Content-Type"] == "image/x-icon"
    assert b"".join(icon.streaming_content).startswith(ICO_MAGIC)
    icon.close()


def test_favicon_is_cached_like_the_other_static_files(static_client):
    icon = static_client.get("/favicon.ico", follow=True)
    stylesheet = static_client.get("/static/css/portal.css")
    icon.close()  # WhiteNoise's responses stream an open file
    stylesheet.close()
    assert icon.status_code == stylesheet.status_code == 200
    assert icon["Cache-Control"] == stylesheet["Cache-Control"]
    assert "max-age" in icon["Cache-Control"]


def test_favicon_works_for_a_signed_in_person_too(static_client, django_user_model):
    user = django_user_model.objects.create_user(email="someone@example.org", password="x")
    static_client.force_login(user)
    response = static_client.get("/favicon.ico", follow=True)
    response.close()
    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"


@pytest.mark.parametrize("path", ["/favicon.ico", "/static/img/favicon.ico"])
def test_favicon_answers_anonymous_visitors_without_a_session(static_client, path):
    response = static_client.get(path, follow=True)
    response.close()
    assert response.status_code == 200
    assert "Set-Cookie" not in response
