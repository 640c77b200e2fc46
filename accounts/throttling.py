"""Sign-in throttling (django-axes): the client's address as it is counted, the
per-account back-off on top of axes' per-(account, address) lock, and the page a
locked sign-in gets.

Two locks, so that neither an attacker nor a busy office locks out the innocent:
- an account *at one address* is locked after AXES_FAILURE_LIMIT failures there
  (axes' own lock, AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]): the same
  account signs in from elsewhere, and other people behind the same address (an
  office's proxy) are not affected;
- an account is locked *from every address* after AXES_ACCOUNT_FAILURE_LIMIT failures
  (a higher limit) from any addresses within AXES_COOLOFF_TIME: a slower back-off
  against guessing from many addresses (`PortalAxesHandler`).
Failures for addresses that have no account count alike, so neither lock nor its page
tells whether an account exists.

The client's address:

Behind proxies, the socket's address is the last proxy's. Each trusted proxy appends
the address it received the request from to X-Forwarded-For, so the client's is the
TRUSTED_PROXY_COUNT-th entry from the right; anything further left was written by the
client and may be forged. With no trusted proxy (the default), the socket's address.
"""

import datetime

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from axes.signals import user_locked_out
from django.conf import settings
from django.db.models import Max
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone


def client_ip(request) -> str:
    proxies = settings.TRUSTED_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies > 0 and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if len(hops) >= proxies:
            return hops[-proxies]
    return request.META.get("REMOTE_ADDR", "")


def username_for_throttling(request, credentials=None) -> str:
    """The typed e-mail address in lower case: sign-in ignores case
    (`UserManager.get_by_natural_key`), so `Ada@x` and `ada@x` must count as one
    account, or changing the case would give an attacker fresh tries."""
    if credentials:
        value = credentials.get(settings.AXES_USERNAME_FORM_FIELD)
    else:
        value = request.POST.get(settings.AXES_USERNAME_FORM_FIELD)
    return str(value or "").strip().lower()


def _window_start(request):
    now = getattr(request, "axes_attempt_time", None) or timezone.now()
    return now - settings.AXES_COOLOFF_TIME


def _account_attempts(request, username):
    return AccessAttempt.objects.filter(
        username=username, attempt_time__gte=_window_start(request)
    )


def account_failures(request, username) -> int:
    """Failures for `username` from any address within the cool-off window."""
    rows = _account_attempts(request, username).values_list("failures_since_start", flat=True)
    return sum(rows)


class PortalAxesHandler(AxesDatabaseHandler):
    """axes' database handler plus the per-account lock (see the module's docstring)."""

    def is_locked(self, request, credentials=None) -> bool:
        if super().is_locked(request, credentials):
            return True
        username = get_client_username(request, credentials)
        return bool(username) and account_failures(request, username) >= (
            settings.AXES_ACCOUNT_FAILURE_LIMIT
        )

    def user_login_failed(self, sender, credentials, request=None, **kwargs):
        super().user_login_failed(sender, credentials, request, **kwargs)
        if request is None or getattr(request, "axes_locked_out", False):
            return
        username = get_client_username(request, credentials)
        if username and account_failures(request, username) >= (
            settings.AXES_ACCOUNT_FAILURE_LIMIT
        ):
            request.axes_locked_out = True
            request.axes_credentials = credentials
            user_locked_out.send(
                "axes", request=request, username=username, ip_address=request.axes_ip_address
            )


def lockout_ends(request, credentials=None) -> tuple[str, datetime.datetime]:
    """Which lock holds a sign-in ("address": this account from this address;
    "account": this account from everywhere) and when it ends.

    The per-address lock ends AXES_COOLOFF_TIME after its last failure. The account
    lock ends when the failures still inside the window fall below the limit: the
    newest rows stay longest, so it is the time of the row that brings the newest
    failures up to the limit, plus the cool-off."""
    username = get_client_username(request, credentials)
    cooloff = settings.AXES_COOLOFF_TIME
    here = _account_attempts(request, username).filter(ip_address=request.axes_ip_address)
    last_here = here.aggregate(last=Max("attempt_time"))["last"]
    address_end = None
    if last_here is not None and sum(here.values_list("failures_since_start", flat=True)) >= (
        settings.AXES_FAILURE_LIMIT
    ):
        address_end = last_here + cooloff
    account_end = None
    counted = 0
    rows = _account_attempts(request, username).order_by("-attempt_time")
    for attempt_time, failures in rows.values_list("attempt_time", "failures_since_start"):
        counted += failures
        if counted >= settings.AXES_ACCOUNT_FAILURE_LIMIT:
            account_end = attempt_time + cooloff
            break
    if account_end is not None and (address_end is None or account_end > address_end):
        return "account", account_end
    return "address", address_end or timezone.now() + cooloff


def locked_out(request, original_response=None, credentials=None):
    """The page django-axes answers with (status 429) while a sign-in is locked: says
    which lock holds (this account from this address, or this account from
    everywhere), when to try again, and where to reset a forgotten password."""
    kind, retry_at = lockout_ends(request, credentials)
    return render(
        request,
        "accounts/sign_in/locked_out.html",
        {
            "account_wide": kind == "account",
            "retry_at": retry_at,
            "reset_url": reverse("password_reset"),
        },
        status=429,
    )
