"""A cycle's own open-data files, frozen once the cycle is closed, and the data
package (`datapackage.json`) that lists every file with its Table Schema, a frozen
file with its sha256 and size.

Each cycle has its own files at `/open-data/<cycle slug>/<file>` (`CYCLE_FILES`): its
contributions and practices (`public/opendata.py`) as CSV and JSON
(`public/opendata_formats.py`). A cycle is closed when every regional review of it has
held its meeting (`RegionalReview.status_on(today) == HELD`: the meeting date is past)
or when its last year is before the current year (`is_closed`). A closed cycle's files
are frozen: built once, kept in the default storage and served as stored, so every
download is the same bytes with the same sha256, which the open-data page and the data
package publish. To make that hold:

- serialisation is deterministic: records and fields in a fixed order, English texts
  whatever the page's language, no time of generation, `ensure_ascii=False`, CSV lines
  ending in CRLF; building the same data twice gives the same bytes;
- the stored file is named after the cycle's publication state (`_publication_states`:
  how many of its inputs are published, the sums of their ids, published version
  numbers and publication times, kept by `submissions.public_tallies` as inputs are
  published, so the open-data page reads them instead of counting the archive).
  Publishing, taking off the portal or publishing a new version in that cycle changes
  it, so the frozen files are built anew then, and only then: a contribution taken off
  the portal leaves its cycle's open data too. Anything else, an edit of reference data
  (an ISCM's name) or a publication in another cycle, leaves them as they are. (Should
  two app servers' clocks disagree, taking one input off and publishing another of the
  same cycle at once still changes the sum of ids; publishing the same version again
  later changes the sum of publication times.)

An open cycle's files are built on every request by the same code, and so are the
files that take the list's filters (`/open-data/contributions.csv?region=ECA`).
"""

import hashlib
import json
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db.models import Prefetch
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from submissions import public_tallies
from submissions.languages import source_text
from submissions.models import RegionalReview, ReviewCycle, WrittenInput

from . import opendata, practices
from .opendata_formats import FORMATS, csv_chunks, json_chunks

CYCLE_FILES = tuple(f"{r.name}.{fmt}" for r in opendata.RESOURCES for fmt in FORMATS)
# The URL names of the files over all cycles (which take the lists' filters).
URL_NAMES = {
    ("contributions", "csv"): "public:open-data-csv",
    ("contributions", "json"): "public:open-data-json",
    ("practices", "csv"): "public:open-data-practices-csv",
    ("practices", "json"): "public:open-data-practices-json",
}

# Frozen files larger than this are spooled to a temporary file while they are built.
SPOOL_BYTES = 8 * 1024 * 1024
STORAGE_FOLDER = "open-data"


def _resource(name: str) -> opendata.Resource:
    return opendata.CONTRIBUTIONS if name == opendata.CONTRIBUTIONS.name else opendata.PRACTICES


# --- closed cycles --------------------------------------------------------------------------


def is_closed(cycle: ReviewCycle, reviews: list[RegionalReview], today) -> bool:
    """Closed: its last year is over, or every one of its regional reviews (at least
    one) has held its meeting. A closed cycle's files are frozen."""
    if cycle.end_year < today.year:
        return True
    return bool(reviews) and all(
        review.status_on(today) == RegionalReview.Status.HELD for review in reviews
    )


@dataclass
class ExportFile:
    """One file of a cycle: its address and, when frozen, its sha256 and size."""

    filename: str
    url: str
    sha256: str | None = None
    size: int | None = None
    stored_name: str | None = None

    @property
    def format(self) -> str:
        return self.filename.rsplit(".", 1)[1]


@dataclass
class CycleExport:
    cycle: ReviewCycle
    reviews: list[RegionalReview]
    closed: bool
    state: dict  # the publication state of the cycle (see `_publication_state`)
    files: list[ExportFile] = field(default_factory=list)

    def file(self, filename: str) -> ExportFile:
        return next(f for f in self.files if f.filename == filename)

    def descriptor(self) -> dict:
        """The cycle and its regional reviews, as the per-cycle JSON files carry them."""
        return {
            "slug": self.cycle.slug,
            "name": source_text(self.cycle, "name"),
            "years": self.cycle.years,
            "closed": self.closed,
            "regional_reviews": [
                {
                    "id": f"{self.cycle.slug}/{review.region.code}",
                    "region": review.region.code,
                    "region_name": source_text(review.region, "name"),
                    "meeting_date": review.meeting_date.isoformat()
                    if review.meeting_date
                    else None,
                }
                for review in self.reviews
            ],
        }


def _publication_states(cycle_ids) -> dict:
    """{cycle id: what its published inputs are}, read from the numbers kept as inputs
    are published (`public_tallies`: how many, and the sums of their ids, published
    version numbers and publication times), not counted over the archive: any change
    of what is public in a cycle changes its entry (see the module docstring)."""
    kept = public_tallies.load(public_tallies.CONTRIBUTIONS)
    return {
        cycle_id: {
            "n": kept["cycle"][cycle_id],
            "ids": kept["cycle_ids"].get(cycle_id, 0),
            "versions": kept["cycle_versions"].get(cycle_id, 0),
            "times": kept["cycle_times"].get(cycle_id, 0),
        }
        for cycle_id in cycle_ids
        if kept["cycle"].get(cycle_id)
    }


def cycle_exports(today, *, slug: str | None = None, build: bool = True) -> list[CycleExport]:
    """Every cycle (or the one named `slug`), newest first, with its reviews, whether it
    is closed and its files; a closed cycle's files are built if they are not stored
    yet (`build`). Three queries, whatever the number of records, unless a file is
    built."""
    cycles = ReviewCycle.objects.order_by("-start_year").prefetch_related(
        Prefetch(
            "regional_reviews",
            queryset=RegionalReview.objects.select_related("region").order_by("region__code"),
        )
    )
    if slug is not None:
        cycles = cycles.filter(slug=slug)
    cycles = list(cycles)
    states = _publication_states([c.pk for c in cycles])
    exports = []
    for cycle in cycles:
        reviews = list(cycle.regional_reviews.all())
        export = CycleExport(
            cycle=cycle,
            reviews=reviews,
            closed=is_closed(cycle, reviews, today),
            state=states.get(cycle.pk, {"n": 0}),
        )
        export.files = [
            ExportFile(
                filename=name,
                url=settings.SITE_URL
                + reverse("public:open-data-cycle-file", args=[cycle.slug, name]),
            )
            for name in CYCLE_FILES
        ]
        if export.closed and build:
            for export_file in export.files:
                freeze(export, export_file)
        exports.append(export)
    return exports


def cycle_chunks(export: CycleExport, filename: str) -> Iterator[str]:
    """The file `filename` (one of CYCLE_FILES) of a cycle, built from the database."""
    resource_name, fmt = filename.rsplit(".", 1)
    # English whatever the page: a frozen file must not depend on who built it.
    with translation.override("en"):
        resource = _resource(resource_name)
        if resource is opendata.CONTRIBUTIONS:
            queryset = WrittenInput.objects.published().filter(cycle=export.cycle)
            queryset = queryset.order_by("published_at", "pk")
            count, rows = queryset.count(), opendata.records(queryset)
        else:
            queryset = practices.practices_queryset().filter(input__cycle=export.cycle)
            count = queryset.count()
            rows = opendata.practice_records(practices.export_order(queryset))
        if fmt == "csv":
            yield from csv_chunks(resource.fields, rows)
            return
        head = {
            "source": export.file(filename).url,
            "cycle": export.descriptor(),
            "count": count,
            "fields": list(resource.fields),
            "datapackage": settings.SITE_URL
            + reverse("public:open-data-cycle-file", args=[export.cycle.slug, "datapackage.json"]),
        }
        yield from json_chunks(head, resource.name, rows)


def _stored_name(export: CycleExport, filename: str) -> str:
    state = hashlib.sha256(json.dumps(export.state, sort_keys=True).encode()).hexdigest()[:20]
    return f"{STORAGE_FOLDER}/{export.cycle.slug}/{state}/{filename}"


def freeze(export: CycleExport, export_file: ExportFile) -> ExportFile:
    """Fill in the stored name, sha256 and size of a closed cycle's file, building and
    storing it first if this publication state has none yet.

    Side effects: may write the file and its digest (`<name>.sha256`, written second,
    so a digest found means its file is whole) into the default storage. Two first
    requests at once both build; the storage keeps both names and both files are the
    same bytes (the serialisation is deterministic)."""
    name = _stored_name(export, export_file.filename)
    digest_name = name + ".sha256"
    if default_storage.exists(digest_name):
        with default_storage.open(digest_name, "rb") as stored:
            sha256, size = stored.read().decode().split()
    else:
        digest = hashlib.sha256()
        size = 0
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as spool:
            for chunk in cycle_chunks(export, export_file.filename):
                data = chunk.encode()
                digest.update(data)
                size += len(data)
                spool.write(data)
            spool.seek(0)
            default_storage.save(name, File(spool, name=export_file.filename))
        sha256 = digest.hexdigest()
        default_storage.save(digest_name, ContentFile(f"{sha256} {size}".encode()))
    export_file.sha256, export_file.size, export_file.stored_name = sha256, int(size), name
    return export_file


# --- the data package ----------------------------------------------------------------


def datapackage(exports: list[CycleExport], *, scope: CycleExport | None = None) -> dict:
    """The Frictionless Data package (Data Package v1, tabular) describing every file:
    the files over all cycles and each cycle's own files, a closed cycle's with their
    sha256 and size. `scope`: one cycle's package. English, so that it is the same
    document for everyone."""
    site = settings.SITE_URL
    with translation.override("en"):
        resources = []
        if scope is None:
            for resource in opendata.RESOURCES:
                for fmt in FORMATS:
                    path = site + reverse(URL_NAMES[resource.name, fmt])
                    resources.append(
                        opendata.resource_descriptor(
                            resource, fmt, name=f"{resource.name}-{fmt}", path=path
                        )
                    )
        for export in [scope] if scope else exports:
            for export_file in export.files:
                resource_name, fmt = export_file.filename.rsplit(".", 1)
                resource = _resource(resource_name)
                described = opendata.resource_descriptor(
                    resource,
                    fmt,
                    name=f"{resource_name}-{fmt}-{export.cycle.slug}",
                    path=export_file.url,
                )
                described["title"] = f"{resource.title}, {export.cycle.years}"
                if export_file.sha256:
                    described["hash"] = f"sha256:{export_file.sha256}"
                    described["bytes"] = export_file.size
                resources.append(described)
        slug = f"-{scope.cycle.slug}" if scope else ""
        return {
            "profile": "tabular-data-package",
            "name": f"iscm-review-portal{slug}",
            "title": str(_("ISCM contributions to the GCM regional reviews"))
            + (f", {scope.cycle.years}" if scope else ""),
            "description": str(
                _(
                    "Written inputs of inter-State consultation mechanisms on migration "
                    "(ISCMs) to the regional reviews of the Global Compact for Migration, "
                    "and the practices worth sharing they report, as published on the "
                    "ISCM Review Portal. A closed cycle's files never change: their "
                    "sha256 is given under hash."
                )
            ),
            "homepage": site + reverse("public:open-data"),
            "resources": resources,
        }
