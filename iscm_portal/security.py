"""The client's address, as sign-in throttling (django-axes) counts it.

Behind proxies, the socket's address is the last proxy's. Each trusted proxy appends
the address it received the request from to X-Forwarded-For, so the client's is the
TRUSTED_PROXY_COUNT-th entry from the right; anything further left was written by the
client and may be forged. With no trusted proxy (the default), the socket's address.
"""

from django.conf import settings


def client_ip(request) -> str:
    proxies = settings.TRUSTED_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies > 0 and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if len(hops) >= proxies:
            return hops[-proxies]
    return request.META.get("REMOTE_ADDR", "")


def locked_out(request, original_response=None, credentials=None):
    """The page django-axes answers with (status 429) while an account or address is
    locked: says how long to wait and where to reset a forgotten password, and never
    which of the two was locked (that would tell an attacker the account exists)."""
    from django.shortcuts import render
    from django.urls import reverse

    minutes = max(1, round(settings.AXES_COOLOFF_TIME.total_seconds() / 60))
    return render(
        request,
        "registration/locked_out.html",
        {"cooloff_minutes": minutes, "reset_url": reverse("password_reset")},
        status=429,
    )
