"""Shared fixtures: settings for tests, the reference data, and the personas.

Personas follow the roles of the portal (see `submissions.roles`); later issues add
the ones that need written inputs.
"""

import sys

import pytest
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from submissions.reference_data import load_reference_data
from submissions.roles import sync_role_groups

from . import factories
from .submissions.flaky_mail import FlakyBackend


@pytest.fixture(scope="session", autouse=True)
def _plain_http():
    """Tests speak plain http (the test client, the live server chromium talks to): no
    redirect to https, no HSTS, no secure-only cookies. Session-wide, because the live
    server builds its middleware once, before any test's own settings; the production
    values are checked by tests/test_security.py."""
    with override_settings(
        SECURE_SSL_REDIRECT=False,
        SESSION_COOKIE_SECURE=False,
        CSRF_COOKIE_SECURE=False,
        SECURE_HSTS_SECONDS=0,
    ):
        yield


_force_login_one_factor = Client.force_login


def force_login_one_factor(client, user):
    """Sign `user` in with the password step only: the session still owes its second
    factor (what a person between the two steps of signing in has)."""
    _force_login_one_factor(client, user)


def _force_login_both_factors(client, user, backend=None):
    """`client.force_login` in tests stands for a complete sign-in: the password and,
    with an authenticator enrolled for the purpose, the second factor (IOM staff
    reach nothing without it, see accounts.middleware). Tests of the second factor
    itself use `force_login_one_factor`."""
    _force_login_one_factor(client, user, backend)
    pass_second_factor(client, user)


def pass_second_factor(client, user):
    """Mark the signed-in session of `client` as having passed the second factor, with
    an authenticator enrolled for `user` if they have none."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Test authenticator", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """pytest-django's test database, and before it is dropped (PostgreSQL refuses to
    drop a database someone is connected to): every other session still on it is named
    on stderr (its last query says which test left it) and ended. A thread that did not
    close its connection would otherwise fail the whole run at its very end."""
    yield
    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid, application_name, state, left(query, 300),"
            " pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        for pid, application, state, query, _ in cursor.fetchall():
            print(
                f"Ended a session left on the test database: pid {pid} {application!r} "
                f"{state}: {query}",
                file=sys.stderr,
            )


@pytest.fixture(scope="session", autouse=True)
def _both_factors():
    Client.force_login = _force_login_both_factors
    yield
    Client.force_login = _force_login_one_factor


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    # Tasks run inline in tests; static files without the collectstatic manifest;
    # uploads into a folder that disappears with the test.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    # Compiles in process (tests/reviews/test_package_recovery.py goes through the child).
    settings.PACKAGE_COMPILE_IN_CHILD = False
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Event ids repeat across rolled-back tests on SQLite, so cached public results
    # could outlive a test; tests/public/test_browse.py turns caching on.
    settings.PUBLIC_CACHE_SECONDS = 0
    # Sign-in throttling is on only where a test turns it on (tests/test_security.py).
    settings.AXES_ENABLED = False
    # A request in French leaves French active in this thread (LocaleMiddleware does
    # not undo it); every test starts in English.
    translation.activate("en")


@pytest.fixture
def reference_data(db):
    """The real reference data from fixtures/reference.json."""
    load_reference_data()


@pytest.fixture
def count_queries():
    """Number of queries a GET of `url` makes (the response must be 200)."""

    def count(client, url):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
            if response.streaming:  # a streamed body queries while it is read
                b"".join(response.streaming_content)
        assert response.status_code == 200, url
        return len(queries)

    return count


@pytest.fixture
def secretariat_user(db):
    membership = factories.MembershipFactory(user=factories.UserFactory(full_name="Sec Retariat"))
    sync_role_groups(membership.user)
    return membership.user


@pytest.fixture
def reviewer_user(db):
    assignment = factories.ReviewerAssignmentFactory(
        user=factories.UserFactory(full_name="Re Viewer")
    )
    sync_role_groups(assignment.user)
    return assignment.user


@pytest.fixture
def compiler_user(db):
    assignment = factories.ReviewerAssignmentFactory(
        user=factories.UserFactory(full_name="Com Piler"), role="compiler"
    )
    sync_role_groups(assignment.user)
    return assignment.user


@pytest.fixture
def admin_user_(db):
    return factories.UserFactory(full_name="Ad Min", is_staff=True, is_superuser=True)


@pytest.fixture
def plain_user(db):
    """Signed in, but with no membership or assignment."""
    return factories.UserFactory(full_name="No Role")


@pytest.fixture
def relay(settings):
    """The mail server (`FlakyBackend`), up until a test says how many messages it
    refuses: the outbox's tests and the staff page of undelivered e-mails."""
    settings.EMAIL_BACKEND = f"{FlakyBackend.__module__}.FlakyBackend"
    FlakyBackend.refusals = FlakyBackend.refused = 0
    yield FlakyBackend
    FlakyBackend.refusals = FlakyBackend.refused = 0
