"""IOM staff management of people: region assignments, deactivation. Team
memberships are in `accounts.teams`, invitations in `accounts.invitations`.

Every function here is for administrators only, checks it, and writes the audit
trail; role groups follow the rows (`submissions.roles.sync_role_groups`).
"""

from django.db import transaction
from django.utils.translation import gettext as _

from submissions.models import Membership, ReviewerAssignment
from submissions.roles import sync_role_groups

from . import rules
from .errors import Refused, isolated
from .models import AuditEntry
from .teams import refuse_if_last_lead


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


def deactivate(user, *, by) -> None:
    """Close an account while keeping everything it did: the person can no longer sign
    in (their open sessions end at their next request: Django's backend refuses an
    inactive user), and receives no mail; their memberships, assignments, events and
    versions stay, so history still names them. Refused for one's own account and
    for the last active lead of a team (hand the lead on first)."""
    _require_administrator(by)
    if user.pk == by.pk:
        raise Refused(_("You cannot deactivate your own account."))
    with transaction.atomic():
        for membership in Membership.objects.filter(user=user, is_lead=True).select_related(
            "iscm"
        ):
            refuse_if_last_lead(membership.iscm, leaving_user_ids={user.pk})
        user.is_active = False
        user.save(update_fields=["is_active"])
        AuditEntry.record(AuditEntry.Action.DEACTIVATED, actor=by, person=user)


def reactivate(user, *, by) -> None:
    _require_administrator(by)
    with transaction.atomic():
        user.is_active = True
        user.save(update_fields=["is_active"])
        AuditEntry.record(AuditEntry.Action.REACTIVATED, actor=by, person=user)
