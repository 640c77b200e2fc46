"""Pages of ISCM secretariats: dashboard, create, edit, attachments, preview, submit,
withdraw, consent. Access goes through the query set methods of WrittenInput: an
input outside them is a 404, whoever asks."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .. import carryover, editing, workflow
from ..checklist import submission_problems, submission_warnings
from ..dashboard import dashboard_for
from ..forms import (
    AttachmentForm,
    ContentForm,
    InputDetailsForm,
    WithdrawForm,
    content_initial,
    merge_stale,
    objectives_for_form,
)
from ..history import timeline
from ..models import (
    Attachment,
    Membership,
    ReviewComment,
    ReviewCycle,
    Status,
    WrittenInput,
)
from ..querystrings import parse_id
from ..responses import pdf_response, render_version_diff, serve_stored_file, version_or_404
from ..snapshots import content_queryset, objectives_by_round_table, take_snapshot


def _with_source(queryset, *, snapshot=False):
    """`queryset` with the earlier input a draft was started from (its cycle names the
    marks and warnings; its snapshot, when asked for, holds the sections shown aside)."""
    queryset = queryset.select_related("started_from__input__cycle")
    return queryset if snapshot else queryset.defer("started_from__snapshot")


def _secretariat_input(request, pk, queryset=None):
    """The input if the person is on the secretariat of its lead or a partner; 404
    otherwise (no existence leak)."""
    queryset = queryset if queryset is not None else WrittenInput.objects.all()
    return get_object_or_404(queryset.for_secretariat(request.user), pk=pk)


@login_required
def dashboard(request):
    today = timezone.localdate()
    board = dashboard_for(request.user, today=today)
    return render(
        request,
        "submissions/dashboard.html",
        {
            "memberships": board.memberships,
            "by_cycle": board.by_cycle,
            "cycle": board.cycle,
            "open_reviews": board.open_reviews,
            "today": today,
        },
    )


@login_required
def input_create(request):
    """A new draft, empty or (`?start_from=<version id>`) started from one of the
    ISCM's inputs to an earlier cycle (submissions/carryover.py): a version the person
    may not start from is a 404."""
    cycle = ReviewCycle.objects.current()
    if not Membership.objects.filter(user=request.user).exists():
        raise Http404("Not on a secretariat")
    if cycle is None:
        messages.error(request, _("No review round is open: inputs cannot be created now."))
        return redirect("submissions:dashboard")
    source = None
    if "start_from" in request.GET:
        source = get_object_or_404(
            carryover.offered_versions(user=request.user, cycle=cycle).select_related(
                "input__cycle", "input__lead_iscm"
            ),
            pk=parse_id(request.GET["start_from"]),
        )
    today = timezone.localdate()
    form = InputDetailsForm(
        request.POST if request.method == "POST" else None,
        user=request.user,
        cycle=cycle,
        today=today,
        initial=carryover.initial_details(source, cycle) if source else None,
        lead=source.input.lead_iscm if source else None,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        details = {
            "by": request.user,
            "cycle": cycle,
            "lead_iscm": data["lead_iscm"],
            "partners": data["partner_iscms"],
            "targets": data["target_reviews"],
            "title": data["title"],
            "language": data["language"],
            "basis": data["basis"],
        }
        try:
            if source:
                written_input = carryover.start_from(source, **details)
            else:
                written_input = editing.create_input(**details)
        except editing.EditRefused as refusal:
            form.add_error(None, refusal.message)
        else:
            messages.success(
                request,
                _(
                    "Draft created from your %(cycle)s input. Every field marked “Carried "
                    "over” still holds last cycle's text: review and update it."
                )
                % {"cycle": source.input.cycle.years}
                if source
                else _("Draft created. Fill in the sections below."),
            )
            return redirect("submissions:input-edit", pk=written_input.pk)
    return render(
        request,
        "submissions/input_create.html",
        {
            "form": form,
            "cycle": cycle,
            "source": source,
            "previous": []
            if source
            else carryover.previous_inputs(user=request.user, cycle=cycle),
        },
    )


def _comments_by_anchor(written_input) -> dict[str, list]:
    """IOM's comments the secretariat may read (sent with a decision, never internal),
    filed by the part of the input they are about."""
    by_anchor = {}
    comments = (
        ReviewComment.objects.filter(input=written_input)
        .for_secretariat()
        .select_related("author", "section", "objective")
    )
    for comment in comments:
        by_anchor.setdefault(comment.anchor, []).append(comment)
    return by_anchor


def _detail_context(request, written_input, attachment_form=None):
    is_lead = WrittenInput.objects.led_by(request.user).filter(pk=written_input.pk).exists()
    return {
        "input": written_input,
        "targets": [
            (review, written_input.deadline_for(review))
            for review in written_input.target_reviews.all()
        ],
        # Reviews whose region has no reviewer yet: the secretariat is told their input
        # waits there until IOM assigns one.
        "unstaffed": [r.region.code for r in written_input.unstaffed_target_reviews()],
        "is_lead": is_lead,
        "can_withdraw": is_lead
        and written_input.status in workflow.TRANSITIONS["withdraw"].sources,
        "problems": submission_problems(
            written_input,
            timezone.localdate(),
            first_submission=not written_input.versions.exists(),
        )
        if written_input.is_editable
        else [],
        "warnings": submission_warnings(written_input) if written_input.is_editable else [],
        "timeline": timeline(written_input, staff=False),
        "versions": written_input.versions.order_by("-number").select_related("created_by"),
        "comments_by_anchor": _comments_by_anchor(written_input),
        "attachment_form": attachment_form or AttachmentForm(),
    }


@login_required
def input_detail(request, pk):
    written_input = _secretariat_input(
        request, pk, _with_source(content_queryset().with_decisions())
    )
    return render(
        request, "submissions/input_detail.html", _detail_context(request, written_input)
    )


def _edit_context(request, written_input, form, comments, *, saved=None) -> dict:
    """The edit page's context. The marks of carried-over fields follow what is saved
    (`saved`, when it was reloaded since), not what was just posted: a field counts as
    reviewed once its new text is saved."""
    if written_input.started_from_id:
        form.mark_carried(
            carryover.unchanged_fields(saved or written_input),
            years=written_input.started_from.input.cycle.years,
        )
    return {
        "input": written_input,
        "form": form,
        "comments_by_anchor": comments,
        "aside": carryover.sections_aside(written_input, user=request.user),
    }


@login_required
def input_edit(request, pk):
    written_input = _secretariat_input(
        request, pk, _with_source(content_queryset(), snapshot=True)
    )
    if not written_input.is_editable and request.method != "POST":
        messages.info(request, _("This input is read-only while it is with the reviewers."))
        return redirect("submissions:input-detail", pk=pk)
    sections = list(written_input.cycle.outline.sections.all())
    form_kwargs = {
        "written_input": written_input,
        "sections": sections,
        "objectives": list(objectives_for_form()),
    }
    comments = _comments_by_anchor(written_input)
    if request.method != "POST":
        form = ContentForm(initial=content_initial(written_input, sections), **form_kwargs)
        context = _edit_context(request, written_input, form, comments)
        return render(request, "submissions/input_edit.html", context)

    form = ContentForm(request.POST, **form_kwargs)
    context = _edit_context(request, written_input, form, comments)
    if not form.is_valid():
        return render(request, "submissions/input_edit.html", context)
    try:
        editing.save_content(
            written_input,
            form.changes(),
            by=request.user,
            expected_version=form.cleaned_data["version"],
        )
    except editing.EditRefused as refusal:
        # The input left the editable states while this person typed (e.g. the lead
        # submitted it): show their text again, unsaved, so nothing is lost.
        context["refused"] = refusal.message
        return render(request, "submissions/input_edit.html", context, status=409)
    except editing.StaleEdit as stale:
        current = content_queryset().get(pk=pk)
        merged, other_changes = merge_stale(form, content_initial(current, sections))
        form = ContentForm(merged, **form_kwargs)
        if form.is_valid() and not other_changes:
            # Both people changed different fields: keep both, no question to ask.
            try:
                editing.save_content(
                    written_input,
                    form.changes(),
                    by=request.user,
                    expected_version=current.version,
                )
            except (editing.StaleEdit, editing.EditRefused):
                pass  # a third save in between: show the merge below instead
            else:
                messages.success(
                    request,
                    _("Draft saved. %(who)s had saved other parts meanwhile; both are kept.")
                    % {"who": stale.current.updated_by.get_full_name()},
                )
                return redirect("submissions:input-edit", pk=pk)
        for name, value in other_changes.items():
            form.fields[name].other_change = value
        context = _edit_context(request, written_input, form, comments, saved=current)
        context.update({"stale": stale.current, "other_changes": other_changes})
        return render(request, "submissions/input_edit.html", context, status=409)
    messages.success(request, _("Draft saved."))
    return redirect("submissions:input-edit", pk=pk)


@login_required
def input_details(request, pk):
    written_input = _secretariat_input(request, pk, content_queryset())
    if not written_input.is_editable and request.method != "POST":
        messages.info(request, _("This input is read-only while it is with the reviewers."))
        return redirect("submissions:input-detail", pk=pk)
    initial = {
        "lead_iscm": written_input.lead_iscm_id,
        "partner_iscms": [i.pk for i in written_input.partner_iscms.all()],
        "target_reviews": [r.pk for r in written_input.target_reviews.all()],
        "title": written_input.title,
        "language": written_input.language,
        "basis": written_input.basis,
        "version": written_input.version,
    }
    form = InputDetailsForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        user=request.user,
        cycle=written_input.cycle,
        today=timezone.localdate(),
        instance=written_input,
        can_change_participants=WrittenInput.objects.led_by(request.user).filter(pk=pk).exists(),
    )
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            editing.update_details(
                written_input,
                by=request.user,
                expected_version=data["version"] or 0,
                partners=data["partner_iscms"],
                targets=data["target_reviews"],
                title=data["title"],
                language=data["language"],
                basis=data["basis"],
            )
        except editing.StaleEdit as error:
            form.add_error(
                None,
                _(
                    "%(who)s changed this input while you were editing. Your choices are "
                    "kept below; check them against the input and save again."
                )
                % {"who": error.current.updated_by.get_full_name()},
            )
            form.data = form.data.copy()
            form.data["version"] = str(error.current.version)
            status = 409
        except editing.EditRefused as refusal:
            form.add_error(None, refusal.message)
            status = 409
        else:
            messages.success(request, _("Details saved."))
            return redirect("submissions:input-detail", pk=pk)
    return render(
        request,
        "submissions/input_details.html",
        {"input": written_input, "form": form},
        status=status,
    )


@login_required
def input_preview(request, pk):
    written_input = _secretariat_input(request, pk, content_queryset())
    document = take_snapshot(written_input)
    return render(
        request,
        "submissions/input_preview.html",
        {
            "input": written_input,
            "doc": document,
            "objective_groups": objectives_by_round_table(document["objectives"]),
        },
    )


@require_POST
@login_required
def input_submit(request, pk):
    written_input = _secretariat_input(request, pk)
    send = (
        workflow.resubmit_input
        if written_input.status == Status.CHANGES_REQUESTED
        else workflow.submit_input
    )
    try:
        send(written_input, by=request.user, today=timezone.localdate())
    except workflow.TransitionRefused as refusal:
        messages.error(request, refusal.message)
        for problem in refusal.problems:
            messages.error(request, problem.message)
    else:
        messages.success(
            request,
            _("Submitted. The secretariats of the ISCMs involved have been notified."),
        )
    return redirect("submissions:input-detail", pk=pk)


@login_required
def input_withdraw(request, pk):
    # Withdrawing is the lead secretariat's alone: partners get a 404, as for any page
    # that is not theirs (the input page tells them who may withdraw).
    written_input = _secretariat_input(request, pk, WrittenInput.objects.led_by(request.user))
    form = WithdrawForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            workflow.withdraw_input(
                written_input, by=request.user, reason=form.cleaned_data["reason"]
            )
        except workflow.TransitionRefused as refusal:
            form.add_error(None, refusal.message)
        else:
            messages.success(request, _("The input has been withdrawn."))
            return redirect("submissions:input-detail", pk=pk)
    return render(
        request, "submissions/input_withdraw.html", {"input": written_input, "form": form}
    )


@require_POST
@login_required
def input_consent(request, pk):
    written_input = _secretariat_input(request, pk)
    consent = request.POST.get("consent") == "yes"
    try:
        workflow.set_publication_consent(written_input, by=request.user, consent=consent)
    except workflow.TransitionRefused as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(
            request,
            _("Consent to publication given.")
            if consent
            else _("Consent to publication withdrawn."),
        )
    return redirect("submissions:input-detail", pk=pk)


@require_POST
@login_required
def attachment_upload(request, pk):
    written_input = _secretariat_input(
        request, pk, _with_source(content_queryset().with_decisions())
    )
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            editing.add_attachment(
                written_input,
                form.cleaned_data["file"],
                title=form.cleaned_data["title"],
                by=request.user,
            )
        except ValidationError as refusal:
            form.add_error("file", refusal)
        except editing.EditRefused as refusal:
            if not written_input.is_editable:
                # The input is read-only: the upload form is no longer on the page.
                messages.error(request, refusal.message)
                return redirect("submissions:input-detail", pk=pk)
            form.add_error("file", refusal.message)
        else:
            messages.success(request, _("Attachment added."))
            return redirect("submissions:input-detail", pk=pk)
    # Show the page again with the reason next to the file field.
    return render(
        request,
        "submissions/input_detail.html",
        _detail_context(request, written_input, attachment_form=form),
        status=400,
    )


@require_POST
@login_required
def attachment_delete(request, pk, attachment_pk):
    written_input = _secretariat_input(request, pk)
    attachment = get_object_or_404(Attachment, pk=attachment_pk, input=written_input)
    try:
        editing.remove_attachment(attachment, by=request.user)
    except editing.EditRefused as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, _("Attachment removed."))
    return redirect("submissions:input-detail", pk=pk)


@login_required
def attachment_download(request, attachment_pk):
    """Serve an attachment to someone who may see its input. Always as a download, with
    nosniff, so a browser never renders an uploaded file as a page."""
    attachment = get_object_or_404(
        Attachment.objects.filter(input__in=WrittenInput.objects.visible_to(request.user)),
        pk=attachment_pk,
    )
    if not WrittenInput.objects.for_secretariat(request.user).filter(pk=attachment.input_id):
        # Reviewers and staff read submitted versions, not the live draft: only files
        # that a submitted version refers to.
        submitted_ids = {
            entry.get("id")
            for snapshot in attachment.input.versions.values_list("snapshot", flat=True)
            for entry in snapshot.get("attachments", [])
        }
        if attachment.pk not in submitted_ids:
            raise Http404("Not part of a submitted version")
    return serve_stored_file(
        attachment.file, filename=attachment.display_name, content_type=attachment.content_type
    )


@login_required
def input_diff(request, pk):
    """What changed between two submitted versions ("what changed since changes were
    requested"), for the input's secretariats."""
    written_input = _secretariat_input(request, pk)
    return render_version_diff(request, written_input, "submissions/input_diff.html")


@login_required
def input_pdf_download(request, pk):
    """The input as PDF: a submitted version (`?version=N`), or the live draft as it
    stands, so the secretariat sees the print layout before submitting."""
    written_input = _secretariat_input(request, pk, content_queryset())
    number = request.GET.get("version")
    if number:
        version = version_or_404(written_input, number)
        return pdf_response(written_input, version.snapshot, version_number=version.number)
    return pdf_response(written_input, take_snapshot(written_input), version_number=None)
