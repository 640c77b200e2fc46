"""Who may change whose access: the predicates every view and domain function of
`accounts` asks. One place for each rule.

- Administrators (active, `is_staff`) may do everything here.
- A team lead (a `Membership` with `is_lead`) may invite colleagues to the ISCMs they
  lead, as plain secretariat members, remove members and hand the lead on, for those
  ISCMs only. Nobody else may change anybody's access.
"""

from submissions.models import ISCM, Membership


def is_administrator(user) -> bool:
    return user.is_authenticated and user.is_active and user.is_staff


def led_iscm_ids(user) -> set[int]:
    if not user.is_authenticated or not user.is_active:
        return set()
    return set(
        Membership.objects.filter(user=user, is_lead=True).values_list("iscm_id", flat=True)
    )


def may_manage_team(user, iscm: ISCM) -> bool:
    return is_administrator(user) or iscm.pk in led_iscm_ids(user)


def may_invite(user, *, role: str, iscms=(), regions=(), as_lead=False) -> bool:
    """Whether `user` may send an invitation with this role and scope. A lead may
    only invite plain secretariat members of ISCMs they lead: never a reviewer, a
    compiler, a lead, or to any other ISCM."""
    from .models import Invitation

    if is_administrator(user):
        return True
    if role != Invitation.Role.SECRETARIAT or as_lead or regions:
        return False
    wanted = {iscm.pk for iscm in iscms}
    return bool(wanted) and wanted <= led_iscm_ids(user)
