"""The reference pages anyone may read: ISCMs, GCM objectives and regions, each with the
published contributions that concern it (through `browse.listing_queryset` and
`browse.public_inputs`, so only published inputs appear)."""

from itertools import groupby

from django.core.paginator import Paginator
from django.db.models import Prefetch, Q
from django.shortcuts import get_object_or_404, render

from submissions import crosscycle, crosscycle_subjects, reporters
from submissions.models import (
    ISCM,
    GCMObjective,
    ObjectiveResponse,
    Region,
    RegionalReview,
    RoundTable,
    Status,
    WrittenInput,
)

from .. import browse
from ..filters import ISCMFilter

LIST_PAGE_SIZE = 20
OBJECTIVE_PAGE_SIZE = 10


def iscm_list(request):
    filterset = ISCMFilter(request.GET, queryset=ISCM.objects.prefetch_related("regions"))
    return render(
        request,
        "public/iscm_list.html",
        {"filter": filterset, "iscms": filterset.qs, "total": ISCM.objects.count()},
    )


def _page(request, queryset, size=LIST_PAGE_SIZE):
    return Paginator(queryset, size).get_page(request.GET.get("page"))


def iscm_detail(request, slug):
    iscm = get_object_or_404(ISCM.objects.prefetch_related("regions"), slug=slug)
    contributions = (
        browse.listing_queryset()
        .filter(
            Q(lead_iscm=iscm)
            | Q(
                pk__in=WrittenInput.partner_iscms.through.objects.filter(iscm=iscm).values(
                    "writteninput"
                )
            )
        )
        .order_by("-published_at", "-pk")
    )
    contributions = browse.KnownCount(contributions, browse.published_count("iscm", iscm.pk))
    # What it published on in at least one cycle, each with its compare page.
    compare = crosscycle_subjects.subjects_reported(
        browse.public_inputs(), iscm=iscm, source=crosscycle.Source.PUBLISHED
    )
    return render(
        request,
        "public/iscm_detail.html",
        {"iscm": iscm, "page": _page(request, contributions), "compare": compare},
    )


def _by_round_table(objectives):
    """[(RoundTable, [objective, …]), …] in round-table order."""
    ordered = sorted(objectives, key=lambda o: (o.round_table, o.number))
    return [
        (RoundTable(number), list(group))
        for number, group in groupby(ordered, key=lambda o: o.round_table)
    ]


def objective_list(request):
    objectives = GCMObjective.objects.all()
    return render(
        request,
        "public/objective_list.html",
        {"round_tables": _by_round_table(objectives), "total": len(objectives)},
    )


def objective_detail(request, number):
    """The objective, and what every ISCM reported on it in published contributions:
    progress, practices and challenges side by side, newest first, a page at a time."""
    objective = get_object_or_404(GCMObjective, number=number)
    neighbours = {
        o.number: o for o in GCMObjective.objects.filter(number__in=[number - 1, number + 1])
    }
    # The rule of `browse.public_inputs()` (published), joined to the inputs rather
    # than `input__in`: the database walks the published inputs newest first (index
    # input_public_newest_id) and stops at the page's end, whatever the archive's size.
    responses = (
        ObjectiveResponse.objects.filter(objective=objective, input__status=Status.PUBLISHED)
        .select_related("input__lead_iscm")
        .prefetch_related("input__partner_iscms")
        .order_by("-input__published_at", "-input__pk")
    )
    responses = browse.KnownCount(responses, browse.published_count("objective", objective.pk))
    return render(
        request,
        "public/objective_detail.html",
        {
            "objective": objective,
            "round_table": RoundTable(objective.round_table),
            "previous": neighbours.get(number - 1),
            "next": neighbours.get(number + 1),
            "page": _page(request, responses, OBJECTIVE_PAGE_SIZE),
            "reporters": reporters.public_reporters_by_cycle(objective),
        },
    )


def region_list(request):
    regions = Region.objects.prefetch_related(
        Prefetch("iscms", queryset=ISCM.objects.order_by("acronym"))
    )
    return render(request, "public/region_list.html", {"regions": regions})


def region_detail(request, code):
    """A region: its regional reviews, the ISCMs covering it and the published
    contributions to its reviews."""
    region = get_object_or_404(Region, code=code)
    reviews = (
        RegionalReview.objects.filter(region=region)
        .select_related("cycle")
        .order_by("-cycle__slug")
    )
    contributions = (
        browse.listing_queryset()
        .filter(
            pk__in=WrittenInput.target_reviews.through.objects.filter(
                regionalreview__region=region
            ).values("writteninput")
        )
        .order_by("-published_at", "-pk")
    )
    # How many from the kept numbers (the list's region facet: the published inputs to
    # the region's reviews), not a COUNT(*) over the region's share of the archive.
    contributions = browse.KnownCount(contributions, browse.published_count("region", region.pk))
    return render(
        request,
        "public/region_detail.html",
        {
            "region": region,
            "reviews": reviews,
            "iscms": region.iscms.order_by("acronym"),
            "page": _page(request, contributions),
        },
    )
