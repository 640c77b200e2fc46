"""Sign-in throttling (django-axes with accounts/throttling.py): an account is locked
at one address after AXES_FAILURE_LIMIT failures there, and from everywhere only
after the higher AXES_ACCOUNT_FAILURE_LIMIT; the locked page says which and when to
try again, in the person's language."""

import datetime

import pytest
from axes.models import AccessAttempt
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.html import escape

from ..factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "a good long passphrase"
A, B = "203.0.113.7", "198.51.100.20"


@pytest.fixture
def throttling(settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 3
    settings.AXES_ACCOUNT_FAILURE_LIMIT = 7


@pytest.fixture
def person(db):
    user = UserFactory(email="x@example.org")
    user.set_password(PASSWORD)
    user.save()
    return user


def sign_in(client, email, password, address, **extra):
    return client.post(
        reverse("login"), {"username": email, "password": password}, REMOTE_ADDR=address, **extra
    )


def shown(moment, language) -> str:
    """`moment` as Django's formats write a date and time in `language`."""
    with translation.override(language):
        return escape(formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT"))


def signed_in(response) -> bool:
    return response.status_code == 302 and response["Location"] == reverse("home")


def test_failures_at_one_address_lock_the_account_at_that_address_only(client, throttling, person):
    for _ in range(2):
        assert sign_in(client, person.email, "wrong", A).status_code == 200
    assert sign_in(client, person.email, "wrong", A).status_code == 429

    assert sign_in(client, person.email, PASSWORD, A).status_code == 429
    assert "_auth_user_id" not in client.session
    # The right password from another address still signs in.
    assert signed_in(sign_in(client, person.email, PASSWORD, B))


def test_failures_for_many_accounts_at_one_address_do_not_lock_others_there(
    client, throttling, person
):
    for n in range(10):
        sign_in(client, f"nobody{n}@example.org", "guess", A)

    assert signed_in(sign_in(client, person.email, PASSWORD, A))


def test_changing_the_case_of_the_address_gives_no_fresh_tries(client, throttling, person):
    for email in ("x@example.org", "X@example.org", "x@EXAMPLE.org"):
        sign_in(client, email, "wrong", A)

    assert sign_in(client, "X@Example.Org", PASSWORD, A).status_code == 429


def test_failures_from_many_addresses_lock_the_account_everywhere_at_the_higher_limit(
    client, throttling, person
):
    # 7 failures (the account limit), never 3 from one address.
    for n in range(7):
        response = sign_in(client, person.email, "wrong", f"192.0.2.{n // 2}")
    assert response.status_code == 429
    assert "from several places" in response.content.decode()

    fresh = sign_in(client, person.email, PASSWORD, B)
    assert fresh.status_code == 429
    assert "from several places" in fresh.content.decode()
    assert "_auth_user_id" not in client.session
    # Other accounts are not affected.
    other = UserFactory(email="y@example.org")
    other.set_password(PASSWORD)
    other.save()
    assert signed_in(sign_in(client, other.email, PASSWORD, B))


def test_below_the_account_limit_other_addresses_still_sign_in(client, throttling, person):
    for n in range(6):
        sign_in(client, person.email, "wrong", f"192.0.2.{n // 2}")

    assert signed_in(sign_in(client, person.email, PASSWORD, B))


def test_a_successful_sign_in_before_the_limit_resets_the_count(client, throttling, person):
    for _ in range(2):
        sign_in(client, person.email, "wrong", A)
    assert signed_in(sign_in(client, person.email, PASSWORD, A))
    client.logout()
    for _ in range(2):
        sign_in(client, person.email, "wrong", A)
    assert signed_in(sign_in(client, person.email, PASSWORD, A))


def test_locked_page_names_the_time_to_try_again(client, throttling, person):
    for _ in range(3):
        response = sign_in(client, person.email, "wrong", A)
    last = AccessAttempt.objects.get(username=person.email, ip_address=A).attempt_time
    retry_at = last + datetime.timedelta(minutes=15)

    html = response.content.decode()

    assert response.status_code == 429
    assert "from your connection" in html
    assert f"You can try again from {shown(retry_at, 'en')} (UTC), in 1" in html
    assert 'href="/accounts/password/reset/"' in html


def test_a_try_during_the_lock_does_not_move_the_time(client, throttling, person):
    for _ in range(3):
        sign_in(client, person.email, "wrong", A)
    before = AccessAttempt.objects.get(username=person.email).attempt_time

    sign_in(client, person.email, "wrong again", A)

    attempt = AccessAttempt.objects.get(username=person.email)
    assert attempt.attempt_time == before and attempt.failures_since_start == 3


def test_locked_page_is_in_the_persons_language(client, throttling, person):
    for _ in range(3):
        response = sign_in(client, person.email, "wrong", A, HTTP_ACCEPT_LANGUAGE="fr")

    assert response.status_code == 429
    assert '<html lang="fr"' in response.content.decode()
    retry_at = AccessAttempt.objects.get().attempt_time + datetime.timedelta(minutes=15)
    assert shown(retry_at, "fr") in response.content.decode()
    assert shown(retry_at, "fr") != shown(retry_at, "en")


def test_lock_ends_after_the_cool_off(client, throttling, person):
    for _ in range(3):
        sign_in(client, person.email, "wrong", A)
    AccessAttempt.objects.update(attempt_time=timezone.now() - datetime.timedelta(minutes=16))

    assert signed_in(sign_in(client, person.email, PASSWORD, A))
