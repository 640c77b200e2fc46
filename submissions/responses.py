"""Responses that pages of several apps give the same way: a stored file as a download,
an input as a PDF, the comparison of two submitted versions. Views call them after
checking access themselves; nothing here decides who may see what."""

from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from .diffs import diff_snapshots
from .models import InputVersion
from .pdf import input_pdf
from .querystrings import LARGEST_NUMBER, parse_id


def serve_stored_file(field_file, *, filename: str, content_type: str) -> FileResponse:
    """Always a download, with nosniff, so a browser never renders an uploaded file as
    a page; a file missing from storage is a 404, not a 500. `field_file` is a model's
    FieldFile, or a name in the default storage."""
    try:
        if isinstance(field_file, str):
            stored = default_storage.open(field_file, "rb")
        else:
            stored = field_file.open("rb")
    except FileNotFoundError:
        raise Http404("The stored file is missing") from None
    response = FileResponse(
        stored, as_attachment=True, filename=filename, content_type=content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


def render_version_diff(request, written_input, template):
    """Word-level differences between two versions (`?from=N&to=M`; by default the
    latest version against the one before it)."""
    numbers = sorted(
        InputVersion.objects.filter(input=written_input).values_list("number", flat=True)
    )
    if len(numbers) < 2:
        raise Http404("Only one version")
    new = parse_id(request.GET.get("to") or str(numbers[-1]))
    if new is None:
        raise Http404("Bad version numbers")
    old = parse_id(request.GET.get("from") or str(max([n for n in numbers if n < new], default=0)))
    if old is None or old not in numbers or new not in numbers or old >= new:
        raise Http404("No such pair of versions")
    # Only the two snapshots compared are loaded.
    versions = {
        v.number: v
        for v in InputVersion.objects.filter(input=written_input, number__in=[old, new])
    }
    return render(
        request,
        template,
        {
            "input": written_input,
            "old": versions[old],
            "new": versions[new],
            "numbers": numbers,
            "blocks": diff_snapshots(versions[old].snapshot, versions[new].snapshot),
            "language": versions[new].snapshot["language"],
            "direction": versions[new].snapshot["direction"],
        },
    )


def pdf_response(written_input, snapshot: dict, *, version_number: int | None):
    """An input (a submitted version, or the live draft when `version_number` is None)
    as a PDF download."""
    label = (
        _("version %(number)s") % {"number": version_number}
        if version_number
        else _("draft, not submitted")
    )
    data = input_pdf(snapshot, version_label=label)
    suffix = f"v{version_number}" if version_number else "draft"
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{written_input.slug}-{suffix}.pdf"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


def version_or_404(written_input, number):
    """The numbered version, or the latest when `number` is empty; 404 otherwise."""
    versions = InputVersion.objects.filter(input=written_input)
    if number in (None, ""):
        version = versions.order_by("-number").first()
    else:
        number = parse_id(number, largest=LARGEST_NUMBER)
        version = None if number is None else versions.filter(number=number).first()
    if version is None:
        raise Http404("No such version")
    return version
