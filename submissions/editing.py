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
from django.utils.translation import gettext as _

from .models import (
    EDITABLE_STATES,
    Attachment,
    Membership,
    ObjectiveResponse,
    SectionResponse,
    WrittenInput,
)
from .uploads import inspect_upload, storage_name


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
        pk=written_input.pk, version=expected_version, status__in=EDITABLE_STATES
    ).update(version=F("version") + 1, updated_by=by, updated_at=timezone.now())
    if claimed:
        return expected_version + 1
    current = WrittenInput.objects.select_related("updated_by").get(pk=written_input.pk)
    if current.status not in EDITABLE_STATES:
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
    Raises StaleEdit or EditRefused."""
    with transaction.atomic():
        new_version = _claim_edit_version(written_input, by=by, expected_version=expected_version)
        WrittenInput.objects.filter(pk=written_input.pk).update(
            title=title, language=language, basis=basis
        )
        written_input.partner_iscms.set(partners)
        written_input.target_reviews.set(targets)
    return new_version


@dataclass
class ContentChanges:
    """What the content form holds: section bodies by section id; objective texts by
    objective id for the objectives kept (ticked, or with any text); ticked items."""

    sections: dict[int, str]
    objectives: dict[int, dict[str, str]]
    principles: list = field(default_factory=list)
    formats: list = field(default_factory=list)
    priorities: list = field(default_factory=list)
    challenges: list = field(default_factory=list)


def save_content(
    written_input: WrittenInput, changes: ContentChanges, *, by, expected_version: int
) -> int:
    """Save the draft's content as one change. Returns the new version.

    Side effects: claims the edit version; upserts section and objective responses;
    deletes the responses of objectives no longer kept; sets the ticked lists.
    Raises StaleEdit or EditRefused.
    """
    with transaction.atomic():
        new_version = _claim_edit_version(written_input, by=by, expected_version=expected_version)
        existing_sections = {r.section_id: r for r in written_input.section_responses.all()}
        for section_id, body in changes.sections.items():
            response = existing_sections.get(section_id)
            if response is None:
                SectionResponse.objects.create(
                    input=written_input, section_id=section_id, body=body
                )
            elif response.body != body:
                response.body = body
                response.save(update_fields=["body"])

        existing_objectives = {r.objective_id: r for r in written_input.objective_responses.all()}
        for objective_id, texts in changes.objectives.items():
            response = existing_objectives.pop(objective_id, None)
            if response is None:
                ObjectiveResponse.objects.create(
                    input=written_input, objective_id=objective_id, **texts
                )
            elif any(getattr(response, k) != v for k, v in texts.items()):
                for key, value in texts.items():
                    setattr(response, key, value)
                response.save(update_fields=list(texts))
        ObjectiveResponse.objects.filter(
            pk__in=[r.pk for r in existing_objectives.values()]
        ).delete()

        written_input.principles.set(changes.principles)
        written_input.formats.set(changes.formats)
        written_input.priorities.set(changes.priorities)
        written_input.challenges.set(changes.challenges)
    return new_version


def add_attachment(written_input: WrittenInput, uploaded_file, *, title: str, by) -> Attachment:
    """Attach a file to an editable input.

    Side effects: checks the state and the count limit under a row lock (two uploads
    at once cannot both take the last place); inspects the bytes (type, size, hash);
    stores the file under a random name; creates the Attachment. Raises EditRefused or
    ValidationError (from the inspection) with a message for the form.
    """
    inspected = inspect_upload(uploaded_file)
    with transaction.atomic():
        locked = WrittenInput.objects.select_for_update().get(pk=written_input.pk)
        if locked.status not in EDITABLE_STATES:
            raise EditRefused(_("Attachments can only be added while the input is editable."))
        if locked.attachments.count() >= settings.ATTACHMENT_MAX_COUNT:
            raise EditRefused(
                _("An input can have at most %(count)s attachments. Remove one first.")
                % {"count": settings.ATTACHMENT_MAX_COUNT}
            )
        name = default_storage.save(storage_name(inspected), uploaded_file)
        try:
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
        except Exception:
            # The row was not written: do not leave an orphan file behind.
            default_storage.delete(name)
            raise


def remove_attachment(attachment: Attachment, *, by) -> None:
    """Remove an attachment of an editable input; the file goes once the row is gone."""
    with transaction.atomic():
        locked = WrittenInput.objects.select_for_update().get(pk=attachment.input_id)
        if locked.status not in EDITABLE_STATES:
            raise EditRefused(_("Attachments can only be removed while the input is editable."))
        name = attachment.file.name
        attachment.delete()
        # Versions keep the hash, not the file: a submitted version's file stays only
        # while the attachment exists. Delete after commit so a rollback keeps it.
        transaction.on_commit(lambda: default_storage.delete(name))
