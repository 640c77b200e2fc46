from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_safe

from submissions.models import ReviewCycle

from . import health


def home(request):
    """The current review cycle with its regional reviews, dates and status."""
    today = timezone.localdate()
    cycle = ReviewCycle.objects.current()
    reviews = []
    if cycle is not None:
        for review in cycle.regional_reviews.select_related("region").order_by(
            "deadline", "region__code"
        ):
            review.status = review.status_on(today)
            review.days_left = review.days_left_on(today)
            reviews.append(review)
    return render(
        request,
        "iscm_portal/home.html",
        {"cycle": cycle, "reviews": reviews, "today": today},
    )


# Signed-in areas and actions are of no use to crawlers; everything public is listed
# in the sitemap.
ROBOTS_DISALLOW = (
    "/my/",
    "/review/",
    "/accounts/",
    "/admin/",
    "/i18n/",
    "/attachments/",
    "/invitations/",
    "/staff/",
)


def robots_txt(request):
    lines = ["User-agent: *", *(f"Disallow: {path}" for path in ROBOTS_DISALLOW)]
    lines.append(f"Sitemap: {settings.SITE_URL}{reverse('public:sitemap')}")
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")


@require_safe
def healthz(request):
    """For load balancers and monitors: 200 when every check of iscm_portal/health.py
    passes, 503 when one fails, with a small JSON body naming each (docs/deploy.md).
    Anyone may ask; it reads no session and sets no cookie, and no cache may keep it
    (a stale "ok" would hide an outage). SECURE_REDIRECT_EXEMPT lets a balancer probe
    the web process over plain http."""
    result = health.report()
    response = JsonResponse(result, status=200 if result["status"] == "ok" else 503)
    add_never_cache_headers(response)
    return response
