"""Every published contribution as plain records, for the JSON and CSV downloads and
the feed. Ids are the database ids (stable: an input is never renumbered) and slugs
never change once made."""

from collections.abc import Iterator

from django.conf import settings
from django.db.models import Prefetch
from django.urls import reverse

from submissions.models import ObjectiveResponse, WrittenInput

from .filters import ContributionFilter

FIELDS = (
    "id",
    "slug",
    "title",
    "url",
    "pdf_url",
    "cycle",
    "lead_iscm",
    "partner_iscms",
    "regions",
    "objectives",
    "principles",
    "language",
    "basis",
    "published_at",
)
CHUNK = 1000


def selection(params) -> tuple[ContributionFilter, object]:
    """The published inputs the query-string filters select (invalid values are
    reported by the filter set's form and ignored), oldest publication first."""
    filterset = ContributionFilter(params, queryset=WrittenInput.objects.published())
    filterset.is_valid()
    return filterset, filterset.selection().order_by("published_at", "pk")


def records(queryset) -> Iterator[dict]:
    """One dict per input, fields in FIELDS order; a fixed number of queries per
    thousand inputs."""
    queryset = queryset.select_related("cycle", "lead_iscm").prefetch_related(
        "partner_iscms",
        "target_reviews__region",
        "principles",
        Prefetch(
            "objective_responses",
            queryset=ObjectiveResponse.objects.select_related("objective")
            .only("input_id", "objective__number")
            .order_by("objective__number"),
        ),
    )
    site = settings.SITE_URL
    for written_input in queryset.iterator(chunk_size=CHUNK):
        slug = written_input.slug
        yield {
            "id": written_input.pk,
            "slug": slug,
            "title": written_input.title,
            "url": site + reverse("public:contribution-detail", args=[slug]),
            "pdf_url": site + reverse("public:contribution-pdf", args=[slug]),
            "cycle": written_input.cycle.slug,
            "lead_iscm": written_input.lead_iscm.acronym,
            "partner_iscms": sorted(i.acronym for i in written_input.partner_iscms.all()),
            "regions": sorted({r.region.code for r in written_input.target_reviews.all()}),
            "objectives": [r.objective.number for r in written_input.objective_responses.all()],
            "principles": sorted(p.letter for p in written_input.principles.all()),
            "language": written_input.language,
            "basis": written_input.basis,
            "published_at": written_input.published_at.isoformat(),
        }
