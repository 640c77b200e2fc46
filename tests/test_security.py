"""Security settings that hold for every page: headers and Content-Security-Policy,
production settings that pass `check --deploy`, a password reset
that does not reveal accounts, password rules and session expiry."""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core import mail
from django.urls import reverse

from .factories import UserFactory

ROOT = Path(__file__).resolve().parents[1]


def _production_env(tmp_path, **extra):
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SECURE_", "SESSION_", "CSRF_", "DEBUG", "AXES_", "DJANGO_ALLOW"))
    }
    env.update(
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        SITE_URL="https://portal.example.org",
        ALLOWED_HOSTS="portal.example.org",
        DATABASE_URL=f"sqlite:///{tmp_path}/unused.sqlite3",
        **extra,
    )
    return env


def test_check_deploy_passes_under_production_settings(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=_production_env(tmp_path),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_settings_are_https_only_and_take_the_proxy_header(tmp_path):
    code = (
        "from django.conf import settings as s; "
        "print(s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
        "s.SESSION_COOKIE_HTTPONLY, s.SECURE_HSTS_SECONDS, s.SECURE_PROXY_SSL_HEADER)"
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "--verbosity", "0", "-c", code],
        cwd=ROOT,
        env=_production_env(tmp_path, SECURE_PROXY_SSL_HEADER="HTTP_X_FORWARDED_PROTO,https"),
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip().splitlines()[-1] == (
        "True True True True 31536000 ('HTTP_X_FORWARDED_PROTO', 'https')"
    )
    bad = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=_production_env(tmp_path, SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto"),
        capture_output=True,
        text=True,
    )
    assert bad.returncode != 0 and "SECURE_PROXY_SSL_HEADER takes a header and a value" in (
        bad.stderr
    )


@pytest.mark.django_db
def test_every_page_sends_the_security_headers(client, reference_data):
    for url in ("/", reverse("public:contribution-list"), reverse("login")):
        response = client.get(url)
        csp = response["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "script-src 'self'" in csp
        assert "style-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "object-src 'none'" in csp and "unsafe-inline" not in csp
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "same-origin"
        assert response["X-Frame-Options"] == "DENY"


# Sign-in throttling: tests/iscm_portal/test_sign_in_throttling.py.


@pytest.mark.django_db
def test_password_reset_does_not_reveal_whether_an_account_exists(client):
    UserFactory(email="known@example.org")
    known = client.post(reverse("password_reset"), {"email": "known@example.org"})
    unknown = client.post(reverse("password_reset"), {"email": "unknown@example.org"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]

    def page(location):
        # The same page but for the per-response CSRF token of the language form.
        html = client.get(location).content.decode()
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)

    assert page(known["Location"]) == page(unknown["Location"])
    assert [m.to for m in mail.outbox] == [["known@example.org"]]


@pytest.mark.django_db
def test_weak_passwords_are_refused_with_the_reason(client):
    user = UserFactory(email="weak@example.org")
    user.set_password("a good long passphrase")
    user.save()
    client.force_login(user)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": "a good long passphrase",
            "new_password1": "password",
            "new_password2": "password",
        },
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "This password is too common." in body or "too short" in body


@pytest.mark.django_db
def test_a_session_expires(client, settings):
    user = UserFactory(email="session@example.org")
    user.set_password("a good long passphrase")
    user.save()
    response = client.post(
        reverse("login"), {"username": "session@example.org", "password": "a good long passphrase"}
    )
    assert response.status_code == 302
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert 0 < int(cookie["max-age"]) <= 12 * 60 * 60
    assert cookie["httponly"]
