"""Open data: the published contributions as JSON, CSV and an Atom feed."""

import csv
import json
import re

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape
from django.utils.translation import gettext_lazy as _

from submissions.models import WrittenInput

from .. import opendata

FEED_SIZE = 50
CSV_LIST_SEPARATOR = ";"
# A cell starting with one of these is a formula to spreadsheet programs (CSV
# injection: `=HYPERLINK(…)` in a title would send whoever opens the file to any site).
CSV_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Characters XML 1.0 cannot carry, which Django's feed generator refuses with an
# exception: typed text may hold them (pasted from other programs, or entity-encoded
# like "&#14;", which becomes the character in the plain text of the summary).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def about(request):
    filterset, _queryset = opendata.selection(request.GET)
    return render(
        request,
        "public/open_data.html",
        {"fields": opendata.FIELDS, "form": filterset.form, "query": request.GET.urlencode()},
    )


def _bad_filters(filterset):
    return {name: [str(e) for e in errors] for name, errors in filterset.form.errors.items()}


def contributions_json(request):
    """{"generated_at", "count", "filters", "errors", "contributions": [...]}, streamed
    so twenty thousand records never sit in memory at once."""
    filterset, queryset = opendata.selection(request.GET)
    head = {
        "generated_at": timezone.now().isoformat(),
        "source": settings.SITE_URL + request.path,
        "count": queryset.count(),
        "errors": _bad_filters(filterset),
        "fields": list(opendata.FIELDS),
    }

    def body():
        yield json.dumps(head, ensure_ascii=False)[:-1] + ', "contributions": ['
        for n, record in enumerate(opendata.records(queryset)):
            yield ("," if n else "") + json.dumps(record, ensure_ascii=False)
        yield "]}"

    response = StreamingHttpResponse(body(), content_type="application/json; charset=utf-8")
    response["Access-Control-Allow-Origin"] = "*"  # public data, meant for reuse
    return response


class _Echo:
    def write(self, value):
        return value


def _csv_cell(value):
    """A text a spreadsheet program would compute gets an apostrophe in front, which
    makes it show as text (OWASP's advice on CSV injection); the JSON keeps it as typed."""
    if isinstance(value, str) and value.startswith(CSV_FORMULA_STARTS):
        return "'" + value
    return value


def contributions_csv(request):
    """One row per contribution; lists (partners, regions, objectives, principles)
    joined with ';'. UTF-8 with a byte-order mark so spreadsheet programs read
    Arabic and Chinese titles right; a text that starts like a formula is shown as
    text (`_csv_cell`)."""
    _filterset, queryset = opendata.selection(request.GET)
    writer = csv.writer(_Echo())

    def rows():
        yield "\ufeff" + writer.writerow(opendata.FIELDS)
        for record in opendata.records(queryset):
            yield writer.writerow(
                [
                    _csv_cell(
                        CSV_LIST_SEPARATOR.join(map(str, value))
                        if isinstance(value, list)
                        else value
                    )
                    for value in record.values()
                ]
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="iscm-contributions.csv"'
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
