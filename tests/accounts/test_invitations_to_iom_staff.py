"""Secretariat invitations never go to IOM staff or administrators
(accounts/rules.py::may_join_secretariat_by_invitation, accounts/invitations.py): not
from a team lead's page, not from an administrator, and not accepted by an account
that became IOM staff after the invitation was sent."""

import pytest
from django.core import mail
from django.urls import reverse

from accounts import invitations
from accounts.errors import Refused
from accounts.models import Invitation
from accounts.rules import may_join_secretariat_by_invitation
from submissions.models import Membership

from ..factories import ReviewerAssignmentFactory, UserFactory
from .test_invitations import link_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_accounts(world):
    compiler = ReviewerAssignmentFactory(user=UserFactory(), role="compiler").user
    return {"reviewer": world.reviewer, "compiler": compiler, "administrator": world.admin}


def test_rule_refuses_iom_staff_and_administrators_only(world, team, staff_accounts):
    assert all(not may_join_secretariat_by_invitation(p) for p in staff_accounts.values())
    assert may_join_secretariat_by_invitation(None)  # a new address
    assert may_join_secretariat_by_invitation(world.partner_user)  # another team's member
    assert may_join_secretariat_by_invitation(UserFactory())  # an account with no role


@pytest.mark.parametrize("kind", ["reviewer", "compiler", "administrator"])
def test_team_lead_cannot_invite_iom_staff_and_is_told_why(
    client, world, team, staff_accounts, kind
):
    address = staff_accounts[kind].email.upper()
    client.force_login(team.lead)

    response = client.post(
        reverse("accounts:team-invite", args=[team.iscm.slug]), {"email": address}
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert "belongs to IOM staff or an administrator" in html
    assert f'value="{address}"' in html  # what was typed stays in the form
    assert not Invitation.objects.exists()
    assert mail.outbox == []


def test_team_lead_may_invite_a_member_of_another_team(client, world, team):
    client.force_login(team.lead)

    response = client.post(
        reverse("accounts:team-invite", args=[team.iscm.slug]),
        {"email": world.partner_user.email},
    )

    assert response.status_code == 302
    assert Invitation.objects.filter(email=world.partner_user.email).exists()


def test_administrator_cannot_send_a_secretariat_invitation_to_iom_staff(world, staff_accounts):
    with pytest.raises(Refused, match="belongs to IOM staff"):
        invitations.create_invitation(
            by=world.admin,
            email=staff_accounts["reviewer"].email,
            role="secretariat",
            iscms=[world.lead],
        )
    # Staff roles still go to staff.
    invitation = invitations.create_invitation(
        by=world.admin,
        email=staff_accounts["reviewer"].email,
        role="compiler",
        regions=[world.regions.amr],
    )
    assert invitation.pk


def test_invitation_is_refused_at_acceptance_when_the_account_became_iom_staff(
    client, world, team, django_capture_on_commit_callbacks
):
    person = UserFactory(email="soon.staff@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        invitation = invitations.create_invitation(
            by=team.lead, email=person.email, role="secretariat", iscms=[team.iscm]
        )
    link = link_in(mail.outbox[-1])
    ReviewerAssignmentFactory(user=person)  # made a reviewer meanwhile
    client.force_login(person)

    response = client.post(link, follow=True)

    assert "belongs to IOM staff or an administrator" in response.content.decode()
    assert not Membership.objects.filter(user=person).exists()
    invitation.refresh_from_db()
    assert invitation.accepted_at is None  # the refusal spent nothing
