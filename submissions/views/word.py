"""Word round trip pages: a cycle's template, the import of a filled template into a
draft (upload, preview, apply) and the export of an input as .docx. The rules are in
`submissions.word` (writer, safety, reader, import_plan), imported from those modules
directly; access goes through the query set methods of WrittenInput (a denied input is
a 404)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .. import editing
from ..forms import WordImportForm
from ..models import ReviewCycle, WrittenInput
from ..querystrings import LARGEST_NUMBER, parse_id
from ..responses import version_or_404
from ..snapshots import content_queryset, take_snapshot
from ..uploads import DOCX_CONTENT_TYPE
from ..word.import_plan import (
    ImportExpired,
    applied_message,
    apply_import,
    load_content,
    plan_import,
    sign_content,
)
from ..word.reader import read_word_file
from ..word.safety import WordFileRefused
from ..word.writer import input_document, outline_template


def _docx_response(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=DOCX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def cycle_template(request, slug):
    """The Word template of a cycle's outline, for anyone signed in."""
    cycle = get_object_or_404(ReviewCycle.objects.select_related("outline"), slug=slug)
    return _docx_response(outline_template(cycle), f"written-input-template-{cycle.slug}.docx")


@login_required
def input_docx(request, pk):
    """An input the person may see, as .docx: a submitted version (`?version=N`; the
    latest by default), or — for its secretariats, without `?version` — the live draft."""
    written_input = get_object_or_404(
        WrittenInput.objects.visible_to(request.user).select_related("cycle__outline"), pk=pk
    )
    number = request.GET.get("version")
    outline = written_input.cycle.outline
    is_secretariat = WrittenInput.objects.for_secretariat(request.user).filter(pk=pk).exists()
    if number or not is_secretariat:
        version = version_or_404(written_input, number)
        data = input_document(
            version.snapshot,
            outline=outline,
            version_label=_("version %(number)s") % {"number": version.number},
        )
        return _docx_response(data, f"{written_input.slug}-v{version.number}.docx")
    draft = content_queryset().get(pk=pk)
    data = input_document(
        take_snapshot(draft), outline=outline, version_label=_("draft, not submitted")
    )
    return _docx_response(data, f"{written_input.slug}-draft.docx")


def _editable_input_or_redirect(request, pk):
    written_input = get_object_or_404(content_queryset().for_secretariat(request.user), pk=pk)
    if not written_input.is_editable:
        messages.info(request, _("This input is read-only while it is with the reviewers."))
        return written_input, redirect("submissions:input-detail", pk=pk)
    return written_input, None


def _render_upload(request, written_input, form, *, error=None, status=200):
    return render(
        request,
        "submissions/input_import.html",
        {"input": written_input, "form": form, "error": error},
        status=status,
    )


def _render_preview(
    request, written_input, content, *, replace=frozenset(), stale=None, status=200
):
    plan = plan_import(written_input, content)
    return render(
        request,
        "submissions/input_import_preview.html",
        {
            "input": written_input,
            "plan": plan,
            "file_name": content.get("file", ""),
            "payload": sign_content(content, written_input),
            "version": written_input.version,
            "replace": set(replace),
            "stale": stale,
        },
        status=status,
    )


@login_required
def input_import(request, pk):
    """Upload a filled template; answer with the preview of what it would fill."""
    written_input, refused = _editable_input_or_redirect(request, pk)
    if refused:
        return refused
    if request.method != "POST":
        return _render_upload(request, written_input, WordImportForm())
    form = WordImportForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            content = read_word_file(form.cleaned_data["file"], written_input)
        except WordFileRefused as refusal:
            form.add_error("file", refusal)
        else:
            return _render_preview(request, written_input, content)
    return _render_upload(request, written_input, form, status=400)


@require_POST
@login_required
def input_import_apply(request, pk):
    """Save the previewed import as one draft change, with the choices made on the
    preview; a stale preview is shown again against the draft as it is now."""
    written_input = get_object_or_404(content_queryset().for_secretariat(request.user), pk=pk)
    try:
        content = load_content(request.POST.get("payload", ""), written_input)
        # ASCII digits only, within the version column (int() would read "٣" as 3).
        expected_version = parse_id(request.POST.get("version", ""), largest=LARGEST_NUMBER)
        if not expected_version:  # no number, or 0: no version is numbered 0
            raise ValueError("no version")
    except (ImportExpired, ValueError):
        error = _("This import preview has expired or is incomplete. Upload the file again.")
        return _render_upload(request, written_input, WordImportForm(), error=error, status=400)
    replace = set(request.POST.getlist("replace"))
    try:
        new_version, count = apply_import(
            written_input,
            content,
            replace=replace,
            by=request.user,
            expected_version=expected_version,
        )
    except editing.EditRefused as refusal:
        messages.error(request, refusal.message)
        return redirect("submissions:input-detail", pk=pk)
    except editing.StaleEdit as stale:
        current = content_queryset().get(pk=pk)
        return _render_preview(
            request, current, content, replace=replace, stale=stale.current, status=409
        )
    if new_version is None:
        messages.info(
            request,
            _(
                "Nothing was imported: the draft already says what the file says, or you "
                "kept the draft's text everywhere."
            ),
        )
    else:
        messages.success(request, applied_message(count, content.get("file", "")))
    return redirect("submissions:input-edit", pk=pk)
