"""Secretariat teams: the team page, leads managing it, the last-lead rule, handover."""

import threading

import pytest
from django.core import mail
from django.db import connection
from django.urls import reverse

from accounts import staffing, teams
from accounts.errors import Refused
from accounts.models import AuditEntry, Invitation
from submissions.models import Membership
from submissions.roles import roles_of

from ..concurrency import at_once
from ..factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def _url(name, team, **kwargs):
    return reverse(f"accounts:{name}", kwargs={"slug": team.iscm.slug, **kwargs})


def test_team_page_shows_members_and_lead_controls_to_leads_only(client, team):
    client.force_login(team.lead)
    page = client.get(_url("team", team))
    assert page.status_code == 200 and page.context["manages"]
    assert b"Max Member" in page.content and b"Invite a colleague" in page.content
    client.force_login(team.member)
    page = client.get(_url("team", team))
    assert page.status_code == 200 and not page.context["manages"]
    assert b"Invite a colleague" not in page.content and b"Leave the team" in page.content


def test_people_outside_the_team_get_a_404(client, world, team):
    for person in (world.partner_user, world.other_user, world.reviewer):
        client.force_login(person)
        assert client.get(_url("team", team)).status_code == 404
        response = client.post(_url("team-invite", team), {"email": "x@example.net"})
        assert response.status_code == 404
    assert client.get(reverse("accounts:team", args=["no-such-iscm"])).status_code == 404
    assert not Invitation.objects.exists()


def test_a_lead_invites_a_colleague_from_the_team_page(
    client, team, django_capture_on_commit_callbacks
):
    client.force_login(team.lead)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_url("team-invite", team), {"email": "colleague@example.net"})
    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert list(invitation.iscms.all()) == [team.iscm] and invitation.role == "secretariat"
    assert mail.outbox[-1].to == ["colleague@example.net"]
    page = client.get(_url("team", team))
    assert b"colleague@example.net" in page.content  # pending invitations listed
    again = client.post(_url("team-invite", team), {"email": "colleague@example.net"})
    assert again.status_code == 400 and b"already pending" in again.content
    assert b'value="colleague@example.net"' in again.content


def test_a_plain_member_cannot_invite_or_remove(client, team):
    client.force_login(team.member)
    assert client.post(_url("team-invite", team), {"email": "x@example.net"}).status_code == 404
    response = client.post(_url("member-remove", team, pk=team.lead_membership.pk))
    assert response.status_code == 404
    response = client.post(
        _url("member-lead", team, pk=team.member_membership.pk), {"lead": "yes"}
    )
    assert response.status_code == 404
    assert Membership.objects.filter(iscm=team.iscm).count() == 2


def test_a_lead_cannot_act_on_another_iscms_team(client, world, team):
    client.force_login(team.lead)
    partner_membership = Membership.objects.get(iscm=world.partner)
    other = reverse(
        "accounts:member-remove", kwargs={"slug": world.lead.slug, "pk": partner_membership.pk}
    )
    assert client.post(other).status_code == 404  # the membership is not on this team
    response = client.post(
        reverse("accounts:team-invite", args=[world.partner.slug]), {"email": "x@example.net"}
    )
    assert response.status_code == 404
    assert Membership.objects.filter(pk=partner_membership.pk).exists()


def test_a_lead_removes_a_member_who_loses_the_role(client, team):
    client.force_login(team.lead)
    response = client.post(_url("member-remove", team, pk=team.member_membership.pk))
    assert response.status_code == 302
    assert not Membership.objects.filter(pk=team.member_membership.pk).exists()
    assert not roles_of(team.member).secretariat
    assert not team.member.groups.filter(name="secretariat").exists()
    entry = AuditEntry.objects.get(action="member_removed")
    assert (entry.actor, entry.person, entry.iscm) == (team.lead, team.member, team.iscm)


def test_the_last_lead_cannot_leave_remove_or_step_down(client, team):
    client.force_login(team.lead)
    for name, data in (("member-remove", {}), ("member-lead", {"lead": "no"})):
        response = client.post(_url(name, team, pk=team.lead_membership.pk), data)
        assert response.status_code == 302
        page = client.get(response["Location"])
        assert b"would be left without a team lead" in page.content
    team.lead_membership.refresh_from_db()
    assert team.lead_membership.is_lead
    # Alone on the team, too: the last lead cannot leave it empty.
    Membership.objects.filter(pk=team.member_membership.pk).delete()
    with pytest.raises(Refused, match="the last lead cannot leave the team empty"):
        teams.remove_member(team.lead_membership, by=team.lead)


def test_a_deactivated_lead_does_not_count(team):
    second = Membership.objects.get(pk=team.member_membership.pk)
    teams.set_lead(second, lead=True, by=team.lead)
    team.member.is_active = False
    team.member.save()
    with pytest.raises(Refused):
        teams.set_lead(team.lead_membership, lead=False, by=team.lead)


def test_hand_over_when_the_chair_rotates(client, team):
    client.force_login(team.lead)
    response = client.post(_url("team-hand-over", team), {"member": team.member_membership.pk})
    assert response.status_code == 302
    team.lead_membership.refresh_from_db()
    team.member_membership.refresh_from_db()
    assert team.member_membership.is_lead and not team.lead_membership.is_lead
    assert list(AuditEntry.objects.order_by("pk").values_list("action", "person")) == [
        ("lead_given", team.member.pk),
        ("lead_taken", team.lead.pk),
    ]
    # The former lead is a plain member now: no more management.
    assert client.post(_url("team-invite", team), {"email": "x@example.net"}).status_code == 404
    # And can now leave: another lead remains.
    assert client.post(_url("member-remove", team, pk=team.lead_membership.pk)).status_code == 302
    assert not Membership.objects.filter(pk=team.lead_membership.pk).exists()


def test_hand_over_needs_a_member_of_this_team(client, world, team):
    client.force_login(team.lead)
    partner_membership = Membership.objects.get(iscm=world.partner)
    response = client.post(_url("team-hand-over", team), {"member": partner_membership.pk})
    assert response.status_code == 400 and b"Select a valid choice" in response.content
    team.lead_membership.refresh_from_db()
    assert team.lead_membership.is_lead


def test_a_lead_may_make_a_second_lead_and_then_step_down(client, team):
    client.force_login(team.lead)
    client.post(_url("member-lead", team, pk=team.member_membership.pk), {"lead": "yes"})
    client.post(_url("member-lead", team, pk=team.lead_membership.pk), {"lead": "no"})
    assert list(
        Membership.objects.filter(iscm=team.iscm, is_lead=True).values_list("user", flat=True)
    ) == [team.member.pk]


def test_administrators_manage_every_team(client, world, team):
    client.force_login(world.admin)
    page = client.get(_url("team", team))
    assert page.status_code == 200 and page.context["manages"]
    with pytest.raises(Refused, match="Only an administrator"):
        teams.add_member(iscm=world.other, user=UserFactory(), by=team.lead)


def test_the_first_member_of_a_leaderless_team_leads_it(world):
    Membership.objects.filter(iscm=world.other).delete()
    newcomer = UserFactory()
    membership = teams.add_member(iscm=world.other, user=newcomer, by=world.admin)
    assert membership.is_lead
    second = teams.add_member(iscm=world.other, user=UserFactory(), by=world.admin)
    assert not second.is_lead


def test_team_page_queries_do_not_grow_with_members(
    client, team, django_assert_max_num_queries, count_queries
):
    client.force_login(team.lead)
    url = _url("team", team)
    one = count_queries(client, url)
    for _ in range(25):
        MembershipFactory(iscm=team.iscm)
    with django_assert_max_num_queries(one):
        page = client.get(url)
    assert page.status_code == 200 and len(page.context["members"]) == 27


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_stepping_down_while_the_other_lead_is_deactivated_keeps_a_lead(world, team, monkeypatch):
    """Two leads: one steps down while an administrator deactivates the other. The team
    row lock makes them take turns: the step-down sees the other lead gone and is
    refused (an administrator's deactivation always goes through)."""
    teams.set_lead(team.member_membership, lead=True, by=team.lead)
    barrier = threading.Barrier(2)
    real = teams.lock_team

    def in_step(iscm):
        barrier.wait(timeout=10)
        return real(iscm)

    monkeypatch.setattr(teams, "lock_team", in_step)
    monkeypatch.setattr(staffing, "lock_team", in_step)
    outcomes = at_once(
        {
            "deactivate": lambda: staffing.deactivate(team.lead, by=world.admin),
            "step down": lambda: teams.set_lead(
                team.member_membership, lead=False, by=team.member
            ),
        },
        refused=Refused,
        start_together=False,  # the barrier is inside, at the team lock
    )
    assert outcomes["deactivate"] == "done"
    leads = Membership.objects.filter(iscm=team.iscm, is_lead=True, user__is_active=True)
    # Whichever went first, the team never silently lost its last lead by a step-down.
    if outcomes["step down"] == "done":
        assert not leads.exists()  # deactivation came second: the administrator was told
    else:
        assert "without a team lead" in outcomes["step down"]
        assert list(leads.values_list("user", flat=True)) == [team.member.pk]
