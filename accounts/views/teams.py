"""An ISCM's team page: its members and leads, for the team itself; leads (and
administrators) manage it. Anyone who is not on the team and not an administrator
gets a 404."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from submissions.models import ISCM, Membership

from .. import invitations, rules, teams
from ..errors import Refused, isolated
from ..forms import HandOverForm, MemberByEmailForm, TeamInvitationForm
from ..models import Invitation
from . import safe_next


def _team_iscm(request, slug) -> tuple[ISCM, bool]:
    """The ISCM and whether the person may manage its team; 404 for anyone neither on
    the team nor an administrator."""
    iscm = get_object_or_404(ISCM, slug=slug)
    administrator = rules.is_administrator(request.user)
    membership = Membership.objects.filter(iscm=iscm, user=request.user).first()
    if membership is None and not administrator:
        raise Http404
    manages = administrator or (membership is not None and membership.is_lead)
    return iscm, manages


@login_required
def team(request, slug, invite_form=None, handover_form=None, add_form=None, status=200):
    iscm, manages = _team_iscm(request, slug)
    members = list(teams.team_of(iscm))
    pending = []
    if manages:
        pending = list(
            Invitation.objects.managed_by(request.user)
            .pending()
            .filter(role=Invitation.Role.SECRETARIAT, iscms=iscm)
            .order_by("-sent_at")
        )
    others = teams.lead_candidates(iscm)
    context = {
        "iscm": iscm,
        "members": members,
        "manages": manages,
        "is_member": any(m.user_id == request.user.pk for m in members),
        "leads": sum(1 for m in members if m.is_lead and m.user.is_active),
        "pending": pending,
        "invite_form": invite_form or TeamInvitationForm(),
        "handover_form": handover_form or HandOverForm(members=others),
        "add_form": (add_form or MemberByEmailForm())
        if rules.is_administrator(request.user)
        else None,
        "now": timezone.now(),
    }
    return render(request, "accounts/team.html", context, status=status)


@require_POST
@login_required
def invite(request, slug):
    iscm, manages = _team_iscm(request, slug)
    if not manages:
        raise Http404
    form = TeamInvitationForm(request.POST)
    if form.is_valid():
        try:
            invitations.create_invitation(
                by=request.user,
                email=form.cleaned_data["email"],
                role=Invitation.Role.SECRETARIAT,
                iscms=[iscm],
                language=get_language(),
            )
        except Refused as error:
            form.add_error("email", str(error))
        else:
            messages.success(
                request,
                _("Invitation sent to %(email)s.") % {"email": form.cleaned_data["email"]},
            )
            return redirect("accounts:team", slug=iscm.slug)
    return team(request, slug, invite_form=form, status=400)


@require_POST
@login_required
def add_member(request, slug):
    """An administrator puts an existing account on the team."""
    if not rules.is_administrator(request.user):
        raise Http404
    iscm = get_object_or_404(ISCM, slug=slug)
    form = MemberByEmailForm(request.POST)
    if form.is_valid():
        person = form.cleaned_data["person"]
        try:
            teams.add_member(
                iscm=iscm, user=person, by=request.user, as_lead=form.cleaned_data["as_lead"]
            )
        except Refused as error:
            form.add_error("person", str(error))
        else:
            messages.success(
                request,
                _("%(person)s is on the team of %(iscm)s.")
                % {"person": isolated(person.get_full_name()), "iscm": iscm.acronym},
            )
            return redirect("accounts:team", slug=iscm.slug)
    return team(request, slug, add_form=form, status=400)


def _member(request, slug, pk) -> tuple[ISCM, Membership, bool]:
    iscm, manages = _team_iscm(request, slug)
    membership = get_object_or_404(
        Membership.objects.select_related("user", "iscm"), pk=pk, iscm=iscm
    )
    return iscm, membership, manages


@require_POST
@login_required
def remove_member(request, slug, pk):
    iscm, membership, manages = _member(request, slug, pk)
    leaving = membership.user_id == request.user.pk
    if not (manages or leaving):
        raise Http404
    try:
        teams.remove_member(membership, by=request.user)
    except Refused as error:
        messages.error(request, str(error))
        return redirect("accounts:team", slug=iscm.slug)
    if leaving:
        messages.success(
            request, _("You have left the team of %(iscm)s.") % {"iscm": iscm.acronym}
        )
        return redirect("submissions:dashboard")
    messages.success(
        request,
        _("%(person)s is no longer on the team.")
        % {"person": isolated(membership.user.get_full_name())},
    )
    return redirect("accounts:team", slug=iscm.slug)


@require_POST
@login_required
def set_lead(request, slug, pk):
    iscm, membership, manages = _member(request, slug, pk)
    lead = request.POST.get("lead") == "yes"
    stepping_down = not lead and membership.user_id == request.user.pk
    if not (manages or stepping_down):
        raise Http404
    try:
        teams.set_lead(membership, lead=lead, by=request.user)
    except Refused as error:
        messages.error(request, str(error))
    else:
        name = isolated(membership.user.get_full_name())
        messages.success(
            request,
            (
                _("%(person)s now leads the team.")
                if lead
                else _("%(person)s no longer leads the team.")
            )
            % {"person": name},
        )
    return redirect("accounts:team", slug=iscm.slug)


@require_POST
@login_required
def hand_over(request, slug):
    iscm, manages = _team_iscm(request, slug)
    if not manages:
        raise Http404
    others = teams.lead_candidates(iscm)
    form = HandOverForm(request.POST, members=others)
    if form.is_valid():
        try:
            teams.hand_over_lead(iscm, to=form.cleaned_data["member"], by=request.user)
        except Refused as error:
            form.add_error("member", str(error))
        else:
            messages.success(
                request,
                _("%(person)s now leads the team of %(iscm)s.")
                % {
                    "person": isolated(form.cleaned_data["member"].user.get_full_name()),
                    "iscm": iscm.acronym,
                },
            )
            return redirect("accounts:team", slug=iscm.slug)
    return team(request, slug, handover_form=form, status=400)


def _managed_invitation(request, pk) -> Invitation:
    return get_object_or_404(Invitation.objects.managed_by(request.user), pk=pk)


def _back(request, fallback):
    return redirect(safe_next(request, fallback))


@require_POST
@login_required
def resend_invitation(request, pk):
    invitation = _managed_invitation(request, pk)
    try:
        invitations.resend_invitation(invitation, by=request.user)
    except Refused as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("A new link went to %(email)s; the old one no longer works.")
            % {"email": invitation.email},
        )
    return _back(request, "accounts:staff-invitations")


@require_POST
@login_required
def revoke_invitation(request, pk):
    invitation = _managed_invitation(request, pk)
    try:
        invitations.revoke_invitation(invitation, by=request.user)
    except Refused as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request, _("The invitation to %(email)s is revoked.") % {"email": invitation.email}
        )
    return _back(request, "accounts:staff-invitations")
