import pytest
from django.contrib.auth.models import Group

from submissions.models import Membership
from submissions.roles import Roles, roles_of, sync_role_groups

from ..factories import ISCMFactory, MembershipFactory, ReviewerAssignmentFactory, UserFactory

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
    from django.contrib.auth.models import AnonymousUser

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


def test_admin_adding_a_membership_puts_the_person_in_the_secretariat_group(client, admin_user_):
    person = UserFactory()
    iscm = ISCMFactory()
    client.force_login(admin_user_)
    response = client.post(
        "/admin/submissions/membership/add/", {"user": person.pk, "iscm": iscm.pk}
    )
    assert response.status_code == 302
    assert _groups(person) == {"secretariat"}

    membership = Membership.objects.get(user=person)
    response = client.post(
        f"/admin/submissions/membership/{membership.pk}/delete/", {"post": "yes"}
    )
    assert response.status_code == 302
    assert _groups(person) == set()


def test_admin_user_page_inline_assignment_syncs_groups(client, admin_user_):
    person = UserFactory(email="inline@example.org")
    region = ReviewerAssignmentFactory().region
    client.force_login(admin_user_)
    data = {
        "email": person.email,
        "full_name": person.full_name,
        "is_active": "on",
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "10:00:00",
        "memberships-TOTAL_FORMS": "0",
        "memberships-INITIAL_FORMS": "0",
        "region_assignments-TOTAL_FORMS": "1",
        "region_assignments-INITIAL_FORMS": "0",
        "region_assignments-0-region": region.pk,
        "region_assignments-0-role": "compiler",
    }
    response = client.post(f"/admin/iscm_portal/user/{person.pk}/change/", data)
    assert response.status_code == 302, response.context["errors"] if response.context else ""
    assert _groups(person) == {"compiler"}
