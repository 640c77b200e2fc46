"""The public synthesis dashboard of a regional review: which ISCMs of the region
have a published contribution, the objectives they cover and by whom, the counts,
and the change since the region's previous cycle, all over published inputs only
(`reviews.coverage` with `public=True`: the same numbers as the open data)."""

from urllib.parse import urlencode

from django.shortcuts import get_object_or_404, render
from django.urls import reverse

from reviews import coverage
from submissions.models import RegionalReview
from submissions.reversing import path_maker


def _public_links(refs) -> dict[int, str]:
    page = path_maker("public:contribution-detail")
    return {ref.pk: page(ref.slug) for ref in refs}


def review_dashboard(request, code, cycle):
    review = get_object_or_404(
        RegionalReview.objects.select_related("cycle", "region"),
        region__code=code,
        cycle__slug=cycle,
    )
    result = coverage.dashboard(review, public=True)
    return render(
        request,
        "public/dashboard.html",
        {
            "review": review,
            "dashboard": result,
            "links": _public_links(result.named_inputs),
            # A cell of several contributions: the list filtered to them.
            "more_link": reverse("public:contribution-list")
            + "?"
            + urlencode({"cycle": review.cycle.slug, "region": review.region.code}),
            "public": True,
        },
    )
