"""Staff management pages (administrators): people, assignments, teams, audit trail;
deactivation keeping history."""

import pytest
from django.core import mail
from django.urls import reverse

from accounts import staffing, teams
from accounts.models import AuditEntry
from submissions import workflow
from submissions.models import Membership, ReviewerAssignment
from submissions.roles import roles_of

from ..factories import PASSWORD, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

STAFF_PAGES = (
    "accounts:staff",
    "accounts:staff-people",
    "accounts:staff-regions",
    "accounts:staff-iscms",
    "accounts:staff-invitations",
    "accounts:staff-invitation-new",
    "accounts:staff-audit",
)


def test_staff_pages_are_for_administrators_only(client, world, team):
    for person in (world.lead_user, world.reviewer, world.other_reviewer):
        client.force_login(person)
        for name in STAFF_PAGES:
            assert client.get(reverse(name)).status_code == 404, (person, name)
        url = reverse("accounts:staff-person-active", args=[team.member.pk])
        assert client.post(url).status_code == 404
    team.member.refresh_from_db()
    assert team.member.is_active
    client.force_login(world.admin)
    for name in STAFF_PAGES:
        assert client.get(reverse(name)).status_code == 200, name


def test_people_search_by_name_address_iscm_and_region(client, world, team):
    client.force_login(world.admin)
    url = reverse("accounts:staff-people")

    def found(**query):
        return {p.pk for p in client.get(url, query).context["page"]}

    assert found(q="max mem") == {team.member.pk}
    assert found(q=world.reviewer.email.upper()) == {world.reviewer.pk}
    assert found(q=world.lead.acronym) == {team.lead.pk, team.member.pk}
    assert found(q=world.regions.afr.code) == {world.other_reviewer.pk}
    team.member.is_active = False
    team.member.save()
    assert team.member.pk in found(active="no") and team.member.pk not in found(active="yes")
    assert client.get(url, {"page": "999", "active": "bogus"}).status_code == 200


def test_assignments_added_and_removed_are_recorded(client, world):
    client.force_login(world.admin)
    person = UserFactory(full_name="Nia Newreviewer")
    response = client.post(
        reverse("accounts:staff-assignment-add", args=[person.pk]),
        {"region": world.regions.eur.pk, "role": "reviewer"},
    )
    assert response.status_code == 302
    assignment = ReviewerAssignment.objects.get(user=person)
    assert roles_of(person).reviewer and person.groups.filter(name="reviewer").exists()
    regions_page = client.get(reverse("accounts:staff-regions"))
    assert b"Nia Newreviewer" in regions_page.content
    client.post(reverse("accounts:staff-assignment-remove", args=[assignment.pk]))
    assert not ReviewerAssignment.objects.filter(user=person).exists()
    assert list(
        AuditEntry.objects.filter(person=person).order_by("pk").values_list("action", "actor")
    ) == [("assignment_added", world.admin.pk), ("assignment_removed", world.admin.pk)]
    audit = client.get(reverse("accounts:staff-audit"), {"q": "Newreviewer"})
    assert len(audit.context["page"]) == 2
    bad = client.post(
        reverse("accounts:staff-assignment-add", args=[person.pk]),
        {"region": "", "role": "boss"},
    )
    assert bad.status_code == 400 and b"Select a valid choice" in bad.content


def test_administrator_adds_a_member_to_a_team(client, world):
    client.force_login(world.admin)
    person = UserFactory()
    response = client.post(
        reverse("accounts:staff-membership-add", args=[person.pk]),
        {"iscm": world.partner.pk, "as_lead": "on"},
    )
    assert response.status_code == 302
    assert Membership.objects.get(user=person, iscm=world.partner).is_lead
    assert set(AuditEntry.objects.values_list("action", flat=True)) == {
        "member_added",
        "lead_given",
    }


def test_deactivation_keeps_history_and_stops_sign_in_and_mail(
    client, world, team, make_input, django_capture_on_commit_callbacks
):
    written_input = make_input("Kept in history", state="submitted")
    submitted_by = written_input.events.get(to_status="submitted").actor
    assert submitted_by == team.lead

    client.force_login(world.admin)
    response = client.post(reverse("accounts:staff-person-active", args=[team.member.pk]))
    assert response.status_code == 302
    team.member.refresh_from_db()
    assert not team.member.is_active
    assert AuditEntry.objects.filter(action="deactivated", person=team.member).exists()

    # No sign-in, and an open session ends.
    assert not client.login(username=team.member.email, password=PASSWORD)
    member_client = type(client)()
    member_client.force_login(team.member)
    response = member_client.get(reverse("submissions:dashboard"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]

    # No mail: the decision goes to the active lead only.
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        workflow.request_changes(written_input, by=world.reviewer, message="More, please.")
    recipients = {address for message in mail.outbox for address in message.to}
    assert team.lead.email in recipients and team.member.email not in recipients

    # The history still names who acted; memberships stay (shown as deactivated).
    client.force_login(team.lead)
    detail = client.get(reverse("submissions:input-detail", args=[written_input.pk]))
    assert team.lead.full_name.encode() in detail.content
    team_page = client.get(reverse("accounts:team", args=[team.iscm.slug]))
    assert b"Max Member" in team_page.content and b"Deactivated" in team_page.content

    # Reactivated: signs in again.
    client.force_login(world.admin)
    client.post(reverse("accounts:staff-person-active", args=[team.member.pk]), {"active": "yes"})
    assert client.login(username=team.member.email, password=PASSWORD)


def test_an_administrator_may_lock_out_the_last_lead_and_is_told_the_team_is_leaderless(
    client, world, team
):
    """A departed or compromised person must be lockable at once, even as the team's
    only lead; the team then has no active lead until one is named (or the next
    member joins, who leads it)."""
    client.force_login(world.admin)
    response = client.post(reverse("accounts:staff-person-active", args=[team.lead.pk]))
    page = client.get(response["Location"])
    assert b"is deactivated" in page.content
    assert f"These teams have no active lead now: {team.iscm.acronym}".encode() in page.content
    team.lead.refresh_from_db()
    assert not team.lead.is_active
    entry = AuditEntry.objects.get(action="deactivated", person=team.lead)
    assert entry.detail == team.iscm.acronym
    # The member can be made lead again; a team without an active lead takes it.
    teams.set_lead(team.member_membership, lead=True, by=world.admin)
    assert Membership.objects.get(pk=team.member_membership.pk).is_lead


def test_staff_pages_queries_do_not_grow_with_people(
    client, world, team, count_queries, django_assert_max_num_queries
):
    client.force_login(world.admin)
    urls = [
        reverse("accounts:staff"),
        reverse("accounts:staff-people"),
        reverse("accounts:staff-person", args=[team.lead.pk]),
        reverse("accounts:staff-regions"),
        reverse("accounts:staff-iscms"),
        reverse("accounts:staff-audit"),
        reverse("accounts:team", args=[team.iscm.slug]),
    ]
    staffing.add_assignment(
        user=team.member, region=world.regions.amr, role="compiler", by=world.admin
    )
    before = {url: count_queries(client, url) for url in urls}
    for n in range(20):
        person = MembershipFactory(iscm=world.lead if n % 2 else world.partner).user
        staffing.add_assignment(
            user=person, region=world.regions.eur, role="reviewer", by=world.admin
        )
    for url in urls:
        with django_assert_max_num_queries(before[url]):
            assert client.get(url).status_code == 200, url


def test_assign_an_existing_account_from_the_region_page(client, world, team):
    client.force_login(world.admin)
    url = reverse("accounts:staff-region-assign", args=[world.regions.eur.pk])
    prefix = f"region-{world.regions.eur.pk}"
    unknown = client.post(
        url, {f"{prefix}-person": "nobody@example.net", f"{prefix}-role": "compiler"}
    )
    assert unknown.status_code == 400
    assert b"No account uses this address" in unknown.content
    assert b'value="nobody@example.net"' in unknown.content
    response = client.post(
        url, {f"{prefix}-person": team.member.email.upper(), f"{prefix}-role": "compiler"}
    )
    assert response.status_code == 302
    assignment = ReviewerAssignment.objects.get(user=team.member, region=world.regions.eur)
    assert assignment.role == "compiler" and roles_of(team.member).compiler
    assert AuditEntry.objects.filter(action="assignment_added", person=team.member).exists()
    # Removed from the same page, which it returns to.
    regions_page = reverse("accounts:staff-regions")
    removed = client.post(
        reverse("accounts:staff-assignment-remove", args=[assignment.pk]),
        {"next": regions_page},
    )
    assert removed["Location"] == regions_page
    assert not ReviewerAssignment.objects.filter(pk=assignment.pk).exists()
    team.member.is_active = False
    team.member.save()
    inactive = client.post(
        url, {f"{prefix}-person": team.member.email, f"{prefix}-role": "reviewer"}
    )
    assert b"This account is deactivated" in inactive.content
    # Not for anybody else.
    client.force_login(world.reviewer)
    assert client.post(url, {f"{prefix}-person": world.reviewer.email}).status_code == 404


def test_an_administrator_adds_an_existing_account_on_the_team_page(client, world, team):
    url = reverse("accounts:team-add", args=[team.iscm.slug])
    client.force_login(team.lead)  # leads invite; adding an account is the administrator's
    assert client.post(url, {"person": world.other_user.email}).status_code == 404
    client.force_login(world.admin)
    page = client.get(reverse("accounts:team", args=[team.iscm.slug]))
    assert b"Add an existing account" in page.content
    bad = client.post(url, {"person": "nobody@example.net"})
    assert bad.status_code == 400 and b"No account uses this address" in bad.content
    assert client.post(url, {"person": world.other_user.email, "as_lead": "on"}).status_code == 302
    assert Membership.objects.get(user=world.other_user, iscm=team.iscm).is_lead


def test_staff_searches_with_nul_and_forms_with_huge_ids_answer_without_500(client, world):
    client.force_login(world.admin)
    for name in (
        "staff-people",
        "staff-regions",
        "staff-iscms",
        "staff-invitations",
        "staff-audit",
    ):
        assert client.get(reverse(f"accounts:{name}"), {"q": "a\x00b"}).status_code == 200
    response = client.post(
        reverse("accounts:staff-invitation-new"),
        {"email": "x@example.net", "role": "secretariat", "iscms": ["9" * 30], "language": "en"},
    )
    assert response.status_code == 400 and b"is not a valid value" in response.content
    response = client.post(
        reverse("accounts:staff-assignment-add", args=[world.lead_user.pk]),
        {"region": "9" * 30, "role": "reviewer"},
    )
    assert response.status_code == 400
