"""The synthesis draft of a regional review, for the IOM staff who may open its staff
dashboard (`coverage.staff_reviews`): the review's synthesis page (ask for a draft in a
language, the recent drafts), a draft's page (progress, then its .docx and PDF) and the
downloads. Anyone else gets 404, a review or draft they may not see included."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from submissions.responses import serve_stored_file

from .. import coverage, synthesis_drafts
from ..forms import language_choices
from ..models import SynthesisDraft
from ..synthesis_pdf import DOCX_TYPE, draft_filename

DOWNLOADS = {"docx": DOCX_TYPE, "pdf": "application/pdf"}


def _staff_review(request, cycle, region):
    return get_object_or_404(
        coverage.staff_reviews(request.user).select_related("cycle", "region"),
        cycle__slug=cycle,
        region__code=region,
    )


def _draft(request, pk):
    return get_object_or_404(
        synthesis_drafts.drafts_readable_by(request.user).select_related(
            "review__region", "review__cycle", "requested_by"
        ),
        pk=pk,
    )


def _default_language() -> str:
    """The page's language (the person's own, or their browser's) when it is one of
    the six, else English."""
    language = (get_language() or "").lower()
    return language if language in synthesis_drafts.draft_languages() else "en"


@require_http_methods(["GET", "POST"])
@login_required
def synthesis_page(request, cycle, region):
    """GET: what a draft holds, the language choice and the recent drafts. POST: ask
    for a draft in the chosen language, then its page."""
    review = _staff_review(request, cycle, region)
    if request.method == "POST":
        language = request.POST.get("language", "")
        if language not in synthesis_drafts.draft_languages():
            messages.error(request, _("Choose one of the languages offered."))
            return redirect("reviews:synthesis-drafts", cycle=cycle, region=region)
        draft, created = synthesis_drafts.request_draft(review, language=language, by=request.user)
        if created:
            messages.success(request, _("The synthesis draft is being written."))
        else:
            messages.info(
                request, _("A draft in this language is already being written: here it is.")
            )
        return redirect(draft)
    synthesis_drafts.fail_stale_drafts()  # a draft whose worker died shows as failed
    return render(
        request,
        "reviews/synthesis.html",
        {
            "review": review,
            "drafts": synthesis_drafts.recent_drafts(review),
            "languages": language_choices(),
            "chosen": _default_language(),
        },
    )


@login_required
def synthesis_detail(request, pk):
    synthesis_drafts.fail_stale_drafts()
    draft = _draft(request, pk)
    return render(
        request,
        "reviews/synthesis_detail.html",
        {
            "draft": draft,
            "review": draft.review,
            "languages": language_choices(),
            "chosen": draft.language,
            # static/js/package-status.js asks again while the draft is being written.
            "refresh_seconds": 3 if draft.in_progress else None,
        },
    )


@login_required
def synthesis_download(request, pk, kind):
    if kind not in DOWNLOADS:
        raise Http404("No such format")
    draft = _draft(request, pk)
    stored = getattr(draft, kind)
    if draft.status != SynthesisDraft.Status.DONE or not stored:
        raise Http404("Not drafted")
    return serve_stored_file(
        stored, filename=draft_filename(draft, kind), content_type=DOWNLOADS[kind]
    )
