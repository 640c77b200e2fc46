"""Reviewers' comments on inputs. Who may comment is the same rule as who may decide
(`WrittenInput.objects.reviewable_by`); what secretariats may read is
`ReviewComment.objects.for_secretariat()`."""

from django.utils.translation import gettext as _

from .models import GCMObjective, OutlineSection, ReviewComment, ReviewEvent, WrittenInput
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
    A message to the secretariat stays pending until the next decision (request
    changes, accept, decline) sends it; an internal note is never shown to them.
    """
    if not WrittenInput.objects.reviewable_by(by).filter(pk=written_input.pk).exists():
        raise TransitionRefused(_("You may not comment on this input."))
    if not body.strip():
        raise TransitionRefused(_("The comment is empty."))
    latest = written_input.versions.order_by("-number").first()
    return ReviewComment.objects.create(
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
