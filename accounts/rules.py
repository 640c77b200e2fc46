"""Who may change whose access: the predicates every view and domain function of
`accounts` asks. One place for each rule.

- Administrators (active, `is_staff`) may do everything here.
- A team lead (a `Membership` with `is_lead`) may invite colleagues to the ISCMs they
  lead, as plain secretariat members, remove members and hand the lead on, for those
  ISCMs only. Nobody else may change anybody's access.
- Secretariat invitations never go to IOM staff (reviewers, compilers) or
  administrators, from anyone, administrators included: a reviewer must not sit on the
  side of the inputs they review, and a team lead must not be able to pull an IOM
  account into their team. Checked when the invitation is sent and again when it is
  accepted (the account may have become staff meanwhile). An administrator who really
  means it adds the account on the team page (`teams.add_member`), which is audited.
"""

from submissions.models import ISCM, Membership
from submissions.roles import roles_of

from .models import Invitation


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
    if is_administrator(user):
        return True
    if role != Invitation.Role.SECRETARIAT or as_lead or regions:
        return False
    wanted = {iscm.pk for iscm in iscms}
    return bool(wanted) and wanted <= led_iscm_ids(user)


def may_join_secretariat_by_invitation(person) -> bool:
    """Whether an existing account `person` may receive a secretariat invitation (a
    new address always may): not IOM staff or an administrator."""
    return person is None or not roles_of(person).iom_staff
