"""The Django admin and people's access (accounts/admin.py, submissions/admin.py): the
admin is for administrators only; second-factor secrets are never shown or edited there;
memberships, reviewer assignments, role groups, single permissions and deactivation
are read-only and nobody is deleted (the staff pages change access and deactivate, with
the last-lead rule and the audit trail); administrator rights given there are recorded
in the audit trail."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import AuditEntry, RecoveryCodeDevice
from submissions.models import Membership, ReviewerAssignment

from ..factories import UserFactory
from .test_two_factor import enrol_through_page

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, world):
    client.force_login(world.admin)
    return client


def test_admin_has_no_pages_for_plain_recovery_codes(admin_client):
    assert admin_client.get("/admin/otp_static/staticdevice/").status_code == 404
    assert admin_client.get("/admin/otp_static/").status_code == 404


def test_admin_shows_authenticators_without_their_keys(admin_client, world):
    _client, device, _codes = enrol_through_page(world.reviewer)

    listing = admin_client.get(reverse("admin:otp_totp_totpdevice_changelist"))
    page = admin_client.get(reverse("admin:otp_totp_totpdevice_change", args=[device.pk]))

    assert listing.status_code == page.status_code == 200
    html = listing.content.decode() + page.content.decode()
    assert device.key not in html
    assert 'name="key"' not in html and "qrcode" not in html.lower()
    assert '<input type="submit"' not in page.content.decode()  # read-only: no save


def test_admin_cannot_change_add_or_delete_authenticators(admin_client, world):
    _client, device, _codes = enrol_through_page(world.reviewer)

    change = admin_client.post(
        reverse("admin:otp_totp_totpdevice_change", args=[device.pk]),
        {"user": world.reviewer.pk, "name": "x", "key": "00" * 20, "confirmed": "on"},
    )
    add = admin_client.get(reverse("admin:otp_totp_totpdevice_add"))
    delete = admin_client.post(
        reverse("admin:otp_totp_totpdevice_delete", args=[device.pk]), {"post": "yes"}
    )

    assert change.status_code == add.status_code == delete.status_code == 403
    kept = TOTPDevice.objects.get(pk=device.pk)
    assert kept.key == device.key and kept.name == device.name


def test_admin_shows_who_has_recovery_codes_but_no_codes(admin_client, world):
    _client, _device, codes = enrol_through_page(world.reviewer)
    device = RecoveryCodeDevice.objects.get(user=world.reviewer)

    page = admin_client.get(reverse("admin:accounts_recoverycodedevice_change", args=[device.pk]))

    assert page.status_code == 200
    html = page.content.decode()
    assert not any(code in html for code in codes)
    assert not any(digest in html for digest in device.codes.values_list("digest", flat=True))


def test_admin_cannot_add_change_or_delete_memberships(admin_client, world):
    membership = Membership.objects.get(user=world.lead_user, iscm=world.lead)
    other = UserFactory()

    add = admin_client.post(
        reverse("admin:submissions_membership_add"), {"user": other.pk, "iscm": world.lead.pk}
    )
    change = admin_client.post(
        reverse("admin:submissions_membership_change", args=[membership.pk]),
        {"user": other.pk, "iscm": world.lead.pk},
    )
    delete = admin_client.post(
        reverse("admin:submissions_membership_delete", args=[membership.pk]), {"post": "yes"}
    )

    assert add.status_code == change.status_code == delete.status_code == 403
    assert Membership.objects.get(pk=membership.pk).user == world.lead_user
    assert not Membership.objects.filter(user=other).exists()
    # Shown read-only.
    view = admin_client.get(reverse("admin:submissions_membership_change", args=[membership.pk]))
    assert view.status_code == 200
    assert '<input type="submit"' not in view.content.decode()


def test_admin_cannot_add_change_or_delete_reviewer_assignments(admin_client, world):
    assignment = ReviewerAssignment.objects.filter(user=world.reviewer).first()

    add = admin_client.get(reverse("admin:submissions_reviewerassignment_add"))
    change = admin_client.post(
        reverse("admin:submissions_reviewerassignment_change", args=[assignment.pk]),
        {"user": world.reviewer.pk, "region": assignment.region_id, "role": "compiler"},
    )
    delete = admin_client.post(
        reverse("admin:submissions_reviewerassignment_delete", args=[assignment.pk]),
        {"post": "yes"},
    )

    assert add.status_code == change.status_code == delete.status_code == 403
    assert ReviewerAssignment.objects.get(pk=assignment.pk).role == assignment.role


def _user_form(person, **changes):
    data = {
        "email": person.email,
        "full_name": person.full_name,
        "last_login_0": "",
        "last_login_1": "",
        "memberships-TOTAL_FORMS": "0",
        "memberships-INITIAL_FORMS": "0",
        "region_assignments-TOTAL_FORMS": "0",
        "region_assignments-INITIAL_FORMS": "0",
    }
    data.update(changes)
    return data


def test_admin_user_page_shows_access_rows_read_only(admin_client, world):
    url = reverse("admin:accounts_user_change", args=[world.lead_user.pk])

    html = admin_client.get(url).content.decode()

    assert world.lead.acronym in html or world.lead.name in html
    assert 'name="memberships-0-iscm"' not in html
    assert 'name="is_active"' not in html and 'name="groups"' not in html


def test_admin_user_page_ignores_membership_rows_and_deactivation(admin_client, world):
    person = world.lead_user
    url = reverse("admin:accounts_user_change", args=[person.pk])
    data = _user_form(
        person,
        **{
            "memberships-TOTAL_FORMS": "1",
            "memberships-0-iscm": world.partner.pk,
            "is_active": "",
        },
    )

    response = admin_client.post(url, data)

    assert response.status_code == 302
    person.refresh_from_db()
    assert person.is_active
    assert not Membership.objects.filter(user=person, iscm=world.partner).exists()


def test_admin_giving_administrator_rights_is_in_the_audit_trail(admin_client, world):
    person = UserFactory(email="new.admin@example.org")
    url = reverse("admin:accounts_user_change", args=[person.pk])

    response = admin_client.post(url, _user_form(person, is_staff="on"))

    assert response.status_code == 302
    person.refresh_from_db()
    assert person.is_staff
    entry = AuditEntry.objects.get(action=AuditEntry.Action.ADMINISTRATOR_RIGHTS)
    assert (entry.actor, entry.person, entry.detail) == (world.admin, person, "is_staff=True")

    admin_client.post(url, _user_form(person))  # and taken away again

    assert AuditEntry.objects.filter(
        action=AuditEntry.Action.ADMINISTRATOR_RIGHTS, person=person, detail="is_staff=False"
    ).exists()


def test_admin_saving_a_person_unchanged_writes_no_audit_entry(admin_client, world):
    person = UserFactory(email="plain@example.org")
    url = reverse("admin:accounts_user_change", args=[person.pk])

    assert admin_client.post(url, _user_form(person)).status_code == 302

    assert not AuditEntry.objects.filter(action=AuditEntry.Action.ADMINISTRATOR_RIGHTS).exists()


def test_admin_cannot_delete_a_person(admin_client, world):
    person = world.lead_user
    enrol_through_page(person)
    url = reverse("admin:accounts_user_delete", args=[person.pk])

    page = admin_client.get(url)
    delete = admin_client.post(url, {"post": "yes"})
    bulk = admin_client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "delete_selected", "_selected_action": [person.pk], "post": "yes"},
    )

    assert page.status_code == delete.status_code == 403
    assert bulk.status_code in (200, 302)  # no such action: the list comes back
    person.refresh_from_db()
    assert Membership.objects.filter(user=person, iscm=world.lead).exists()
    assert TOTPDevice.objects.filter(user=person).exists()
    change_page = admin_client.get(reverse("admin:accounts_user_change", args=[person.pk]))
    assert url not in change_page.content.decode()


def test_admin_user_page_ignores_single_permissions(admin_client, world):
    person = UserFactory(email="perms@example.org")
    permission = Permission.objects.get(codename="change_membership")
    url = reverse("admin:accounts_user_change", args=[person.pk])
    assert 'name="user_permissions"' not in admin_client.get(url).content.decode()

    response = admin_client.post(url, _user_form(person, user_permissions=[permission.pk]))

    assert response.status_code == 302
    assert not person.user_permissions.exists()


def test_admin_cannot_change_add_or_delete_role_groups(admin_client, world):
    group = world.lead_user.groups.first()
    name = group.name
    permission = Permission.objects.get(codename="change_membership")

    add = admin_client.post(reverse("admin:auth_group_add"), {"name": "extra"})
    change = admin_client.post(
        reverse("admin:auth_group_change", args=[group.pk]),
        {"name": "renamed", "permissions": [permission.pk]},
    )
    delete = admin_client.post(
        reverse("admin:auth_group_delete", args=[group.pk]), {"post": "yes"}
    )

    assert add.status_code == change.status_code == delete.status_code == 403
    group.refresh_from_db()
    assert group.name == name and not group.permissions.exists()
    assert not Group.objects.filter(name="extra").exists()
    assert admin_client.get(reverse("admin:auth_group_changelist")).status_code == 200


def test_admin_is_reachable_by_staff_only(client, admin_user_, reviewer_user, secretariat_user):
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")

    for person in (reviewer_user, secretariat_user):
        client.force_login(person)
        response = client.get("/admin/")
        assert response.status_code == 302, person

    client.force_login(admin_user_)
    assert client.get("/admin/").status_code == 200


def test_admin_pages_of_reference_data_open_for_staff(client, admin_user_, reference_data):
    client.force_login(admin_user_)
    for url in (
        "/admin/submissions/iscm/",
        "/admin/submissions/iscm/?kind__exact=IRF",
        "/admin/submissions/iscm/?q=colombo",
        "/admin/submissions/region/",
        "/admin/submissions/reviewcycle/",
        "/admin/submissions/outline/",
        "/admin/accounts/user/",
        "/admin/accounts/user/add/",
    ):
        assert client.get(url).status_code == 200, url
