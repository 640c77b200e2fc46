"""Asking for a synthesis draft of a regional review, and which drafts a person may
see. A draft is always built in the background (`tasks.build_synthesis_task` →
`synthesis_pdf.build_draft`): even a small review's PDF takes WeasyPrint seconds, which
a web request should not hold, and one path is easier to trust than two. The request
answers at once; the draft's page shows the progress.

Who: the IOM staff who may open the review's staff dashboard
(`coverage.staff_reviews`): administrators, and reviewers and compilers of the region.

A worker can die mid-build: `fail_stale_drafts` marks a running draft without a
heartbeat for PACKAGE_COMPILE_TIMEOUT seconds, or a queued one no worker took within
PACKAGE_QUEUE_TIMEOUT, as failed (the same limits as packages), so the page never shows
"drafting" forever and the person can ask again. The live workers do it sooner, every
beat (reviews/recovery.py): `fail_stale_drafts(timeout=PACKAGE_STALE_SECONDS)`. A
draft is not built again on its own (it is quick to ask again, and nobody waits for an
e-mail about it).
"""

import datetime
from functools import partial

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from submissions.models import RegionalReview

from . import coverage, tasks
from .heartbeat import fail_stale
from .models import SynthesisDraft
from .packages import accepted_versions

# Drafts listed on a review's synthesis page, newest first.
RECENT_DRAFTS = 10
_IN_PROGRESS = (SynthesisDraft.Status.QUEUED, SynthesisDraft.Status.RUNNING)


def draft_languages() -> list[str]:
    """The language codes a draft may be written in: the portal's six."""
    return [code for code, _name in settings.LANGUAGES]


def drafts_readable_by(user):
    """The synthesis drafts `user` may see and download: those of the reviews whose
    staff dashboard they may open; none for anyone else."""
    return SynthesisDraft.objects.filter(review__in=coverage.staff_reviews(user))


def recent_drafts(review: RegionalReview) -> list[SynthesisDraft]:
    return list(review.synthesis_drafts.select_related("requested_by")[:RECENT_DRAFTS])


def request_draft(
    review: RegionalReview, *, language: str, by=None, enqueue: bool = True
) -> tuple[SynthesisDraft, bool]:
    """Ask for a synthesis draft of `review` in `language`. Returns (draft, created).

    Side effects: fails stale drafts first (see the module's doc); under a lock on the
    review row (two people asking at once get one draft), returns the draft of that
    language already on its way if there is one (created=False), else creates a queued
    draft that will quote the review's accepted versions as they are now, and enqueues
    its task after commit.
    """
    if language not in draft_languages():
        raise ValueError(f"Not a draft language: {language!r}")
    fail_stale_drafts()
    with transaction.atomic():
        RegionalReview.objects.select_for_update().get(pk=review.pk)
        pending = review.synthesis_drafts.filter(language=language, status__in=_IN_PROGRESS)
        existing = pending.order_by("-queued_at").first()
        if existing is not None:
            return existing, False
        draft = SynthesisDraft.objects.create(
            review=review, language=language, requested_by=by, stage=_("Waiting for a worker")
        )
        draft.input_versions.set(accepted_versions(review))
        if enqueue:
            transaction.on_commit(
                partial(tasks.build_synthesis_task.enqueue, draft.pk), robust=True
            )
    return draft, True


def fail_stale_drafts(now: datetime.datetime | None = None, *, timeout: int | None = None) -> int:
    """Mark drafts whose worker shows no sign of life as failed.

    Side effects: two conditional UPDATEs — queued for longer than
    PACKAGE_QUEUE_TIMEOUT, running with a heartbeat older than `timeout` seconds
    (PACKAGE_COMPILE_TIMEOUT by default) → failed, with a message saying so. Returns
    how many.
    """
    return fail_stale(
        SynthesisDraft,
        now=now or timezone.now(),
        timeout=timeout,
        never_started=_(
            "No worker started the draft within %(minutes)s minutes. Ask again, and tell "
            "the administrator if it happens again."
        ),
        stopped=_(
            "The worker stopped while drafting: no sign of life for %(seconds)s s. Ask again."
        ),
    )
