"""The regional synthesis dashboards of IOM staff: one regional review (who was
expected and where each stands, the coverage of the objectives, the change since the
previous cycle), its standings as CSV, and the regions of a cycle side by side.

The numbers come from `reviews.coverage` (staff version). A review is reachable only
through `coverage.staff_reviews(user)`: a reviewer or compiler of another region, a
secretariat member or an anonymous visitor gets 404. An input's title shows only to
whom `WrittenInput.objects.visible_to` lets see it (never another ISCM's draft), and
its link leads to its review page only for whom may review it.
"""

import csv

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from submissions.models import ReviewCycle, Status, WrittenInput
from submissions.reversing import path_maker
from submissions.roles import roles_for_request

from .. import coverage

# A cell starting with one of these is a formula to spreadsheet programs (CSV
# injection through an input's title): shown as text with an apostrophe in front.
CSV_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _staff_review(request, cycle, region):
    return get_object_or_404(
        coverage.staff_reviews(request.user).select_related("cycle", "region"),
        cycle__slug=cycle,
        region__code=region,
    )


def _input_links(user, refs) -> tuple[dict[int, str], set[int]]:
    """(input id → the page its matrix cells link to, ids whose title `user` may read):
    the review page for inputs `user` reviews, the public page for published ones."""
    ids = {ref.pk for ref in refs}
    visible = set(
        WrittenInput.objects.visible_to(user).filter(pk__in=ids).values_list("pk", flat=True)
    )
    reviewable = set(
        WrittenInput.objects.reviewable_by(user).filter(pk__in=ids).values_list("pk", flat=True)
    )
    review_page = path_maker("reviews:input")
    public_page = path_maker("public:contribution-detail")
    links = {}
    for ref in refs:
        if ref.pk in reviewable:
            links[ref.pk] = review_page(ref.pk)
        elif ref.status == Status.PUBLISHED:
            links[ref.pk] = public_page(ref.slug)
    return links, visible


@login_required
def review_dashboard(request, cycle, region):
    review = _staff_review(request, cycle, region)
    result = coverage.dashboard(review, public=False, today=timezone.localdate())
    links, visible = _input_links(request.user, result.named_inputs)
    return render(
        request,
        "reviews/dashboard.html",
        {
            "review": review,
            "dashboard": result,
            "links": links,
            "visible": visible,
            "public": False,
        },
    )


def _csv_cell(value):
    if isinstance(value, str) and value.startswith(CSV_FORMULA_STARTS):
        return "'" + value
    return value


@login_required
def review_dashboard_csv(request, cycle, region):
    """Who was expected and where each stands, one row per ISCM of the region. UTF-8
    with a byte-order mark, so spreadsheet programs read every script."""
    review = _staff_review(request, cycle, region)
    result = coverage.standings(review, public=False, today=timezone.localdate())
    _links, visible = _input_links(request.user, [r.input for r in result.rows if r.input])
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="standings-{review.cycle.slug}-{review.region.code}.csv"'
    )
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow(
        [
            "cycle",
            "region",
            "iscm",
            "state",
            "input_id",
            "input_title",
            "lead_iscm",
            "decision",
            "deadline",
            "days_left",
            "extension",
        ]
    )
    acronyms = {row.iscm.pk: row.iscm.acronym for row in result.rows}
    for row in result.rows:
        ref = row.input
        shown = ref is not None and ref.pk in visible
        writer.writerow(
            [
                review.cycle.slug,
                review.region.code,
                row.iscm.acronym,
                row.state,
                ref.pk if shown else "",
                _csv_cell(ref.title) if shown else "",
                acronyms.get(ref.lead_id, "") if shown else "",
                row.decision or "",
                row.deadline.isoformat() if row.deadline else "",
                "" if row.days_left is None else row.days_left,
                row.extension.isoformat() if row.extension else "",
            ]
        )
    return response


@login_required
def cross_region(request, cycle=None):
    """The regional reviews of a cycle side by side (the current one by default), for
    IOM staff: counts only, no input named."""
    if not roles_for_request(request).iom_staff:
        raise Http404("IOM staff only")
    if cycle is None:
        current = ReviewCycle.objects.current()
        if current is None:
            raise Http404("No current cycle")
        return redirect("reviews:dashboard-regions", cycle=current.slug)
    chosen = get_object_or_404(ReviewCycle, slug=cycle)
    summaries = coverage.cross_region(chosen, public=False)
    mine = set(coverage.staff_reviews(request.user).values_list("pk", flat=True))
    return render(
        request,
        "reviews/dashboard_regions.html",
        {
            "cycle": chosen,
            "cycles": ReviewCycle.objects.order_by("-start_year"),
            "summaries": summaries,
            "most": max((s.expected for s in summaries), default=0),
            "mine": mine,
        },
    )
