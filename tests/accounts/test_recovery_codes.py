"""Secrets of the second factor stored as secrets (accounts/models.py
`RecoveryCodeDevice`, accounts/twofactor.py): recovery codes are kept only as keyed
digests, each works once, and passing the second factor gives the session a new
key."""

import hashlib

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client, override_settings
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import (
    RecoveryCode,
    RecoveryCodeDevice,
    normalise_code,
    recovery_code_digest,
)

from .test_two_factor import (
    ENROL,
    QUEUE,
    VERIFY,
    app_code,
    enrol_through_page,
    enrolled,  # noqa: F401  (fixture)
    one_factor_client,
    wait_out_throttle,
)

pytestmark = pytest.mark.django_db


def _every_stored_value():
    """Every value of every row of every table, as text."""
    values = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            values.extend(str(value).lower() for row in cursor.fetchall() for value in row)
    return values


def test_recovery_codes_are_nowhere_in_the_database_in_readable_form(world):
    _client, _device, codes = enrol_through_page(world.reviewer)
    assert len(codes) == settings.RECOVERY_CODE_COUNT

    stored = _every_stored_value()

    for code in codes:
        for form in {code, normalise_code(code)}:
            assert not any(form in value for value in stored), code
            # Nor its plain SHA-256, which anyone could compute from a guessed code.
            plain_digest = hashlib.sha256(form.encode()).hexdigest()
            assert not any(plain_digest in value for value in stored), code
    assert RecoveryCode.objects.filter(device__user=world.reviewer).count() == len(codes)


def test_recovery_code_digest_is_keyed_not_plain_sha256(world, enrolled):  # noqa: F811
    _device, codes = enrolled
    stored = set(RecoveryCode.objects.values_list("digest", flat=True))
    code = normalise_code(codes[0])

    assert hashlib.sha256(code.encode()).hexdigest() not in stored
    assert recovery_code_digest(code) in stored
    # The same code under another secret key gives another digest.
    assert recovery_code_digest(code, secret="another-key") not in stored


def test_recovery_code_works_while_old_secret_key_is_a_fallback(world, enrolled):  # noqa: F811
    _device, codes = enrolled
    old_key = settings.SECRET_KEY

    with override_settings(SECRET_KEY="a-rotated-key", SECRET_KEY_FALLBACKS=[old_key]):
        assert RecoveryCodeDevice.objects.get(user=world.reviewer).verify_token(codes[0])


def test_recovery_code_stops_working_once_old_secret_key_is_dropped(world, enrolled):  # noqa: F811
    _device, codes = enrolled

    with override_settings(SECRET_KEY="a-rotated-key", SECRET_KEY_FALLBACKS=[]):
        assert not RecoveryCodeDevice.objects.get(user=world.reviewer).verify_token(codes[0])


def test_recovery_codes_have_80_random_bits(world):
    _client, _device, codes = enrol_through_page(world.reviewer)

    # 16 base32 characters in groups of four: too many to try against a digest.
    assert all(len(normalise_code(code)) == 16 for code in codes)
    assert all(len(code) == 19 and code.count("-") == 3 for code in codes)


def test_recovery_code_is_spent_by_its_first_use(world, enrolled):  # noqa: F811
    _device, codes = enrolled
    device = RecoveryCodeDevice.objects.get(user=world.reviewer)
    stale = RecoveryCodeDevice.objects.get(pk=device.pk)

    assert device.verify_token(codes[0]) is True
    wait_out_throttle(world.reviewer)
    # A second sign-in that loaded the device before the first one used the code.
    assert stale.verify_token(codes[0]) is False
    assert RecoveryCode.objects.filter(device=device).count() == len(codes) - 1


def test_recovery_code_typed_in_capitals_and_without_hyphens_works(world, enrolled):  # noqa: F811
    _device, codes = enrolled
    client = one_factor_client(world.reviewer)

    response = client.post(VERIFY, {"code": normalise_code(codes[3]).upper(), "next": QUEUE})

    assert response["Location"] == QUEUE


def test_two_factor_page_asks_person_without_recovery_codes_to_create_some(world, enrolled):  # noqa: F811
    RecoveryCode.objects.filter(device__user=world.reviewer).delete()
    client = Client()
    client.force_login(world.reviewer)  # password and the enrolled authenticator

    page = client.get(reverse("accounts:two-factor")).content.decode()

    assert "You have no recovery codes. Create new ones now" in page
    assert reverse("accounts:two-factor-recovery-codes") in page


def test_two_factor_page_counts_recovery_codes_left(world, enrolled):  # noqa: F811
    client = Client()
    client.force_login(world.reviewer)

    page = client.get(reverse("accounts:two-factor")).content.decode()

    assert "10 recovery codes left." in page
    assert "You have no recovery codes" not in page


def test_verifying_the_second_factor_gives_the_session_a_new_key(world, enrolled):  # noqa: F811
    device, _codes = enrolled
    client = one_factor_client(world.reviewer)
    before = client.session.session_key

    response = client.post(VERIFY, {"code": app_code(device, steps_ahead=1), "next": QUEUE})

    assert response["Location"] == QUEUE
    assert client.session.session_key != before
    assert client.get(QUEUE).status_code == 200  # still signed in, and verified


def test_verifying_with_a_recovery_code_gives_the_session_a_new_key(world, enrolled):  # noqa: F811
    _device, codes = enrolled
    client = one_factor_client(world.reviewer)
    before = client.session.session_key

    assert client.post(VERIFY, {"code": codes[0], "next": QUEUE})["Location"] == QUEUE

    assert client.session.session_key != before
    assert client.get(QUEUE).status_code == 200


def test_enrolment_gives_the_session_a_new_key(world):
    client = one_factor_client(world.reviewer)
    client.get(ENROL)
    before = client.session.session_key
    device = TOTPDevice.objects.get(user=world.reviewer, confirmed=False)

    response = client.post(ENROL, {"code": app_code(device)})

    assert response.status_code == 200
    assert client.session.session_key != before
    assert client.get(QUEUE).status_code == 200


def test_a_wrong_code_keeps_the_session_key(world, enrolled):  # noqa: F811
    client = one_factor_client(world.reviewer)
    before = client.session.session_key

    assert client.post(VERIFY, {"code": "aaaa-bbbb-cccc-dddd"}).status_code == 400

    assert client.session.session_key == before
