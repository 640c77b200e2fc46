"""Open data: the published contributions and practices as JSON and CSV (any selection,
or a cycle's own files, frozen once the cycle is closed), the data package that
describes them, the page that explains it all, and an Atom feed."""

import base64
import json
import re

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape
from django.utils.translation import gettext_lazy as _

from submissions.models import WrittenInput
from submissions.responses import serve_stored_file

from .. import opendata, opendata_cycles, opendata_formats, practices

FEED_SIZE = 50
# Characters XML 1.0 cannot carry, which Django's feed generator refuses with an
# exception: typed text may hold them (pasted from other programs, or entity-encoded
# like "&#14;", which becomes the character in the plain text of the summary).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def about(request):
    """The open-data page: the files, the cycles (closed ones with each frozen file's
    sha256), the fields of each kind of record and the filters."""
    filterset, _queryset = opendata.selection(request.GET)
    return render(
        request,
        "public/open_data.html",
        {
            "resources": opendata.RESOURCES,
            "cycles": opendata_cycles.cycle_exports(timezone.localdate()),
            "form": filterset.form,
            "query": request.GET.urlencode(),
        },
    )


def _bad_filters(filterset):
    return {name: [str(e) for e in errors] for name, errors in filterset.form.errors.items()}


def _streamed(chunks, fmt: str, filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(chunks, content_type=opendata_formats.MEDIA_TYPES[fmt])
    if fmt == "csv":
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Access-Control-Allow-Origin"] = "*"  # public data, meant for reuse
    return response


def contributions_json(request):
    """{"source", "count", "errors", "fields", "contributions": [...]}: the
    contributions the list's filters select, streamed."""
    filterset, queryset = opendata.selection(request.GET)
    head = {
        "source": settings.SITE_URL + request.path,
        "count": queryset.count(),
        "errors": _bad_filters(filterset),
        "fields": list(opendata.FIELDS),
    }
    chunks = opendata_formats.json_chunks(head, "contributions", opendata.records(queryset))
    return _streamed(chunks, "json", "iscm-contributions.json")


def contributions_csv(request):
    """One row per contribution the filters select (`opendata_formats.csv_chunks`)."""
    _filterset, queryset = opendata.selection(request.GET)
    chunks = opendata_formats.csv_chunks(opendata.FIELDS, opendata.records(queryset))
    return _streamed(chunks, "csv", "iscm-contributions.csv")


def practices_json(request):
    """{"source", "count", "errors", "fields", "practices": [...]}: the practices the
    practices list's filters select, streamed."""
    filterset = practices.filtered(request.GET)
    queryset = filterset.selection()
    head = {
        "source": settings.SITE_URL + request.path,
        "count": queryset.count(),
        "errors": _bad_filters(filterset),
        "fields": list(opendata.PRACTICE_FIELDS),
    }
    rows = opendata.practice_records(practices.export_order(queryset))
    return _streamed(
        opendata_formats.json_chunks(head, "practices", rows), "json", "iscm-practices.json"
    )


def practices_csv(request):
    filterset = practices.filtered(request.GET)
    rows = opendata.practice_records(practices.export_order(filterset.selection()))
    chunks = opendata_formats.csv_chunks(opendata.PRACTICE_FIELDS, rows)
    return _streamed(chunks, "csv", "iscm-practices.csv")


def _json_document(document: dict) -> HttpResponse:
    response = HttpResponse(
        json.dumps(document, ensure_ascii=False, indent=2) + "\n",
        content_type=opendata_formats.MEDIA_TYPES["json"],
    )
    response["Access-Control-Allow-Origin"] = "*"
    return response


def datapackage(request):
    """The data dictionary of every file, as a Frictionless Data package."""
    return _json_document(
        opendata_cycles.datapackage(opendata_cycles.cycle_exports(timezone.localdate()))
    )


def cycle_file(request, cycle, filename):
    """A cycle's own file (`opendata_cycles.CYCLE_FILES`) or its data package. A closed
    cycle's file is served as stored, the same bytes on every download (ETag and
    Repr-Digest carry its sha256); an open cycle's is built now. Query strings are
    ignored: a cycle's file is always the whole cycle."""
    if filename != "datapackage.json" and filename not in opendata_cycles.CYCLE_FILES:
        raise Http404("No such file")
    exports = opendata_cycles.cycle_exports(timezone.localdate(), slug=cycle, build=False)
    if not exports:
        raise Http404("No such cycle")
    export = exports[0]
    if filename == "datapackage.json":
        if export.closed:
            for export_file in export.files:
                opendata_cycles.freeze(export, export_file)
        return _json_document(opendata_cycles.datapackage(exports, scope=export))
    download_name = f"iscm-{cycle}-{filename}"
    fmt = filename.rsplit(".", 1)[1]
    if not export.closed:
        return _streamed(opendata_cycles.cycle_chunks(export, filename), fmt, download_name)
    frozen = opendata_cycles.freeze(export, export.file(filename))
    response = serve_stored_file(
        frozen.stored_name, filename=download_name, content_type=opendata_formats.MEDIA_TYPES[fmt]
    )
    if fmt == "json":
        # Readable in the browser like the other JSON files; nosniff stays.
        response["Content-Disposition"] = response["Content-Disposition"].replace(
            "attachment", "inline", 1
        )
    response["ETag"] = f'"{frozen.sha256}"'
    digest = base64.b64encode(bytes.fromhex(frozen.sha256)).decode()
    response["Repr-Digest"] = f"sha-256=:{digest}:"
    response["Access-Control-Allow-Origin"] = "*"
    return response


class ContributionFeed(Feed):
    """The newest published contributions."""

    feed_type = Atom1Feed
    title = _("ISCM contributions to the GCM regional reviews")
    subtitle = _(
        "Written inputs of inter-State consultation mechanisms on migration, newest first."
    )

    def link(self):
        return reverse("public:contribution-list")

    def items(self):
        return (
            WrittenInput.objects.published()
            .select_related("lead_iscm")
            .order_by("-published_at", "-pk")[:FEED_SIZE]
        )

    def item_title(self, item):
        return _NOT_XML.sub("", item.title)

    def item_description(self, item):
        # Atom readers take the summary as HTML: the secretariat's text must arrive as
        # text, so it is escaped here (the feed generator only escapes it for XML).
        summary = item.search_document[len(item.title) :].strip()
        return _NOT_XML.sub("", escape(summary[:400] + ("…" if len(summary) > 400 else "")))

    def item_link(self, item):
        return item.get_public_url()

    def item_pubdate(self, item):
        return item.published_at

    def item_updateddate(self, item):
        return item.published_at

    def item_author_name(self, item):
        return _NOT_XML.sub("", f"{item.lead_iscm.name} ({item.lead_iscm.acronym})")
