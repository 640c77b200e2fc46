"""IOM staff management pages, for administrators (anyone else: 404): people and
their access, assignments per region, teams per ISCM, invitations, the audit trail.
Every change goes through `accounts.staffing`, `accounts.teams` or
`accounts.invitations`, which record it."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from submissions import outbox
from submissions.models import ISCM, Membership, OutgoingEmail, Region, ReviewerAssignment

from .. import invitations, rules, staffing, teams, twofactor
from ..errors import Refused, isolated
from ..forms import AssignByEmailForm, AssignmentAddForm, InvitationForm, MembershipAddForm
from ..models import AuditEntry, Invitation
from . import safe_next

PAGE_SIZE = 50


def administrators_only(view):
    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not rules.is_administrator(request.user):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapped


def _page(request, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


def _search(request) -> str:
    # NUL cannot be stored or searched for in PostgreSQL: it is dropped.
    return request.GET.get("q", "").replace("\x00", "").strip()[:100]


@administrators_only
def home(request):
    now = timezone.now()
    context = {
        "people": get_user_model().objects.filter(is_active=True).count(),
        "pending": Invitation.objects.pending(now).count(),
        "recent": AuditEntry.objects.select_related("actor", "person", "iscm", "region")[:10],
        "email_problems": outbox.problems().count(),
    }
    return render(request, "accounts/staff/home.html", context)


@administrators_only
def person_list(request):
    q = _search(request)
    people_qs = get_user_model().objects.order_by("full_name", "email")
    if q:
        people_qs = people_qs.filter(
            Q(full_name__icontains=q)
            | Q(email__icontains=q)
            | Q(memberships__iscm__acronym__iexact=q)
            | Q(region_assignments__region__code__iexact=q)
        ).distinct()
    active = request.GET.get("active")
    if active in ("yes", "no"):
        people_qs = people_qs.filter(is_active=active == "yes")
    page = _page(
        request,
        people_qs.prefetch_related(
            Prefetch("memberships", queryset=Membership.objects.select_related("iscm")),
            Prefetch(
                "region_assignments", queryset=ReviewerAssignment.objects.select_related("region")
            ),
        ),
    )
    return render(
        request, "accounts/staff/person_list.html", {"page": page, "q": q, "active": active}
    )


def _person(pk):
    return get_object_or_404(get_user_model(), pk=pk)


@administrators_only
def person_detail(request, pk, membership_form=None, assignment_form=None, status=200):
    person = _person(pk)
    context = {
        "person": person,
        "memberships": Membership.objects.filter(user=person).select_related("iscm"),
        "assignments": ReviewerAssignment.objects.filter(user=person).select_related("region"),
        "membership_form": membership_form or MembershipAddForm(),
        "assignment_form": assignment_form or AssignmentAddForm(),
        "has_second_factor": twofactor.has_second_factor(person),
        "entries": AuditEntry.objects.filter(Q(person=person) | Q(actor=person)).select_related(
            "actor", "person", "iscm", "region"
        )[:PAGE_SIZE],
    }
    return render(request, "accounts/staff/person_detail.html", context, status=status)


@require_POST
@administrators_only
def membership_add(request, pk):
    person = _person(pk)
    form = MembershipAddForm(request.POST)
    if form.is_valid():
        try:
            teams.add_member(
                iscm=form.cleaned_data["iscm"],
                user=person,
                by=request.user,
                as_lead=form.cleaned_data["as_lead"],
            )
        except Refused as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _("%(person)s is on the team of %(iscm)s.")
                % {
                    "person": isolated(person.get_full_name()),
                    "iscm": form.cleaned_data["iscm"].acronym,
                },
            )
            return redirect("accounts:staff-person", pk=person.pk)
    return person_detail(request, pk, membership_form=form, status=400)


@require_POST
@administrators_only
def assignment_add(request, pk):
    person = _person(pk)
    form = AssignmentAddForm(request.POST)
    if form.is_valid():
        try:
            staffing.add_assignment(
                user=person,
                region=form.cleaned_data["region"],
                role=form.cleaned_data["role"],
                by=request.user,
            )
        except Refused as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Assignment added."))
            return redirect("accounts:staff-person", pk=person.pk)
    return person_detail(request, pk, assignment_form=form, status=400)


@require_POST
@administrators_only
def assignment_remove(request, pk):
    assignment = get_object_or_404(
        ReviewerAssignment.objects.select_related("user", "region"), pk=pk
    )
    staffing.remove_assignment(assignment, by=request.user)
    messages.success(request, _("Assignment removed."))
    return redirect(
        safe_next(request, reverse("accounts:staff-person", args=[assignment.user_id]))
    )


@require_POST
@administrators_only
def person_active(request, pk):
    person = _person(pk)
    try:
        if request.POST.get("active") == "yes":
            staffing.reactivate(person, by=request.user)
            messages.success(
                request,
                _("%(person)s can sign in again.") % {"person": isolated(person.get_full_name())},
            )
        else:
            leaderless = staffing.deactivate(person, by=request.user)
            messages.success(
                request,
                _("%(person)s is deactivated: no sign-in, no mail; their history stays.")
                % {"person": isolated(person.get_full_name())},
            )
            if leaderless:
                messages.warning(
                    request,
                    _(
                        "These teams have no active lead now: %(iscms)s. Make a member "
                        "lead on the team page, or invite one as lead."
                    )
                    % {"iscms": ", ".join(iscm.acronym for iscm in leaderless)},
                )
    except Refused as error:
        messages.error(request, str(error))
    return redirect("accounts:staff-person", pk=person.pk)


@require_POST
@administrators_only
def person_second_factor_reset(request, pk):
    person = _person(pk)
    twofactor.remove_second_factor(person, by=request.user)
    messages.success(
        request,
        _(
            "The second factor of %(person)s is removed. If they are IOM staff, they set "
            "up a new one at their next sign-in."
        )
        % {"person": isolated(person.get_full_name())},
    )
    return redirect("accounts:staff-person", pk=person.pk)


@administrators_only
def region_list(request, forms_by_region=None, status=200):
    """Reviewers and compilers of every region, searchable, with a form per region to
    assign an existing account."""
    q = _search(request)
    assignments = ReviewerAssignment.objects.select_related("user").order_by(
        "role", "user__full_name", "user__email"
    )
    if q:
        assignments = assignments.filter(
            Q(user__full_name__icontains=q) | Q(user__email__icontains=q)
        )
    regions = list(
        Region.objects.order_by("code").prefetch_related(
            Prefetch("assignments", queryset=assignments, to_attr="matching")
        )
    )
    forms_by_region = forms_by_region or {}
    for region in regions:
        region.assign_form = forms_by_region.get(region.pk) or AssignByEmailForm(
            prefix=f"region-{region.pk}"
        )
    return render(
        request, "accounts/staff/region_list.html", {"regions": regions, "q": q}, status=status
    )


@require_POST
@administrators_only
def region_assign(request, pk):
    region = get_object_or_404(Region, pk=pk)
    form = AssignByEmailForm(request.POST, prefix=f"region-{region.pk}")
    if form.is_valid():
        person = form.cleaned_data["person"]
        try:
            staffing.add_assignment(
                user=person, region=region, role=form.cleaned_data["role"], by=request.user
            )
        except Refused as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _("%(person)s is assigned to %(region)s.")
                % {"person": isolated(person.get_full_name()), "region": region.code},
            )
            return redirect(reverse("accounts:staff-regions") + f"#region-{region.code}")
    return region_list(request, forms_by_region={region.pk: form}, status=400)


@administrators_only
def iscm_list(request):
    """Every ISCM with its members and leads, searchable by ISCM or person."""
    q = _search(request)
    iscms = ISCM.objects.order_by("acronym")
    if q:
        iscms = iscms.filter(
            Q(acronym__icontains=q)
            | Q(name__icontains=q)
            | Q(memberships__user__full_name__icontains=q)
            | Q(memberships__user__email__icontains=q)
        ).distinct()
    iscms = iscms.annotate(
        member_count=Count("memberships", distinct=True),
        lead_count=Count(
            "memberships",
            filter=Q(memberships__is_lead=True, memberships__user__is_active=True),
            distinct=True,
        ),
    ).prefetch_related(
        Prefetch(
            "memberships",
            queryset=Membership.objects.filter(is_lead=True).select_related("user"),
            to_attr="lead_members",
        )
    )
    return render(
        request, "accounts/staff/iscm_list.html", {"page": _page(request, iscms), "q": q}
    )


@administrators_only
def invitation_list(request):
    q = _search(request)
    status = request.GET.get("status", "")
    invitations_qs = Invitation.objects.select_related(
        "invited_by", "accepted_by"
    ).prefetch_related("iscms", "regions")
    if status in Invitation.Status.values:
        invitations_qs = invitations_qs.with_status(status)
    if q:
        invitations_qs = invitations_qs.filter(email__icontains=q)
    return render(
        request,
        "accounts/staff/invitation_list.html",
        {
            "page": _page(request, invitations_qs),
            "q": q,
            "status": status,
            "statuses": Invitation.Status.choices,
            "now": timezone.now(),
        },
    )


@administrators_only
def invitation_new(request):
    form = InvitationForm(request.POST or None, initial={"language": get_language()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            invitations.create_invitation(
                by=request.user,
                email=data["email"],
                role=data["role"],
                iscms=data["iscms"],
                regions=data["regions"],
                as_lead=data["as_lead"],
                language=data["language"],
            )
        except Refused as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request, _("Invitation sent to %(email)s.") % {"email": data["email"]}
            )
            return redirect("accounts:staff-invitations")
    return render(
        request,
        "accounts/staff/invitation_new.html",
        {"form": form},
        status=400 if form.is_bound else 200,
    )


@administrators_only
def audit(request):
    q = _search(request)
    entries = AuditEntry.objects.select_related("actor", "person", "iscm", "region")
    if q:
        entries = entries.filter(
            Q(email__icontains=q)
            | Q(person__full_name__icontains=q)
            | Q(actor__full_name__icontains=q)
            | Q(actor__email__icontains=q)
            | Q(iscm__acronym__iexact=q)
            | Q(region__code__iexact=q)
            | Q(detail__icontains=q)
        )
    return render(request, "accounts/staff/audit.html", {"page": _page(request, entries), "q": q})


@administrators_only
def email_list(request):
    """E-mails the mail server refused: failed ones (with "send again") and those
    waiting for their next attempt, newest first."""
    problems = outbox.problems().order_by("-created_at", "-pk")
    return render(
        request,
        "accounts/staff/email_list.html",
        {"page": _page(request, problems), "max_attempts": outbox.MAX_ATTEMPTS},
    )


@require_POST
@administrators_only
def email_send_again(request, pk):
    email = get_object_or_404(OutgoingEmail, pk=pk)
    if outbox.send_again(email.pk):
        messages.success(
            request,
            _("The e-mail to %(address)s is queued again: it goes out within a minute.")
            % {"address": email.to},
        )
    else:
        messages.info(
            request, _("The e-mail to %(address)s was sent already.") % {"address": email.to}
        )
    return redirect(safe_next(request, reverse("accounts:staff-emails")))
