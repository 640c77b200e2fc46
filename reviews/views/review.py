"""Pages of IOM reviewers: the queue, one input's review page, decisions, comments,
deadline extensions, and the overview of the open round.

An input is reachable here only through `WrittenInput.objects.reviewable_by(user)`:
a reviewer of another region, a secretariat member or an anonymous visitor gets 404.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Max
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from submissions import workflow
from submissions.comments import add_review_comment
from submissions.history import timeline
from submissions.models import (
    GCMObjective,
    OutlineSection,
    Region,
    ReviewComment,
    ReviewerAssignment,
    Status,
    WrittenInput,
)
from submissions.querystrings import parse_id
from submissions.responses import pdf_response, render_version_diff, version_or_404
from submissions.roles import roles_for_request
from submissions.snapshots import objectives_by_round_table

from .. import editions
from ..filters import QueueFilter
from ..forms import CommentForm, DecisionForm, ExtensionForm
from ..overview import round_overview

# action name → (workflow function, message: "required" / "optional" / None, the
# keyword the function takes it as, confirmation title, button label)
DECISIONS = {
    "request_changes": (
        workflow.request_changes,
        "required",
        "message",
        gettext_lazy("Request changes"),
        gettext_lazy("Send the request for changes"),
    ),
    "accept": (
        workflow.accept_input,
        "optional",
        "message",
        gettext_lazy("Accept the input"),
        gettext_lazy("Accept"),
    ),
    "decline": (
        workflow.decline_input,
        "required",
        "reason",
        gettext_lazy("Decline the input"),
        gettext_lazy("Decline"),
    ),
    "publish": (
        workflow.publish_input,
        None,
        None,
        gettext_lazy("Publish the input"),
        gettext_lazy("Publish"),
    ),
    "unpublish": (
        # With its package editions: reviews/editions.py
        editions.unpublish_input,
        "required",
        "reason",
        gettext_lazy("Take the input off the public portal"),
        gettext_lazy("Unpublish"),
    ),
}


def _reviewable_input(request, pk):
    return get_object_or_404(
        WrittenInput.objects.reviewable_by(request.user)
        .with_decisions()
        .select_related("lead_iscm", "cycle", "updated_by"),
        pk=pk,
    )


@login_required
def queue(request):
    regions = Region.objects.for_regions_of(request.user, role=ReviewerAssignment.Role.REVIEWER)
    if not regions.exists():
        raise Http404("Not a reviewer")
    reviewable = WrittenInput.objects.reviewable_by(request.user)
    data = request.GET.copy()
    data.setdefault("status", Status.SUBMITTED)
    filterset = QueueFilter(data, queryset=reviewable, regions=regions)
    inputs = (
        filterset.qs.with_decisions()
        .select_related("lead_iscm", "cycle")
        .prefetch_related("partner_iscms")
        # Waiting since the latest submission; the longest wait first.
        .annotate(waiting_since=Max("versions__created_at"))
        .order_by("waiting_since", "pk")
    )
    counts = dict(reviewable.values_list("status").annotate(total=Count("pk")).order_by())
    return render(
        request,
        "reviews/queue.html",
        {
            "filter": filterset,
            "inputs": inputs,
            "counts": [(value, label, counts.get(value, 0)) for value, label in Status.choices],
            "now": timezone.now(),
        },
    )


def _version_or_latest(written_input, number):
    versions = written_input.versions.order_by("number")
    if number:
        # ASCII digits only: "٣" is not version 3, and a huge number is no version.
        parsed = parse_id(number)
        if parsed is None:
            raise Http404("No such version")
        return get_object_or_404(versions, number=parsed)
    version = versions.last()
    if version is None:
        raise Http404("Never submitted")
    return version


@login_required
def input_review(request, pk, comment_form=None, status=200):
    written_input = _reviewable_input(request, pk)
    version = _version_or_latest(written_input, request.GET.get("version"))
    doc = version.snapshot
    comments = list(
        ReviewComment.objects.filter(input=written_input)
        .select_related("author", "section", "objective")
        .order_by("created_at", "pk")
    )
    by_anchor = {}
    for comment in comments:
        by_anchor.setdefault(comment.anchor, []).append(comment)

    versions = list(written_input.versions.order_by("-number").select_related("created_by"))
    decidable = workflow.decidable_reviews(written_input, request.user)
    return render(
        request,
        "reviews/input.html",
        {
            "input": written_input,
            "version": version,
            "versions": versions,
            "doc": doc,
            "objective_groups": objectives_by_round_table(doc["objectives"]),
            "comments_by_anchor": by_anchor,
            "pending_comments": [
                c for c in comments if c.released_at is None and c.visibility == "secretariat"
            ],
            "timeline": timeline(written_input, staff=True),
            "comment_form": comment_form or CommentForm(snapshot=doc),
            # Decisions only while a review of the reviewer's regions has not decided;
            # publication by a reviewer of a region that accepted it.
            "decisions": [
                (name, title)
                for name, (_fn, _message, _keyword, title, _label) in DECISIONS.items()
                if written_input.status in workflow.TRANSITIONS[name].sources
                and (decidable or not workflow.TRANSITIONS[name].decision)
            ],
        },
        status=status,
    )


@require_POST
@login_required
def comment_add(request, pk):
    written_input = _reviewable_input(request, pk)
    version = _version_or_latest(written_input, None)
    form = CommentForm(request.POST, snapshot=version.snapshot)
    if not form.is_valid():
        return input_review(request, pk, comment_form=form, status=400)
    anchor = form.cleaned_data["anchor"]
    section = objective = None
    kind, _sep, number = anchor.partition("-")
    if kind == "section":
        section = OutlineSection.objects.filter(
            outline=written_input.cycle.outline_id, number=number
        ).first()
    elif kind == "objective":
        objective = GCMObjective.objects.filter(number=number).first()
    try:
        add_review_comment(
            written_input,
            by=request.user,
            body=form.cleaned_data["body"],
            internal=form.cleaned_data["visibility"] == "internal",
            section=section,
            objective=objective,
        )
    except workflow.TransitionRefused as refusal:
        form.add_error(None, refusal.message)
        return input_review(request, pk, comment_form=form, status=400)
    messages.success(request, _("Comment saved."))
    return redirect(reverse("reviews:input", args=[pk]) + f"#doc-{anchor}")


@login_required
def decide(request, pk, action):
    if action not in DECISIONS:
        raise Http404("No such decision")
    written_input = _reviewable_input(request, pk)
    function, message, keyword, title, button = DECISIONS[action]
    per_review = bool(workflow.TRANSITIONS[action].decision)
    form = DecisionForm(
        request.POST if request.method == "POST" else None,
        initial={"version": written_input.version},
        message=message,
        message_label=_("Reason") if keyword == "reason" else None,
        reviews=workflow.decidable_reviews(written_input, request.user) if per_review else [],
    )
    pending = (
        ReviewComment.objects.filter(input=written_input)
        .pending()
        .select_related("section", "objective")
    )
    status = 200
    if request.method == "POST" and form.is_valid():
        kwargs = {"by": request.user, "expected_version": form.cleaned_data["version"]}
        if keyword:
            kwargs[keyword] = form.cleaned_data["message"]
        if "reviews" in form.cleaned_data:
            kwargs["reviews"] = form.cleaned_data["reviews"]
        try:
            function(written_input, **kwargs)
        except workflow.TransitionRefused as refusal:
            # Someone else was faster, or a rule stands in the way: say which, keep
            # what was typed.
            form.add_error(None, refusal.message)
            status = 409
        else:
            messages.success(request, _("Done: %(title)s.") % {"title": title})
            return redirect("reviews:input", pk=pk)
    return render(
        request,
        "reviews/decide.html",
        {
            "input": written_input,
            "action": action,
            "title": title,
            "button": button,
            "form": form,
            "pending": pending if workflow.TRANSITIONS[action].releases_comments else [],
        },
        status=status,
    )


@login_required
def extension(request, pk):
    """Give one input a later deadline. Reachable for late drafts too (from the
    overview): the page shows who and which reviews, never a draft's content."""
    written_input = get_object_or_404(
        WrittenInput.objects.extendable_by(request.user).select_related("lead_iscm"), pk=pk
    )
    form = ExtensionForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            workflow.grant_extension(
                written_input,
                by=request.user,
                until=form.cleaned_data["until"],
                today=timezone.localdate(),
                reason=form.cleaned_data["reason"],
            )
        except workflow.TransitionRefused as refusal:
            form.add_error("until", refusal.message)
        else:
            messages.success(request, _("Deadline extended for this input."))
            if WrittenInput.objects.reviewable_by(request.user).filter(pk=pk).exists():
                return redirect("reviews:input", pk=pk)
            return redirect("reviews:overview")
    return render(
        request,
        "reviews/extension.html",
        {
            "input": written_input,
            "form": form,
            "targets": [
                (review, written_input.deadline_for(review))
                for review in written_input.target_reviews.select_related("region")
            ],
        },
        status=400 if form.errors else 200,
    )


@login_required
def overview(request):
    """Per regional review of the current round: the ISCMs covering the region and
    where each stands. For IOM staff (reviewers, compilers, administrators)."""
    if not roles_for_request(request).iom_staff:
        raise Http404("IOM staff only")
    overview = round_overview()
    # Only who may extend an input sees its title and the link (a reviewer of its
    # region); other staff see where each ISCM stands, not other regions' drafts.
    extendable = (
        set(WrittenInput.objects.extendable_by(request.user).values_list("pk", flat=True))
        if overview.cycle is not None
        else set()
    )
    return render(
        request,
        "reviews/overview.html",
        {
            "cycle": overview.cycle,
            "rows": overview.rows,
            "extendable": extendable,
            "unstaffed": overview.unstaffed,
        },
    )


@login_required
def version_diff(request, pk):
    written_input = _reviewable_input(request, pk)
    return render_version_diff(request, written_input, "reviews/diff.html")


@login_required
def input_pdf(request, pk):
    """A submitted version (the latest by default, `?version=N`) as PDF."""
    written_input = _reviewable_input(request, pk)
    version = version_or_404(written_input, request.GET.get("version"))
    return pdf_response(written_input, version.snapshot, version_number=version.number)
