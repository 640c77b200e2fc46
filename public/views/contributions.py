"""The contributions anyone may read: the list with facets and search, a contribution's
page, its PDF and the attachments of its published version. Only published inputs
appear: every query starts from `WrittenInput.objects.published()` (through
`browse.public_inputs`)."""

from functools import partial

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils.translation import get_language, pgettext
from django.utils.translation import gettext as _

from submissions import search
from submissions.models import InputVersion
from submissions.pdf import INPUT_LAYOUT_VERSION
from submissions.responses import pdf_response, serve_stored_file
from submissions.snapshots import objectives_by_round_table

from .. import browse


def contribution_list(request):
    results = browse.browse(request.GET, page_number=request.GET.get("page"))
    return render(
        request,
        "public/contribution_list.html",
        {
            "results": results,
            # Called by the template only when its cached facet panel is missing.
            "facets": partial(browse.facets, results),
            "form": results.filterset.form,
            "cache_seconds": settings.PUBLIC_CACHE_SECONDS,
            # Under the search box once something was searched: which languages, and
            # on SQLite (`make run`) that other forms of a word are not found.
            "searched_in": searched_in() if results.query else "",
            "stems_words": search.stems_words(),
        },
    )


def searched_in() -> str:
    """The languages a search covers, as one list in the interface language."""
    separator = pgettext("between the items of a list", ", ")
    return separator.join(search.searched_languages())


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
        "public/contribution_detail.html",
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
