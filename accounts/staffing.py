"""IOM staff management of people: region assignments, deactivation. Team
memberships are in `accounts.teams`, invitations in `accounts.invitations`.

Every function here is for administrators only, checks it, and writes the audit
trail; role groups follow the rows (`submissions.roles.sync_role_groups`).
"""

from django.db import transaction
from django.utils.translation import gettext as _

from submissions.models import ISCM, ReviewerAssignment
from submissions.roles import sync_role_groups

from . import rules
from .errors import Refused, isolated
from .models import AuditEntry
from .teams import lock_team, refuse_if_last_lead


def _require_administrator(by) -> None:
    if not rules.is_administrator(by):
        raise Refused(_("Only an administrator can do this."))


def add_assignment(*, user, region, role: str, by) -> ReviewerAssignment:
    """Assign `user` to `region` as reviewer or compiler (nothing if they already are)."""
    _require_administrator(by)
    if not user.is_active:
        raise Refused(_("%(person)s is deactivated.") % {"person": isolated(user.get_full_name())})
    with transaction.atomic():
        assignment, created = ReviewerAssignment.objects.get_or_create(
            user=user, region=region, role=role
        )
        if created:
            AuditEntry.record(
                AuditEntry.Action.ASSIGNMENT_ADDED,
                actor=by,
                person=user,
                region=region,
                detail=assignment.get_role_display(),
            )
            sync_role_groups(user)
    return assignment


def remove_assignment(assignment: ReviewerAssignment, *, by) -> None:
    _require_administrator(by)
    with transaction.atomic():
        assignment.delete()
        AuditEntry.record(
            AuditEntry.Action.ASSIGNMENT_REMOVED,
            actor=by,
            person=assignment.user,
            region=assignment.region,
            detail=assignment.get_role_display(),
        )
        sync_role_groups(assignment.user)


def deactivate(user, *, by) -> list:
    """Close an account while keeping everything it did: the person can no longer sign
    in (their open sessions end at their next request: Django's backend refuses an
    inactive user), and receives no mail; their memberships, assignments, events and
    versions stay, so history still names them. Refused for one's own account.

    An administrator may close the account of a team's last active lead (a departed or
    compromised person must be lockable at once): the team is then without an active
    lead until one is named or the next member joins (who leads it). Returns those
    teams' ISCMs, for the administrator to follow up."""
    _require_administrator(by)
    if user.pk == by.pk:
        raise Refused(_("You cannot deactivate your own account."))
    with transaction.atomic():
        led = list(
            ISCM.objects.filter(memberships__user=user, memberships__is_lead=True).order_by("pk")
        )
        leaderless = []
        for iscm in led:  # in pk order: every team change locks its ISCM the same way
            lock_team(iscm)
            try:
                refuse_if_last_lead(iscm, leaving_user_ids={user.pk})
            except Refused:
                leaderless.append(iscm)
        user.is_active = False
        user.save(update_fields=["is_active"])
        AuditEntry.record(
            AuditEntry.Action.DEACTIVATED,
            actor=by,
            person=user,
            detail=", ".join(i.acronym for i in leaderless),
        )
    return leaderless


def reactivate(user, *, by) -> None:
    _require_administrator(by)
    with transaction.atomic():
        user.is_active = True
        user.save(update_fields=["is_active"])
        AuditEntry.record(AuditEntry.Action.REACTIVATED, actor=by, person=user)
