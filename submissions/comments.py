"""Reviewers' comments on inputs. Who may comment is the same rule as who may decide
(`WrittenInput.objects.reviewable_by`); what secretariats may read is
`ReviewComment.objects.for_secretariat()`."""

from django.utils import timezone
from django.utils.translation import gettext as _

from .models import (
    GCMObjective,
    OutlineSection,
    ReviewComment,
    ReviewEvent,
    Status,
    WrittenInput,
)
from .workflow import TransitionRefused


def add_review_comment(
    written_input: WrittenInput,
    *,
    by,
    body: str,
    internal: bool,
    section: OutlineSection | None = None,
    objective: GCMObjective | None = None,
) -> ReviewComment:
    """Comment on the latest version of an input, anchored to a section, an objective
    or the whole input.

    Side effects: checks `by` reviews a region the input targets; creates the comment.
    A message to the secretariat on a submitted input waits for the next decision
    (request changes, accept, decline), which sends it; on an input already back with
    the secretariat it is sent at once; in other states only internal notes are taken.
    An internal note is never shown to the secretariat.
    """
    if not WrittenInput.objects.reviewable_by(by).filter(pk=written_input.pk).exists():
        raise TransitionRefused(_("You may not comment on this input."))
    if not body.strip():
        raise TransitionRefused(_("The comment is empty."))
    status = WrittenInput.objects.values_list("status", flat=True).get(pk=written_input.pk)
    released_at = None
    if not internal:
        if status == Status.CHANGES_REQUESTED:
            # The input is with the secretariat now: a message reaches them at once.
            released_at = timezone.now()
        elif status != Status.SUBMITTED:
            raise TransitionRefused(
                _(
                    "Messages to the secretariat go with a decision on a submitted input. "
                    "Write an internal note instead."
                )
            )
    latest = written_input.versions.order_by("-number").first()
    return ReviewComment.objects.create(
        released_at=released_at,
        input=written_input,
        version_number=latest.number,
        section=section,
        objective=objective,
        author=by,
        body=body.strip(),
        visibility=ReviewEvent.Visibility.INTERNAL
        if internal
        else ReviewEvent.Visibility.SECRETARIAT,
    )
