"""Roles, derived from data.

A person's scope is in their rows: `Membership` (secretariat of an ISCM) and
`ReviewerAssignment` (reviewer or compiler for a region). Roles follow from those
rows and nothing else; administrators are the users with `is_staff`.

The auth groups named after the roles mirror the same facts so Django permissions
and the admin's user lists can use them. `sync_role_groups` is the one function that
writes them; call it whenever memberships or assignments of a person change.
"""

from dataclasses import dataclass

from django.contrib.auth.models import Group

from .models import Membership, ReviewerAssignment

SECRETARIAT = "secretariat"
REVIEWER = ReviewerAssignment.Role.REVIEWER.value
COMPILER = ReviewerAssignment.Role.COMPILER.value
ROLE_GROUPS = (SECRETARIAT, REVIEWER, COMPILER)


@dataclass(frozen=True)
class Roles:
    secretariat: bool = False
    reviewer: bool = False
    compiler: bool = False
    administrator: bool = False

    @property
    def iom_staff(self) -> bool:
        return self.reviewer or self.compiler or self.administrator

    def names(self) -> list[str]:
        return [name for name in (*ROLE_GROUPS, "administrator") if getattr(self, name)]


def roles_of(user) -> Roles:
    """The roles of `user` (two queries for a signed-in person, none for anonymous)."""
    if not user.is_authenticated:
        return Roles()
    staff_roles = set(
        ReviewerAssignment.objects.filter(user=user)
        .order_by()
        .values_list("role", flat=True)
        .distinct()
    )
    return Roles(
        secretariat=Membership.objects.filter(user=user).exists(),
        reviewer=REVIEWER in staff_roles,
        compiler=COMPILER in staff_roles,
        administrator=user.is_staff,
    )


def roles_for_request(request) -> Roles:
    """The roles of the person making `request`, worked out once per request (the
    navigation and the second-factor check both ask)."""
    roles = getattr(request, "_portal_roles", None)
    if roles is None:
        roles = request._portal_roles = roles_of(request.user)
    return roles


def ensure_role_groups() -> dict[str, Group]:
    return {name: Group.objects.get_or_create(name=name)[0] for name in ROLE_GROUPS}


def sync_role_groups(user) -> None:
    """Put `user` in exactly the role groups that their rows give them.

    Side effects: creates the role groups if missing; adds and removes the user's
    role-group memberships (other groups are left alone).
    """
    groups = ensure_role_groups()
    roles = roles_of(user)
    wanted = {groups[name] for name in ROLE_GROUPS if getattr(roles, name)}
    unwanted = set(groups.values()) - wanted
    user.groups.add(*wanted)
    user.groups.remove(*unwanted)
