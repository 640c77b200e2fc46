"""Pages anyone may read, signed in or not. Only published inputs appear here: every
query starts from `WrittenInput.objects.published()` (through `browse.public_inputs`)."""

from functools import partial
from itertools import groupby

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from .. import browse
from ..downloads import serve_stored_file
from ..filters import ISCMFilter
from ..models import (
    ISCM,
    GCMObjective,
    InputVersion,
    ObjectiveResponse,
    Region,
    RegionalReview,
    RoundTable,
    WrittenInput,
)
from ..pdf import INPUT_LAYOUT_VERSION
from ..snapshots import objectives_by_round_table
from .versions import pdf_response

LIST_PAGE_SIZE = 20
OBJECTIVE_PAGE_SIZE = 10


def iscm_list(request):
    filterset = ISCMFilter(request.GET, queryset=ISCM.objects.prefetch_related("regions"))
    return render(
        request,
        "submissions/iscm_list.html",
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
    return render(
        request,
        "submissions/iscm_detail.html",
        {"iscm": iscm, "page": _page(request, contributions)},
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
        "submissions/objective_list.html",
        {"round_tables": _by_round_table(objectives), "total": len(objectives)},
    )


def objective_detail(request, number):
    """The objective, and what every ISCM reported on it in published contributions:
    progress, practices and challenges side by side, newest first, a page at a time."""
    objective = get_object_or_404(GCMObjective, number=number)
    neighbours = {
        o.number: o for o in GCMObjective.objects.filter(number__in=[number - 1, number + 1])
    }
    responses = (
        ObjectiveResponse.objects.filter(
            objective=objective, input__in=browse.public_inputs().values("pk")
        )
        .select_related("input__lead_iscm")
        .prefetch_related("input__partner_iscms")
        .order_by("-input__published_at", "-input__pk")
    )
    return render(
        request,
        "submissions/objective_detail.html",
        {
            "objective": objective,
            "round_table": RoundTable(objective.round_table),
            "previous": neighbours.get(number - 1),
            "next": neighbours.get(number + 1),
            "page": _page(request, responses, OBJECTIVE_PAGE_SIZE),
        },
    )


def region_list(request):
    regions = Region.objects.prefetch_related(
        Prefetch("iscms", queryset=ISCM.objects.order_by("acronym"))
    )
    return render(request, "submissions/region_list.html", {"regions": regions})


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
    return render(
        request,
        "submissions/region_detail.html",
        {
            "region": region,
            "reviews": reviews,
            "iscms": region.iscms.order_by("acronym"),
            "page": _page(request, contributions),
        },
    )


def contribution_list(request):
    results = browse.browse(request.GET, page_number=request.GET.get("page"))
    return render(
        request,
        "submissions/contribution_list.html",
        {
            "results": results,
            # Called by the template only when its cached facet panel is missing.
            "facets": partial(browse.facets, results),
            "form": results.filterset.form,
            "cache_seconds": settings.PUBLIC_CACHE_SECONDS,
        },
    )


def _published(slug):
    """The published input and the version it was published at; 404 otherwise."""
    written_input = get_object_or_404(
        browse.public_inputs().select_related("lead_iscm"), slug=slug
    )
    version = InputVersion.objects.filter(
        input=written_input, number=written_input.published_version
    ).first()
    if version is None:
        raise Http404("No published version")
    return written_input, version


def contribution_detail(request, slug):
    written_input, version = _published(slug)
    doc = version.snapshot
    return render(
        request,
        "submissions/contribution_detail.html",
        {
            "input": written_input,
            "version": version,
            "doc": doc,
            "objective_groups": objectives_by_round_table(doc["objectives"]),
            "citation": citation(written_input, doc),
        },
    )


def citation(written_input, doc) -> str:
    """A suggested citation of the published version, in the interface language."""
    authors = ", ".join(
        f"{iscm['name']} ({iscm['acronym']})" for iscm in [doc["lead"], *doc["partners"]]
    )
    regions = ", ".join(t["region"] for t in doc["targets"])
    return _(
        "%(authors)s (%(year)s). %(title)s. Written input to the %(regions)s regional "
        "review(s) of the Global Compact for Migration, %(cycle)s, version %(version)s. "
        "ISCM Review Portal. %(url)s"
    ) % {
        "authors": authors,
        "year": written_input.published_at.year,
        # Isolated (FSI … PDI, the plain-text <bdi>, kept when the citation is copied):
        # an Arabic title, or an override typed into one, cannot reorder what follows.
        "title": f"\u2068{doc['title']}\u2069",
        "regions": regions,
        "cycle": doc["cycle"]["name"],
        "version": written_input.published_version,
        "url": settings.SITE_URL + written_input.get_public_url(),
    }


def contribution_pdf(request, slug):
    """The published version as PDF. Rendered once per version, interface language and
    layout, then kept in the storage (shared by every app server): a published version
    never changes, and rendering takes about a second."""
    written_input, version = _published(slug)
    language = get_language() or settings.LANGUAGE_CODE
    name = (
        f"public-pdfs/{written_input.pk}/"
        f"v{version.number}-{language}-layout{INPUT_LAYOUT_VERSION}.pdf"
    )
    filename = f"{written_input.slug}-v{version.number}.pdf"
    if not default_storage.exists(name):
        response = pdf_response(written_input, version.snapshot, version_number=version.number)
        # Two first requests at once both render; the storage keeps both names, and
        # either file is the same document.
        name = default_storage.save(name, ContentFile(response.content))
    return serve_stored_file(name, filename=filename, content_type="application/pdf")


def contribution_attachment(request, slug, attachment_pk):
    """An attachment of the published version (the file that version refers to)."""
    written_input, version = _published(slug)
    entry = next(
        (a for a in version.snapshot.get("attachments", []) if a.get("id") == attachment_pk),
        None,
    )
    if entry is None:
        raise Http404("Not part of the published version")
    attachment = get_object_or_404(written_input.attachments, pk=attachment_pk)
    return serve_stored_file(
        attachment.file, filename=entry["display_name"], content_type=entry["content_type"]
    )
