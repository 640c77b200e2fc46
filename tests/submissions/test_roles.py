import pytest
from django.contrib.auth.models import AnonymousUser, Group

from submissions.roles import Roles, roles_of, sync_role_groups

from ..factories import MembershipFactory, ReviewerAssignmentFactory, UserFactory

pytestmark = pytest.mark.django_db


def _groups(user):
    return set(user.groups.values_list("name", flat=True))


def test_roles_follow_memberships_and_assignments(django_assert_max_num_queries):
    user = UserFactory()
    assert roles_of(user) == Roles()
    MembershipFactory(user=user)
    ReviewerAssignmentFactory(user=user, role="compiler")
    with django_assert_max_num_queries(2):
        roles = roles_of(user)
    assert roles == Roles(secretariat=True, compiler=True)
    assert roles.iom_staff
    assert roles.names() == ["secretariat", "compiler"]


def test_anonymous_has_no_roles():
    assert roles_of(AnonymousUser()) == Roles()


def test_sync_role_groups_adds_and_removes_only_role_groups():
    user = UserFactory()
    other = Group.objects.create(name="newsletter")
    user.groups.add(other)
    membership = MembershipFactory(user=user)
    sync_role_groups(user)
    assert _groups(user) == {"secretariat", "newsletter"}

    membership.delete()
    ReviewerAssignmentFactory(user=user)
    sync_role_groups(user)
    assert _groups(user) == {"reviewer", "newsletter"}
