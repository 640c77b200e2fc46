"""Open data: the published contributions and practices as JSON and CSV (the whole
archive and each open cycle's files as generated files served from storage, a closed
cycle's frozen ones, any filtered selection a page at a time), the data package that
describes them, the page that explains it all, and an Atom feed."""

import base64
import json
import re
from dataclasses import dataclass

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import get_conditional_response
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape
from django.utils.http import http_date
from django.utils.translation import gettext_lazy as _

from submissions.models import WrittenInput
from submissions.querystrings import parse_id
from submissions.responses import serve_stored_file

from .. import opendata, opendata_cycles, opendata_files, opendata_formats, practices, tasks

FEED_SIZE = 50
# Records per page of a filtered export (`?region=ECA`): a page is built in well under
# a second; the whole archive is a generated file instead.
PAGE_SIZE = 1000
LARGEST_PAGE = 1_000_000  # beyond, no database could hold the records
# Which file a download of a generated file got (opendata_files.CURRENT, PREVIOUS: the
# last one built, a few seconds older than the latest publication, or BUILT_NOW).
STATE_HEADER = "Open-Data-State"
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
            "page_size": PAGE_SIZE,
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


def _generated_response(request, found, fmt: str, filename: str):
    """A generated or frozen file from storage, streamed by FileResponse, with its sha256
    as ETag and Repr-Digest and its time of building as Last-Modified; 304 when the
    request's If-None-Match says the client has it.

    If-Modified-Since alone is not answered with 304: a publication state can come
    back (an input published, then taken off again), and its files, built earlier,
    would be "not modified since" the copy that holds the input taken off. The ETag
    names the bytes, so it never errs that way."""
    etag = f'"{found.sha256}"'
    # Whole seconds, as Last-Modified carries them.
    last_modified = int(found.built_at.timestamp()) if found.built_at else None
    not_modified = get_conditional_response(request, etag=etag)
    if not_modified is not None:
        response = not_modified
    else:
        response = serve_stored_file(
            found.name, filename=filename, content_type=opendata_formats.MEDIA_TYPES[fmt]
        )
        if fmt == "json":
            # Readable in the browser like the other JSON files; nosniff stays.
            response["Content-Disposition"] = response["Content-Disposition"].replace(
                "attachment", "inline", 1
            )
        digest = base64.b64encode(bytes.fromhex(found.sha256)).decode()
        response["Repr-Digest"] = f"sha-256=:{digest}:"
    response["ETag"] = etag
    if last_modified is not None:
        response["Last-Modified"] = http_date(last_modified)
    # Asked again each time (a 304 costs nothing): a contribution taken off the portal
    # leaves every copy at the next request.
    response["Cache-Control"] = "no-cache"
    response["Access-Control-Allow-Origin"] = "*"
    return response


def _generated(request, resource_name: str, fmt: str):
    """The whole archive's file (no query string): generated, served from storage."""
    scope = opendata_files.site_scope()
    found = opendata_files.obtain(
        scope, f"{resource_name}.{fmt}", request_build=tasks.request_build
    )
    response = _generated_response(request, found, fmt, f"iscm-{resource_name}.{fmt}")
    response[STATE_HEADER] = found.state
    return response


def _is_whole(request) -> bool:
    """No filter and no page asked for: the whole archive's generated file."""
    return not any(
        value for name, values in request.GET.lists() if name != "sort" for value in values
    )


@dataclass
class _Page:
    """One page of a filtered export: PAGE_SIZE records from the `offset`-th, and the
    addresses of the next and previous pages (None at the ends)."""

    number: int
    count: int
    next: str | None
    previous: str | None
    errors: dict


def _page(request, queryset, errors: dict) -> tuple[_Page, object]:
    """(the page asked for by `?page=` (1 if missing or not a number), its rows)."""
    errors = dict(errors)
    given = request.GET.get("page") or "1"
    number = parse_id(given, largest=LARGEST_PAGE) or 0
    if number < 1:
        errors["page"] = [str(_("Not a page number: the first page is given."))]
        number = 1
    count = queryset.count()

    def address(n):
        params = request.GET.copy()
        params["page"] = str(n)
        return f"{settings.SITE_URL}{request.path}?{params.urlencode()}"

    offset = (number - 1) * PAGE_SIZE
    page = _Page(
        number=number,
        count=count,
        next=address(number + 1) if offset + PAGE_SIZE < count else None,
        previous=address(min(number - 1, max(1, -(-count // PAGE_SIZE)))) if number > 1 else None,
        errors=errors,
    )
    return page, queryset[offset : offset + PAGE_SIZE]


def _paged(request, page: _Page, resource, rows, fmt: str):
    """A page of a filtered export: JSON with the head of the whole file plus "page",
    "next" and "previous"; CSV with the same rows. Both say the next and previous
    pages in a Link header (RFC 8288)."""
    filename = f"iscm-{resource.name}.{fmt}"
    if fmt == "csv":
        response = _streamed(opendata_formats.csv_chunks(resource.fields, rows), fmt, filename)
    else:
        head = {
            "source": settings.SITE_URL + request.path,
            "count": page.count,
            "errors": page.errors,
            "fields": list(resource.fields),
            "page": page.number,
            "page_size": PAGE_SIZE,
            "next": page.next,
            "previous": page.previous,
        }
        chunks = opendata_formats.json_chunks(head, resource.name, rows)
        response = _streamed(chunks, fmt, filename)
    pages = (("next", page.next), ("prev", page.previous))
    links = [f'<{url}>; rel="{rel}"' for rel, url in pages if url]
    if links:
        response["Link"] = ", ".join(links)
    response["X-Total-Count"] = str(page.count)
    return response


def _contributions(request, fmt: str):
    if _is_whole(request):
        return _generated(request, opendata.CONTRIBUTIONS.name, fmt)
    filterset, queryset = opendata.selection(request.GET)
    page, selected = _page(request, queryset, _bad_filters(filterset))
    return _paged(request, page, opendata.CONTRIBUTIONS, opendata.records(selected), fmt)


def _practices(request, fmt: str):
    if _is_whole(request):
        return _generated(request, opendata.PRACTICES.name, fmt)
    filterset = practices.filtered(request.GET)
    queryset = practices.export_order(filterset.selection())
    page, selected = _page(request, queryset, _bad_filters(filterset))
    return _paged(request, page, opendata.PRACTICES, opendata.practice_records(selected), fmt)


def contributions_json(request):
    """Without a query string: every published contribution, {"source", "count",
    "errors", "fields", "next": null, "contributions": [...]}, a generated file
    (`opendata_files`). With filters or `?page=`: a page of PAGE_SIZE of the
    contributions they select, the same object plus "page", "page_size", "next" and
    "previous" (addresses or null)."""
    return _contributions(request, "json")


def contributions_csv(request):
    """One row per contribution (`opendata_formats.csv_chunks`): all of them as a
    generated file, or a page of those the filters select (Link: rel="next")."""
    return _contributions(request, "csv")


def practices_json(request):
    """Like `contributions_json`, for the practices worth sharing ("practices"), with
    the practices list's filters."""
    return _practices(request, "json")


def practices_csv(request):
    """Like `contributions_csv`, for the practices worth sharing."""
    return _practices(request, "csv")


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
    Repr-Digest carry its sha256); an open cycle's is a generated file
    (`opendata_files`), rebuilt after each publication. Query strings are ignored: a
    cycle's file is always the whole cycle."""
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
    if export.closed:
        frozen = opendata_cycles.freeze(export, export.file(filename))
        found = opendata_files.Generated(
            frozen.stored_name, frozen.sha256, frozen.size, None, opendata_files.CURRENT
        )
        return _generated_response(request, found, fmt, download_name)
    scope = opendata_files.cycle_scope(export)
    try:
        found = opendata_files.obtain(scope, filename, request_build=tasks.request_build)
    except LookupError:  # the cycle closed a moment ago: its frozen files now
        return redirect(request.get_full_path())
    response = _generated_response(request, found, fmt, download_name)
    response[STATE_HEADER] = found.state
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
