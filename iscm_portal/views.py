from django.shortcuts import render
from django.utils import timezone

from submissions.models import ReviewCycle


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
