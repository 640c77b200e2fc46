"""Creating written inputs and changing their content (no state changes: those are
in workflow.py).

Every change to an input's text or details starts by claiming the edit version: a
conditional UPDATE that increments `version` only if it is still the number the
editor's form was loaded with. Two people saving the same draft: the first wins, the
second gets `StaleEdit` with the input as it is now, and their text is shown back to
them beside the other person's — nothing is overwritten silently, nothing is lost.
"""

from dataclasses import dataclass, field

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from . import tallies
from .models import (
    Attachment,
    Decision,
    Membership,
    ObjectiveResponse,
    ReviewEvent,
    SectionResponse,
    Status,
    WrittenInput,
)
from .uploads import inspect_upload, storage_name
from .validators import MAX_INPUT_CHARACTERS, count_characters


class EditRefused(Exception):
    """The change may not be made (wrong state, limits); the message says why."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class StaleEdit(Exception):
    """Someone saved the input after this editor loaded it."""

    def __init__(self, current: WrittenInput):
        super().__init__("stale edit version")
        self.current = current


def _claim_edit_version(written_input: WrittenInput, *, by, expected_version: int) -> int:
    # One conditional UPDATE, no lock held while the person types: if 0 rows change,
    # someone else saved first (or the input left the editable states).
    claimed = WrittenInput.objects.filter(
        pk=written_input.pk, version=expected_version, status__in=Status.EDITABLE
    ).update(version=F("version") + 1, updated_by=by, updated_at=timezone.now())
    if claimed:
        return expected_version + 1
    current = WrittenInput.objects.select_related("updated_by").get(pk=written_input.pk)
    if current.status not in Status.EDITABLE:
        raise EditRefused(
            _("This input is “%(status)s” and can no longer be edited.")
            % {"status": current.get_status_display()}
        )
    raise StaleEdit(current)


def create_input(
    *, by, cycle, lead_iscm, partners, targets, title, language, basis
) -> WrittenInput:
    """Create a draft. Side effects: one input with its partners and targets.
    The form has checked targets and coverage; the right to act for the lead ISCM is
    checked again here because it is a security rule, not a form nicety."""
    if not Membership.objects.filter(user=by, iscm=lead_iscm).exists():
        raise EditRefused(_("You are not on the secretariat of %(iscm)s.") % {"iscm": lead_iscm})
    with transaction.atomic():
        written_input = WrittenInput.objects.create(
            cycle=cycle,
            lead_iscm=lead_iscm,
            title=title,
            language=language,
            basis=basis,
            created_by=by,
            updated_by=by,
        )
        written_input.partner_iscms.set(partners)
        written_input.target_reviews.set(targets)
        # A draft is in the staff dashboards' standings of its reviews.
        tallies.settle(written_input, tallies.NOTHING_YET)
    return written_input


def update_details(
    written_input: WrittenInput,
    *,
    by,
    expected_version: int,
    partners,
    targets,
    title,
    language,
    basis,
) -> int:
    """Change title, language, basis, partners and targets. Returns the new version.

    Partners and targets decide who may read and edit the input, so only the lead
    ISCM's secretariat may change them; a partner may change the rest.
    Raises StaleEdit or EditRefused."""
    participants_change = {p.pk for p in partners} != set(
        written_input.partner_iscms.values_list("pk", flat=True)
    ) or {t.pk for t in targets} != set(written_input.target_reviews.values_list("pk", flat=True))
    if (
        participants_change
        and not WrittenInput.objects.led_by(by).filter(pk=written_input.pk).exists()
    ):
        raise EditRefused(
            _("Only the lead ISCM's secretariat may change the partners and the reviews.")
        )
    # A review's decline stands: taking the review off and choosing it again must not
    # turn its decision back into "waiting".
    declined = set(
        ReviewEvent.objects.filter(input=written_input, decision=Decision.DECLINED).values_list(
            "reviews", flat=True
        )
    )
    added = {t.pk for t in targets} - set(
        written_input.target_reviews.values_list("pk", flat=True)
    )
    if refused := sorted(t.region.code for t in targets if t.pk in declined & added):
        raise EditRefused(
            _(
                "These regional reviews have declined this input and cannot be chosen "
                "again: %(regions)s."
            )
            % {"regions": ", ".join(refused)}
        )
    with transaction.atomic():
        new_version = _claim_edit_version(written_input, by=by, expected_version=expected_version)
        # Partners and reviews move the dashboards' standings, and those of an input
        # back with its secretariat their numbers.
        counted_before = tallies.before(written_input)
        WrittenInput.objects.filter(pk=written_input.pk).update(
            title=title, language=language, basis=basis
        )
        written_input.partner_iscms.set(partners)
        written_input.target_reviews.set(targets)
        tallies.settle(written_input, counted_before)
    return new_version


@dataclass
class ContentChanges:
    """What a content form carried, and only that: section bodies by section id;
    objective texts by objective id for the objectives kept (ticked, or with any
    text); the objectives explicitly given up; the ticked lists. A list left at None
    was not on the form and stays as it is."""

    sections: dict[int, str]
    objectives: dict[int, dict[str, str]]
    removed_objectives: set[int] = field(default_factory=set)
    principles: list | None = None
    formats: list | None = None
    priorities: list | None = None
    challenges: list | None = None


def save_content(
    written_input: WrittenInput, changes: ContentChanges, *, by, expected_version: int
) -> int:
    """Save the draft's content as one change. Returns the new version.

    Side effects: claims the edit version; upserts section and objective responses;
    deletes the responses of objectives no longer kept; sets the ticked lists.
    Raises StaleEdit, or EditRefused (also when the input's texts together would be
    over MAX_INPUT_CHARACTERS).
    """
    with transaction.atomic():
        new_version = _claim_edit_version(written_input, by=by, expected_version=expected_version)
        existing_sections = {r.section_id: r for r in written_input.section_responses.all()}
        existing_objectives = {r.objective_id: r for r in written_input.objective_responses.all()}
        _refuse_if_too_long(existing_sections, existing_objectives, changes)
        for section_id, body in changes.sections.items():
            response = existing_sections.get(section_id)
            if response is None:
                SectionResponse.objects.create(
                    input=written_input, section_id=section_id, body=body
                )
            elif response.body != body:
                response.body = body
                response.save(update_fields=["body"])

        for objective_id, texts in changes.objectives.items():
            response = existing_objectives.get(objective_id)
            if response is None:
                ObjectiveResponse.objects.create(
                    input=written_input, objective_id=objective_id, **texts
                )
            elif any(getattr(response, k) != v for k, v in texts.items()):
                for key, value in texts.items():
                    setattr(response, key, value)
                response.save(update_fields=list(texts))
        # Only objectives the form showed empty and unticked go; never one it did not show.
        ObjectiveResponse.objects.filter(
            input=written_input, objective_id__in=changes.removed_objectives
        ).delete()

        for name in ("principles", "formats", "priorities", "challenges"):
            chosen = getattr(changes, name)
            if chosen is not None:
                getattr(written_input, name).set(chosen)
    return new_version


def _refuse_if_too_long(existing_sections, existing_objectives, changes: ContentChanges):
    """EditRefused when the input's texts after `changes` hold more than
    MAX_INPUT_CHARACTERS together (the edit page's script checks the same sum before it
    sends the form; submissions/validators.py says why a total exists)."""
    sections = {pk: r.body for pk, r in existing_sections.items()} | changes.sections
    objectives = {
        pk: {part: getattr(r, part) for part in ObjectiveResponse.TEXT_FIELDS}
        for pk, r in existing_objectives.items()
        if pk not in changes.removed_objectives
    }
    for pk, texts in changes.objectives.items():
        objectives[pk] = objectives.get(pk, {}) | texts
    total = sum(count_characters(body) for body in sections.values()) + sum(
        count_characters(text) for texts in objectives.values() for text in texts.values()
    )
    if total > MAX_INPUT_CHARACTERS:
        raise EditRefused(
            _(
                "The texts of this input would hold %(count)s characters together; an "
                "input can hold at most %(limit)s. Shorten the longest texts, or put long "
                "material in an attachment."
            )
            % {
                "count": number_format(total, force_grouping=True),
                "limit": number_format(MAX_INPUT_CHARACTERS, force_grouping=True),
            }
        )


def add_attachment(written_input: WrittenInput, uploaded_file, *, title: str, by) -> Attachment:
    """Attach a file to an editable input.

    Side effects: inspects the bytes (type, size, hash); checks the state and the count
    limit under a row lock (two uploads at once cannot both take the last place);
    stores the file under a random name; creates the Attachment. If anything fails
    after the file was stored, the file is deleted again. Raises EditRefused or
    ValidationError (from the inspection) with a message for the form.
    """
    inspected = inspect_upload(uploaded_file)
    name = None
    try:
        with transaction.atomic():
            locked = WrittenInput.objects.select_for_update().get(pk=written_input.pk)
            if locked.status not in Status.EDITABLE:
                raise EditRefused(_("Attachments can only be added while the input is editable."))
            if locked.attachments.current().count() >= settings.ATTACHMENT_MAX_COUNT:
                raise EditRefused(
                    _("An input can have at most %(count)s attachments. Remove one first.")
                    % {"count": settings.ATTACHMENT_MAX_COUNT}
                )
            name = default_storage.save(storage_name(inspected), uploaded_file)
            return Attachment.objects.create(
                input=locked,
                file=name,
                title=title.strip() or inspected.display_name,
                display_name=inspected.display_name,
                content_type=inspected.content_type,
                size=inspected.size,
                sha256=inspected.sha256,
                uploaded_by=by,
            )
    except BaseException:
        # The row was not committed: do not leave an orphan file behind.
        if name is not None:
            default_storage.delete(name)
        raise


def remove_attachment(attachment: Attachment, *, by) -> None:
    """Remove an attachment from an editable input. The row is marked removed and the
    file kept, because a submitted version may refer to it (versions never change)."""
    with transaction.atomic():
        locked = WrittenInput.objects.select_for_update().get(pk=attachment.input_id)
        if locked.status not in Status.EDITABLE:
            raise EditRefused(_("Attachments can only be removed while the input is editable."))
        Attachment.objects.filter(pk=attachment.pk, removed_at__isnull=True).update(
            removed_at=timezone.now()
        )
