"""Two-factor sign-in (accounts/twofactor.py, accounts/middleware.py): IOM staff enrol
an authenticator and give a code at every sign-in; secretariat members may opt in;
recovery codes work once; django-otp throttles guessing; administrators reset a lost
phone. Everything goes through the pages a person uses.

Codes are what the person's authenticator app would show: computed with django-otp's
own TOTP from the device's key. A code accepted once cannot be replayed in the same
30-second step, so a sign-in after the enrolment uses the app's next code.
"""

import datetime
import re
from base64 import b32decode
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import AuditEntry, RecoveryCode, RecoveryCodeDevice, recovery_code_digest

from ..conftest import force_login_one_factor
from ..factories import PASSWORD, MembershipFactory, ReviewerAssignmentFactory, UserFactory
from ..reviews.conftest import compiler  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db

ENROL = reverse("accounts:two-factor-enrol")
VERIFY = reverse("accounts:two-factor-verify")
QUEUE = reverse("reviews:queue")
DASHBOARD = reverse("submissions:dashboard")


# --- helpers -------------------------------------------------------------------------


def app_code(device, *, steps_ahead=0) -> str:
    """The code the authenticator app shows now, or `steps_ahead` 30-second steps later."""
    code = totp(
        device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=steps_ahead
    )
    return f"{code:0{device.digits}d}"


def wrong_code(device) -> str:
    """Six digits that no step within django-otp's tolerance accepts."""
    near = {app_code(device, steps_ahead=d) for d in range(-3, 4)}
    return next(f"{n:06d}" for n in range(10**6) if f"{n:06d}" not in near)


def wait_out_throttle(user):
    """Let the time django-otp asks for after failures pass (a day, far longer than the
    few failures of a test need)."""
    long_ago = timezone.now() - datetime.timedelta(days=1)
    for model in (TOTPDevice, RecoveryCodeDevice):
        model.objects.filter(user=user).exclude(throttling_failure_timestamp=None).update(
            throttling_failure_timestamp=long_ago
        )


def one_factor_client(user) -> Client:
    """A browser where `user` has given their password and nothing more."""
    client = Client()
    force_login_one_factor(client, user)
    return client


def recovery_codes_in(response) -> list[str]:
    block = re.search(r'id="recovery-codes">(.*?)</ul>', response.content.decode(), re.S)
    return re.findall(r"<li>([a-z2-7-]+)</li>", block.group(1))


def enrol_through_page(user):
    """Enrol `user` as they would: open the enrolment page, type the app's code.
    Returns the verified browser, the confirmed device and the recovery codes."""
    client = one_factor_client(user)
    assert client.get(ENROL).status_code == 200
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post(ENROL, {"code": app_code(device)})
    assert response.status_code == 200, response.content.decode()
    device.refresh_from_db()
    assert device.confirmed
    return client, device, recovery_codes_in(response)


def redirect_target(response):
    """(path, next) of a redirect."""
    parts = urlsplit(response["Location"])
    return parts.path, parse_qs(parts.query).get("next", [None])[0]


# --- who is asked for the second factor ----------------------------------------------


@pytest.mark.parametrize(
    ("persona", "url"),
    [
        ("reviewer", reverse("reviews:queue")),
        ("compiler", reverse("reviews:packages")),
        ("compiler", reverse("reviews:queue")),
        ("admin", reverse("accounts:staff")),
        ("admin", reverse("accounts:staff-people") + "?q=lea"),
        ("admin", reverse("admin:index")),
        ("admin", reverse("reviews:queue")),
        ("reviewer", reverse("home")),
    ],
)
def test_iom_staff_page_with_one_factor_redirects_to_enrol(world, compiler, persona, url):  # noqa: F811
    user = {"reviewer": world.reviewer, "compiler": compiler, "admin": world.admin}[persona]
    client = one_factor_client(user)

    response = client.get(url)

    assert response.status_code == 302
    assert redirect_target(response) == (ENROL, url)


def test_iom_staff_post_with_one_factor_redirects_to_enrol_without_next(world):
    client = one_factor_client(world.admin)

    response = client.post(reverse("accounts:staff-person-two-factor", args=[world.reviewer.pk]))

    assert response.status_code == 302
    assert response["Location"] == ENROL
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.SECOND_FACTOR_REMOVED).exists()


def test_secretariat_with_one_factor_and_no_device_reaches_dashboard(world):
    client = one_factor_client(world.lead_user)

    assert client.get(DASHBOARD).status_code == 200
    assert client.get(reverse("accounts:profile")).status_code == 200


def test_enrolled_person_with_one_factor_cannot_enrol_a_new_phone(world):
    """Only the password is not enough to replace the authenticator of an account."""
    _client, device, _codes = enrol_through_page(world.reviewer)
    client = one_factor_client(world.reviewer)

    for response in (client.get(ENROL), client.post(ENROL, {"code": "123456"})):
        assert response.status_code == 302
        assert redirect_target(response)[0] == VERIFY
    assert list(TOTPDevice.objects.filter(user=world.reviewer)) == [device]


# --- enrolment -----------------------------------------------------------------------


def test_password_sign_in_of_reviewer_leads_to_enrol(client, world):
    response = client.post(
        reverse("login"),
        {"username": world.reviewer.email, "password": PASSWORD, "next": QUEUE},
        follow=True,
    )

    assert response.redirect_chain == [(QUEUE, 302), (f"{ENROL}?next=%2Freview%2F", 302)]
    assert response.status_code == 200
    assert "Set up two-factor sign-in" in response.content.decode()


def test_enrolment_with_right_code_turns_second_factor_on(client, world):
    reviewer = world.reviewer
    force_login_one_factor(client, reviewer)

    page = client.get(ENROL, {"next": QUEUE})
    device = TOTPDevice.objects.get(user=reviewer)
    html = page.content.decode()
    assert page.status_code == 200
    assert 'src="data:image/svg+xml' in html
    assert re.search(r'id="totp-secret">[A-Z2-7]{4}( [A-Z2-7]{4})+<', html)
    assert f'name="next" value="{QUEUE}"' in html

    wrong = client.post(ENROL, {"code": wrong_code(device), "next": QUEUE})
    assert wrong.status_code == 400
    assert "That code does not match" in wrong.content.decode()
    device.refresh_from_db()
    assert not device.confirmed
    assert client.get(QUEUE).status_code == 302  # still owes the second factor

    wait_out_throttle(reviewer)  # a person takes a moment to type the next code
    done = client.post(ENROL, {"code": app_code(device), "next": QUEUE})

    assert done.status_code == 200
    codes = recovery_codes_in(done)
    assert len(codes) == 10 == len(set(codes))
    assert "Two-factor sign-in is on." in done.content.decode()
    assert f'href="{QUEUE}"' in done.content.decode()
    device.refresh_from_db()
    assert device.confirmed
    assert RecoveryCode.objects.filter(device__user=reviewer).count() == 10
    assert client.get(QUEUE).status_code == 200  # this session has passed it
    assert AuditEntry.objects.filter(
        action=AuditEntry.Action.SECOND_FACTOR_ENROLLED, actor=reviewer, person=reviewer
    ).exists()


def test_enrolment_key_shown_is_the_device_key(client, world):
    """The key typed by hand gives the same codes as the QR code."""
    force_login_one_factor(client, world.reviewer)
    html = client.get(ENROL).content.decode()
    shown = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', html).group(1).replace(" ", "")

    key = b32decode(shown + "=" * (-len(shown) % 8))

    assert key == TOTPDevice.objects.get(user=world.reviewer).bin_key


def test_enrolment_reopened_starts_a_new_key(client, world):
    force_login_one_factor(client, world.reviewer)
    client.get(ENROL)
    first = TOTPDevice.objects.get(user=world.reviewer)

    client.get(ENROL)

    second = TOTPDevice.objects.get(user=world.reviewer)  # the first one is gone
    assert second.pk != first.pk and second.bin_key != first.bin_key
    assert client.post(ENROL, {"code": app_code(first)}).status_code == 400


# --- signing in with the second factor -----------------------------------------------


@pytest.fixture
def enrolled(world):
    """world.reviewer with an authenticator and recovery codes, enrolled through the
    page (in another browser)."""
    _client, device, codes = enrol_through_page(world.reviewer)
    return device, codes


def test_sign_in_of_enrolled_reviewer_asks_for_code(client, world, enrolled):
    response = client.post(
        reverse("login"),
        {"username": world.reviewer.email, "password": PASSWORD, "next": QUEUE},
        follow=True,
    )

    assert response.redirect_chain[-1] == (f"{VERIFY}?next=%2Freview%2F", 302)
    assert "Sign-in code" in response.content.decode()


def test_verify_with_wrong_code_is_refused_and_still_blocked(world, enrolled):
    device, _codes = enrolled
    client = one_factor_client(world.reviewer)

    response = client.post(VERIFY, {"code": wrong_code(device), "next": QUEUE})

    assert response.status_code == 400
    assert "That code is not right" in response.content.decode()
    assert redirect_target(client.get(QUEUE)) == (VERIFY, QUEUE)


def test_verify_with_right_code_goes_to_next(world, enrolled):
    device, _codes = enrolled
    client = one_factor_client(world.reviewer)
    assert redirect_target(client.get(QUEUE)) == (VERIFY, QUEUE)
    page = client.get(VERIFY, {"next": QUEUE})
    assert f'name="next" value="{QUEUE}"' in page.content.decode()

    response = client.post(VERIFY, {"code": app_code(device, steps_ahead=1), "next": QUEUE})

    assert response.status_code == 302
    assert response["Location"] == QUEUE
    assert client.get(QUEUE).status_code == 200
    assert client.get(VERIFY, {"next": DASHBOARD})["Location"] == DASHBOARD  # already done


def test_verify_code_cannot_be_replayed(world, enrolled):
    device, _codes = enrolled
    code = app_code(device, steps_ahead=1)
    assert one_factor_client(world.reviewer).post(VERIFY, {"code": code}).status_code == 302

    response = one_factor_client(world.reviewer).post(VERIFY, {"code": code})

    assert response.status_code == 400


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/", "https:evil.example"]
)
def test_verify_does_not_follow_next_to_another_host(world, enrolled, target):
    device, _codes = enrolled
    client = one_factor_client(world.reviewer)
    # The code form carries no `next` to the other host (the language switcher's own
    # `next`, the page's path, is checked by Django's set_language).
    assert 'type="hidden" name="next"' not in client.get(VERIFY, {"next": target}).content.decode()

    response = client.post(VERIFY, {"code": app_code(device, steps_ahead=1), "next": target})

    assert response.status_code == 302
    assert response["Location"] == reverse("home")


def test_recovery_code_works_once(world, enrolled):
    _device, codes = enrolled
    first = one_factor_client(world.reviewer)

    response = first.post(VERIFY, {"code": codes[0].upper(), "next": QUEUE})

    assert response["Location"] == QUEUE
    assert first.get(QUEUE).status_code == 200
    assert RecoveryCode.objects.filter(device__user=world.reviewer).count() == 9

    wait_out_throttle(world.reviewer)  # refused below for being used, not for the pace
    second = one_factor_client(world.reviewer)
    assert second.post(VERIFY, {"code": codes[0]}).status_code == 400
    assert second.get(QUEUE).status_code == 302

    wait_out_throttle(world.reviewer)
    assert second.post(VERIFY, {"code": codes[1]})["Location"] == reverse("home")


def test_recovery_code_sign_in_is_no_failure_of_authenticator(world, enrolled):
    device, codes = enrolled

    response = one_factor_client(world.reviewer).post(VERIFY, {"code": codes[0]})

    assert response.status_code == 302
    device.refresh_from_db()
    assert device.throttling_failure_count == 0


def test_last_recovery_codes_bring_a_warning(world, enrolled):
    _device, codes = enrolled
    RecoveryCode.objects.filter(device__user=world.reviewer).exclude(
        digest__in=[recovery_code_digest(code) for code in codes[:3]]
    ).delete()
    client = one_factor_client(world.reviewer)

    response = client.post(VERIFY, {"code": codes[0], "next": QUEUE}, follow=True)

    assert response.status_code == 200
    assert "You have few recovery codes left." in response.content.decode()


def test_verify_throttles_guessing_even_the_right_code(world, enrolled):
    device, _codes = enrolled
    client = one_factor_client(world.reviewer)
    for _attempt in range(2):
        wait_out_throttle(world.reviewer)
        assert client.post(VERIFY, {"code": "notacode"}).status_code == 400
    guess = wrong_code(device)
    for _attempt in range(3):
        wait_out_throttle(world.reviewer)
        assert client.post(VERIFY, {"code": guess}).status_code == 400
    device.refresh_from_db()
    assert device.throttling_failure_count == 3
    # Six digits go to the authenticator only; recovery codes are throttled alike, so
    # guessing them is no way round.
    assert RecoveryCodeDevice.objects.get(user=world.reviewer).throttling_failure_count == 2

    # After 3 failures in a row django-otp asks for a 4-second pause: the right code is
    # refused at once, and a try in the pause does not count as one more failure.
    right = app_code(device, steps_ahead=1)
    refused = client.post(VERIFY, {"code": right, "next": QUEUE})

    assert refused.status_code == 400
    assert "too many tries" in refused.content.decode()
    assert client.get(QUEUE).status_code == 302
    # A fresh sign-in does not start the count again: the pause is the device's.
    assert one_factor_client(world.reviewer).post(VERIFY, {"code": right}).status_code == 400
    device.refresh_from_db()
    assert device.throttling_failure_count == 3

    wait_out_throttle(world.reviewer)
    accepted = client.post(VERIFY, {"code": right, "next": QUEUE})

    assert accepted["Location"] == QUEUE
    device.refresh_from_db()
    assert device.throttling_failure_count == 0


def test_verify_pause_grows_with_failures(world, enrolled):
    """1, 2, 4 … seconds after 1, 2, 3 … failures in a row: a try 3 seconds after the
    third failure is still refused, after 5 seconds it is heard."""
    device, _codes = enrolled
    client = one_factor_client(world.reviewer)
    for _attempt in range(3):
        wait_out_throttle(world.reviewer)
        client.post(VERIFY, {"code": wrong_code(device)})
    right = app_code(device, steps_ahead=1)

    def failed_seconds_ago(seconds):
        TOTPDevice.objects.filter(pk=device.pk).update(
            throttling_failure_timestamp=timezone.now() - datetime.timedelta(seconds=seconds)
        )

    failed_seconds_ago(3)
    assert client.post(VERIFY, {"code": right}).status_code == 400
    failed_seconds_ago(5)
    assert client.post(VERIFY, {"code": right}).status_code == 302


def test_enrolment_throttles_guessing(client, world):
    force_login_one_factor(client, world.reviewer)
    client.get(ENROL)
    device = TOTPDevice.objects.get(user=world.reviewer)

    assert client.post(ENROL, {"code": wrong_code(device)}).status_code == 400
    refused = client.post(ENROL, {"code": app_code(device)})

    assert refused.status_code == 400
    device.refresh_from_db()
    assert not device.confirmed


# --- secretariat members opt in and out; staff may not opt out -------------------------


def test_secretariat_member_who_enrolled_is_asked_for_code(world):
    client, device, _codes = enrol_through_page(world.lead_user)
    assert client.get(DASHBOARD).status_code == 200

    later = one_factor_client(world.lead_user)

    assert redirect_target(later.get(DASHBOARD)) == (VERIFY, DASHBOARD)
    assert later.post(VERIFY, {"code": app_code(device, steps_ahead=1)}).status_code == 302
    assert later.get(DASHBOARD).status_code == 200


def test_secretariat_member_may_turn_second_factor_off(world):
    client, _device, _codes = enrol_through_page(world.lead_user)
    overview = client.get(reverse("accounts:two-factor")).content.decode()
    assert reverse("accounts:two-factor-remove") in overview

    response = client.post(reverse("accounts:two-factor-remove"), follow=True)

    assert "Two-factor sign-in is off for your account." in response.content.decode()
    assert not TOTPDevice.objects.filter(user=world.lead_user).exists()
    assert not RecoveryCodeDevice.objects.filter(user=world.lead_user).exists()
    assert AuditEntry.objects.filter(
        action=AuditEntry.Action.SECOND_FACTOR_REMOVED, actor=world.lead_user
    ).exists()
    assert one_factor_client(world.lead_user).get(DASHBOARD).status_code == 200


def test_secretariat_member_with_one_factor_cannot_turn_second_factor_off(world):
    enrol_through_page(world.lead_user)
    client = one_factor_client(world.lead_user)

    response = client.post(reverse("accounts:two-factor-remove"))

    assert response.status_code == 302
    assert response["Location"] == VERIFY
    assert TOTPDevice.objects.filter(user=world.lead_user, confirmed=True).exists()
    assert RecoveryCode.objects.filter(device__user=world.lead_user).count() == 10


def test_staff_may_not_turn_second_factor_off(world, enrolled):
    device, _codes = enrolled
    client = Client()
    client.force_login(world.reviewer)  # password and the enrolled authenticator
    assert reverse("accounts:two-factor-remove") not in (
        client.get(reverse("accounts:two-factor")).content.decode()
    )

    response = client.post(reverse("accounts:two-factor-remove"), follow=True)

    assert "IOM staff must keep a second factor." in response.content.decode()
    assert list(TOTPDevice.objects.filter(user=world.reviewer)) == [device]
    assert RecoveryCode.objects.filter(device__user=world.reviewer).count() == 10
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.SECOND_FACTOR_REMOVED).exists()


def test_administrator_resets_second_factor_of_reviewer(client, world, enrolled):
    device, _codes = enrolled
    reviewer_session = one_factor_client(world.reviewer)
    reviewer_session.post(VERIFY, {"code": app_code(device, steps_ahead=1)})
    assert reviewer_session.get(QUEUE).status_code == 200
    client.force_login(world.admin)

    response = client.post(
        reverse("accounts:staff-person-two-factor", args=[world.reviewer.pk]), follow=True
    )

    assert response.status_code == 200
    assert "is removed. If they are IOM staff" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=world.reviewer).exists()
    assert not RecoveryCodeDevice.objects.filter(user=world.reviewer).exists()
    assert AuditEntry.objects.filter(
        action=AuditEntry.Action.SECOND_FACTOR_REMOVED, actor=world.admin, person=world.reviewer
    ).exists()
    # The session verified with the removed phone counts for nothing any more, and
    # the next sign-in asks to enrol again.
    assert redirect_target(reviewer_session.get(QUEUE)) == (ENROL, QUEUE)
    assert redirect_target(one_factor_client(world.reviewer).get(QUEUE)) == (ENROL, QUEUE)


def test_second_factor_reset_is_for_administrators_only(world, enrolled):
    client = Client()
    client.force_login(world.other_reviewer)

    response = client.post(reverse("accounts:staff-person-two-factor", args=[world.reviewer.pk]))

    assert response.status_code == 404
    assert TOTPDevice.objects.filter(user=world.reviewer).exists()


# --- recovery codes ------------------------------------------------------------------


def test_renewing_recovery_codes_invalidates_old_ones(world):
    client, _device, old = enrol_through_page(world.lead_user)

    response = client.post(reverse("accounts:two-factor-recovery-codes"))

    assert response.status_code == 200
    new = recovery_codes_in(response)
    assert len(new) == 10 and not set(new) & set(old)
    assert AuditEntry.objects.filter(
        action=AuditEntry.Action.RECOVERY_CODES_RENEWED, person=world.lead_user
    ).exists()
    later = one_factor_client(world.lead_user)
    assert later.post(VERIFY, {"code": old[0]}).status_code == 400
    wait_out_throttle(world.lead_user)
    assert later.post(VERIFY, {"code": new[0]}).status_code == 302


def test_renewing_recovery_codes_without_authenticator_is_not_found(world):
    client = one_factor_client(world.lead_user)

    assert client.post(reverse("accounts:two-factor-recovery-codes")).status_code == 404
    assert not RecoveryCodeDevice.objects.filter(user=world.lead_user).exists()


# --- what a session that still owes the second factor may do -------------------------


def test_logout_is_allowed_before_second_factor(world):
    client = one_factor_client(world.reviewer)

    response = client.post(reverse("logout"))

    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("home")).status_code == 200


def test_language_switch_is_allowed_before_second_factor(world):
    client = one_factor_client(world.reviewer)

    response = client.post(reverse("set_language"), {"language": "fr", "next": ENROL})

    assert response.status_code == 302
    assert response["Location"] == ENROL
    world.reviewer.refresh_from_db()
    assert world.reviewer.language == "fr"
    assert '<html lang="fr" dir="ltr">' in client.get(ENROL).content.decode()


# --- queries -------------------------------------------------------------------------

# Every signed-in request: the session, the user. A session that owes the second
# factor: the middleware's device check and the person's roles (two queries, kept for
# the request). A verified session: django-otp loads its device instead.


def test_verify_page_query_count(world, enrolled, django_assert_max_num_queries):
    client = one_factor_client(world.reviewer)

    # session, user, device check (middleware), roles ×2, device check (view)
    with django_assert_max_num_queries(6):
        assert client.get(VERIFY, {"next": QUEUE}).status_code == 200


def test_enrol_page_query_count(world, django_assert_max_num_queries):
    client = one_factor_client(world.reviewer)

    # session, user, device check, roles ×2 (middleware); device check, pending
    # device, drop the unconfirmed ones, create the new one (view)
    with django_assert_max_num_queries(9):
        assert client.get(ENROL).status_code == 200


def test_staff_page_for_verified_session_query_count(world, django_assert_max_num_queries):
    for n in range(5):  # more people, with teams and regions: no more queries
        MembershipFactory(iscm=world.lead, user=UserFactory(full_name=f"Member {n}"))
        ReviewerAssignmentFactory(region=world.regions.eur, user=UserFactory())
    client = Client()
    client.force_login(world.admin)

    # session, user, verified device (django-otp), roles ×2, the count of people,
    # the page of people, their memberships, their assignments
    with django_assert_max_num_queries(9):
        assert client.get(reverse("accounts:staff-people")).status_code == 200


def test_recovery_codes_page_continues_to_a_real_page_without_next(world):
    client = Client()
    client.force_login(world.lead_user)  # verified; opting in to a new authenticator
    client.get(reverse("accounts:two-factor-enrol"))
    device = TOTPDevice.objects.get(user=world.lead_user, confirmed=False)
    response = client.post(reverse("accounts:two-factor-enrol"), {"code": app_code(device)})
    assert response.status_code == 200
    assert response.context["next"] == reverse("home")
    assert f'href="{reverse("home")}"' in response.content.decode()
