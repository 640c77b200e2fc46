"""Secretariat teams: who is on an ISCM's secretariat and who leads it.

Every change goes through one of these functions, which check the rules
(`accounts.rules`), keep a lead on every team that has one, keep the role groups in
step (`submissions.roles.sync_role_groups`) and write the audit trail.

The lead rule: a change that would leave a team without an active lead — removing,
stepping down or deactivating its last one — is refused, so the last lead cannot
leave the team empty or leaderless; they hand the lead on first.
"""

from django.db import transaction
from django.utils.translation import gettext as _

from submissions.models import ISCM, Membership
from submissions.roles import sync_role_groups

from . import rules
from .errors import Refused, isolated
from .models import AuditEntry


def team_of(iscm: ISCM):
    """The members of `iscm`'s secretariat, leads first, with their accounts."""
    return (
        Membership.objects.filter(iscm=iscm)
        .select_related("user")
        .order_by("-is_lead", "user__full_name", "user__email")
    )


def lead_candidates(iscm: ISCM):
    """The members the lead may be handed to: active, not leading already."""
    return Membership.objects.filter(
        iscm=iscm, is_lead=False, user__is_active=True
    ).select_related("user")


def lock_team(iscm: ISCM) -> None:
    # Team changes of one ISCM queue on its row, so two leads stepping down at the same
    # moment cannot both pass the "another lead remains" check.
    ISCM.objects.select_for_update().filter(pk=iscm.pk).first()


def refuse_if_last_lead(iscm: ISCM, *, leaving_user_ids) -> None:
    """Refuse a change that takes `leaving_user_ids` out of the leads of `iscm` if no
    active lead would remain (a team that has no active lead now is left alone)."""
    leads = set(
        Membership.objects.filter(iscm=iscm, is_lead=True, user__is_active=True).values_list(
            "user_id", flat=True
        )
    )
    if leads and not leads - set(leaving_user_ids):
        raise Refused(
            _(
                "%(iscm)s would be left without a team lead. Make another member lead "
                "first (the last lead cannot leave the team empty)."
            )
            % {"iscm": iscm.acronym}
        )


def add_member(*, iscm: ISCM, user, by, as_lead: bool = False) -> Membership:
    """Put `user` on `iscm`'s secretariat (administrators; invitations go through
    `accounts.invitations`). The first member of a team without a lead leads it.

    Side effects: a Membership (or an existing one made lead), role groups, audit."""
    if not rules.is_administrator(by):
        raise Refused(_("Only an administrator can add an existing account to a team."))
    if not user.is_active:
        raise Refused(_("%(person)s is deactivated.") % {"person": isolated(user.get_full_name())})
    with transaction.atomic():
        lock_team(iscm)
        return join_locked_team(iscm=iscm, user=user, by=by, as_lead=as_lead)


def join_locked_team(*, iscm: ISCM, user, by, as_lead: bool) -> Membership:
    """Put `user` on `iscm`'s team, the caller holding the team's lock (`lock_team`, in
    its transaction) and having checked who may: `add_member` and an accepted
    invitation (`accounts.invitations`). The first member of a team without an active
    lead leads it.

    Side effects: a Membership (or an existing one made lead), role groups, audit."""
    has_lead = Membership.objects.filter(iscm=iscm, is_lead=True, user__is_active=True).exists()
    membership, created = Membership.objects.get_or_create(
        user=user, iscm=iscm, defaults={"is_lead": as_lead or not has_lead}
    )
    if created:
        AuditEntry.record(AuditEntry.Action.MEMBER_ADDED, actor=by, person=user, iscm=iscm)
        if membership.is_lead:
            AuditEntry.record(AuditEntry.Action.LEAD_GIVEN, actor=by, person=user, iscm=iscm)
        sync_role_groups(user)
    elif as_lead and not membership.is_lead:
        membership.is_lead = True
        membership.save(update_fields=["is_lead"])
        AuditEntry.record(AuditEntry.Action.LEAD_GIVEN, actor=by, person=user, iscm=iscm)
    return membership


def remove_member(membership: Membership, *, by) -> None:
    """Take a member off the team: by a lead of the ISCM, an administrator, or the
    member themselves (leaving). Refused if it would leave the team without a lead.

    Side effects: deletes the Membership (the person's past events and versions keep
    naming them), role groups, audit."""
    iscm = membership.iscm
    leaving = membership.user_id == by.pk
    if not (leaving or rules.may_manage_team(by, iscm)):
        raise Refused(
            _("Only a lead of %(iscm)s can remove its members.") % {"iscm": iscm.acronym}
        )
    with transaction.atomic():
        lock_team(iscm)
        membership = Membership.objects.select_related("user").get(pk=membership.pk)
        refuse_if_last_lead(iscm, leaving_user_ids={membership.user_id})
        membership.delete()
        AuditEntry.record(
            AuditEntry.Action.MEMBER_REMOVED,
            actor=by,
            person=membership.user,
            iscm=iscm,
            detail=_("left the team") if leaving else "",
        )
        sync_role_groups(membership.user)


def set_lead(membership: Membership, *, lead: bool, by) -> Membership:
    """Make a member lead, or take the lead from them (also a lead stepping down).
    Refused if it would leave the team without a lead.

    Side effects: Membership.is_lead, audit."""
    iscm = membership.iscm
    stepping_down = not lead and membership.user_id == by.pk
    if not (stepping_down or rules.may_manage_team(by, iscm)):
        raise Refused(
            _("Only a lead of %(iscm)s can change who leads it.") % {"iscm": iscm.acronym}
        )
    with transaction.atomic():
        lock_team(iscm)
        membership = Membership.objects.select_related("user").get(pk=membership.pk)
        if membership.is_lead == lead:
            return membership
        if lead and not membership.user.is_active:
            raise Refused(
                _("%(person)s is deactivated and cannot lead the team.")
                % {"person": isolated(membership.user.get_full_name())}
            )
        if not lead:
            refuse_if_last_lead(iscm, leaving_user_ids={membership.user_id})
        membership.is_lead = lead
        membership.save(update_fields=["is_lead"])
        AuditEntry.record(
            AuditEntry.Action.LEAD_GIVEN if lead else AuditEntry.Action.LEAD_TAKEN,
            actor=by,
            person=membership.user,
            iscm=iscm,
        )
    return membership


def hand_over_lead(iscm: ISCM, *, to: Membership, by) -> None:
    """The chair rotates: `to` becomes lead and `by` (a lead) stops being one, in one
    step, so the team is never without a lead."""
    if to.iscm_id != iscm.pk:
        raise Refused(_("That person is not on the team of %(iscm)s.") % {"iscm": iscm.acronym})
    if to.user_id == by.pk:
        raise Refused(_("Choose another member to hand the lead to."))
    with transaction.atomic():
        set_lead(to, lead=True, by=by)
        own = Membership.objects.filter(iscm=iscm, user=by, is_lead=True).first()
        if own is not None:
            set_lead(own, lead=False, by=by)
