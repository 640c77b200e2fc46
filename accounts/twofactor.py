"""Two-factor sign-in with time-based one-time passwords (django-otp).

IOM staff (reviewers, compilers, administrators) must use a second factor: on their
first sign-in they enrol an authenticator app, and every later sign-in asks for a
code from it. Secretariat members may opt in; once enrolled, they are asked too.
Enrolment hands out recovery codes (`RecoveryCodeDevice`), each good once, for a lost
phone; only their keyed digests are stored, so they are shown once. A session that
passes the second factor gets a new session key. Every change is in the audit trail.
"""

import secrets
from base64 import b32encode

import segno
from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from submissions.roles import roles_for_request, roles_of

from .models import (
    AuditEntry,
    RecoveryCode,
    RecoveryCodeDevice,
    normalise_code,
    recovery_code_digest,
)

AUTHENTICATOR_NAME = "Authenticator app"
RECOVERY_NAME = "Recovery codes"


class SecondFactorError(Exception):
    """A code that does not verify; the message says what to do."""


def has_second_factor(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def required_for(user, roles=None) -> bool:
    """Whether `user` must use a second factor: IOM staff must."""
    roles = roles if roles is not None else roles_of(user)
    return roles.iom_staff


def step_owed(request) -> str | None:
    """ "verify" or "enrol" when the signed-in session still owes its second factor,
    None when it owes nothing (anonymous, already verified, or neither staff nor
    enrolled). One query for a verified session (django-otp loads its device), up to
    three for an unverified one."""
    user = request.user
    if not user.is_authenticated or user.is_verified():
        return None
    if has_second_factor(user):
        return "verify"
    if required_for(user, roles_for_request(request)):
        return "enrol"
    return None


def start_enrolment(user) -> TOTPDevice:
    """A new, unconfirmed authenticator for `user` (any earlier unconfirmed one is
    dropped). It counts for nothing until `confirm_enrolment`."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name=AUTHENTICATOR_NAME, confirmed=False)


def pending_enrolment(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()


def secret_for_display(device: TOTPDevice) -> str:
    """The key in base32, in groups of four, for typing into an app by hand."""
    key = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


def qr_code_data_uri(device: TOTPDevice) -> str:
    """The otpauth:// URL as an SVG QR code in a data: URI (allowed by the CSP's
    img-src; drawn here, never fetched)."""
    return segno.make(device.config_url, error="m").svg_data_uri(scale=5, border=2)


def _signed_in_with(request, device) -> None:
    """Mark the session as verified by `device`, under a new session key: the key a
    session had while it owed the second factor (which someone may have seen or
    planted) does not become a fully signed-in one."""
    request.session.cycle_key()
    otp_login(request, device)


def confirm_enrolment(request, device: TOTPDevice, code: str) -> list[str]:
    """Confirm `device` with a code from the app and return fresh recovery codes.

    Side effects: the device is confirmed and any earlier authenticator of the person
    removed (re-enrolling replaces the old phone); the recovery codes are renewed; the
    session counts as verified; an audit entry. Raises SecondFactorError on a wrong
    code (the device stays unconfirmed so the person can try again)."""
    user = request.user
    if device.user_id != user.pk or device.confirmed:
        raise SecondFactorError(_("This enrolment is no longer open: start again."))
    allowed, _details = device.verify_is_allowed()
    if not allowed:
        raise SecondFactorError(
            _("Too many wrong codes in a row: wait a minute, then enter the current code.")
        )
    if not device.verify_token(normalise_code(code)):
        raise SecondFactorError(
            _(
                "That code does not match. Check that the app shows this account and "
                "that your phone's clock is right, then enter the current six-digit code."
            )
        )
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user, confirmed=True).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = _renew_recovery_codes(user)
        AuditEntry.record(AuditEntry.Action.SECOND_FACTOR_ENROLLED, actor=user, person=user)
    _signed_in_with(request, device)
    return codes


def new_recovery_code() -> str:
    """16 random base32 characters (80 bits), shown in groups of four."""
    code = b32encode(secrets.token_bytes(10)).decode().lower()
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def _renew_recovery_codes(user) -> list[str]:
    device, _created = RecoveryCodeDevice.objects.get_or_create(
        user=user, name=RECOVERY_NAME, defaults={"confirmed": True}
    )
    device.codes.all().delete()
    codes = [new_recovery_code() for _ in range(settings.RECOVERY_CODE_COUNT)]
    RecoveryCode.objects.bulk_create(
        RecoveryCode(device=device, digest=recovery_code_digest(code)) for code in codes
    )
    return codes


def renew_recovery_codes(user) -> list[str]:
    """New recovery codes for an enrolled person; the old ones stop working."""
    if not has_second_factor(user):
        raise SecondFactorError(_("Set up an authenticator app first."))
    with transaction.atomic():
        codes = _renew_recovery_codes(user)
        AuditEntry.record(AuditEntry.Action.RECOVERY_CODES_RENEWED, actor=user, person=user)
    return codes


def recovery_codes_left(user) -> int:
    return RecoveryCode.objects.filter(device__user=user, device__confirmed=True).count()


def verify(request, code: str) -> bool:
    """Check a code from the authenticator, or a recovery code (used up), for the
    signed-in person; on success the session counts as verified, under a new session
    key. django-otp throttles each device after failures (growing delays), so codes
    cannot be guessed."""
    user = request.user
    code = normalise_code(code)
    # Six digits go to the authenticator, anything else to the recovery codes: a
    # recovery code tried on the authenticator would count as one of its failures and
    # slow down the person's next real code (django-otp throttles per device).
    if code.isdigit() and len(code) == 6:
        devices = list(TOTPDevice.objects.filter(user=user, confirmed=True))
    else:
        devices = list(RecoveryCodeDevice.objects.filter(user=user, confirmed=True))
    for device in devices:
        allowed, _details = device.verify_is_allowed()
        if not allowed:
            continue
        # The atomic block keeps django-otp's throttle counter and last-used step in
        # step with the check (select_for_update where the database has it).
        with transaction.atomic():
            locked = type(device).objects.select_for_update().get(pk=device.pk)
            if locked.verify_token(code):
                _signed_in_with(request, locked)
                return True
    return False


def remove_second_factor(user, *, by) -> None:
    """Remove a person's authenticator and recovery codes: by themselves (secretariat
    members who opted in) or by an administrator (a lost phone). IOM staff are asked
    to enrol again at their next request."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        RecoveryCodeDevice.objects.filter(user=user).delete()
        AuditEntry.record(AuditEntry.Action.SECOND_FACTOR_REMOVED, actor=by, person=user)
