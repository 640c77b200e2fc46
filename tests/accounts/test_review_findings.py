"""Defects found in review of the accounts change, each with the test that shows it
fixed."""

import re
import threading
from functools import partial

import pytest
from django.core import mail, signing
from django.db import connection
from django.urls import reverse

from accounts import invitations, profile, rules, staffing, teams
from accounts.errors import Refused
from accounts.models import Invitation, User
from submissions.models import Membership, ReviewerAssignment

from ..concurrency import at_once
from ..factories import UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "a-Fresh-passw0rd-2026"


def _invite(by, email, django_capture_on_commit_callbacks, **kwargs):
    kwargs.setdefault("role", "secretariat")
    with django_capture_on_commit_callbacks(execute=True):
        invitation = invitations.create_invitation(by=by, email=email, **kwargs)
    return invitation, re.search(r"(/invitations/[^/\s]+/)", mail.outbox[-1].body).group(1)


def test_after_a_hand_over_the_new_lead_renews_the_former_leads_invitations(
    client, world, team, django_capture_on_commit_callbacks
):
    invitation, _old = _invite(
        team.lead, "colleague@example.net", django_capture_on_commit_callbacks, iscms=[team.iscm]
    )
    teams.hand_over_lead(team.iscm, to=team.member_membership, by=team.lead)
    with django_capture_on_commit_callbacks(execute=True):
        invitations.resend_invitation(invitation, by=team.member)
    invitation.refresh_from_db()
    assert invitation.invited_by == team.member
    link = re.search(r"(/invitations/[^/\s]+/)", mail.outbox[-1].body).group(1)
    response = client.post(
        link, {"full_name": "Col League", "password1": PASSWORD, "password2": PASSWORD}
    )
    assert response.status_code == 302
    assert Membership.objects.filter(user__email="colleague@example.net", iscm=team.iscm).exists()


def test_the_former_lead_can_no_longer_resend(world, team, django_capture_on_commit_callbacks):
    invitation, _link = _invite(
        team.lead, "colleague@example.net", django_capture_on_commit_callbacks, iscms=[team.iscm]
    )
    teams.hand_over_lead(team.iscm, to=team.member_membership, by=team.lead)
    with pytest.raises(Refused):
        invitations.resend_invitation(invitation, by=team.lead)


def test_no_invitation_mail_is_resent_to_a_deactivated_account(
    world, django_capture_on_commit_callbacks
):
    person = UserFactory(email="sleeper@example.net")
    invitation, _link = _invite(
        world.admin, "sleeper@example.net", django_capture_on_commit_callbacks, iscms=[world.lead]
    )
    staffing.deactivate(person, by=world.admin)
    mail.outbox.clear()
    with pytest.raises(Refused, match="deactivated"):
        invitations.resend_invitation(invitation, by=world.admin)
    assert mail.outbox == []


def test_invitations_to_an_existing_account_are_in_its_language(
    world, django_capture_on_commit_callbacks
):
    world.other_user.language = "es"
    world.other_user.save()
    invitation, _link = _invite(
        world.admin,
        world.other_user.email,
        django_capture_on_commit_callbacks,
        iscms=[world.lead],
        language="en",
    )
    assert invitation.language == "es"
    assert mail.outbox[-1].subject != "Your invitation to the ISCM Review Portal"


def test_password_reset_mail_is_in_the_persons_language(client, world):
    world.lead_user.language = "fr"
    world.lead_user.save()
    client.post(reverse("password_reset"), {"email": world.lead_user.email})
    client.post(reverse("password_reset"), {"email": world.partner_user.email})
    french, english = mail.outbox
    assert french.to == [world.lead_user.email] and english.to == [world.partner_user.email]
    assert french.subject != english.subject


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("accounts:staff-invitation-new", {"role": "secretariat", "language": "en"}),
        ("accounts:email-change", {"password": "a-Long-test-passw0rd"}),
    ],
)
def test_an_address_longer_than_the_column_is_a_form_error(client, world, team, name, data):
    client.force_login(world.admin if "staff" in name else team.lead)
    address = "a" * 64 + "@" + ".".join(["b" * 60] * 4) + ".org"
    assert len(address) > 254
    response = client.post(reverse(name), {**data, "email": address, "iscms": [world.lead.pk]})
    assert response.status_code == 400
    assert b"at most 254 characters" in response.content
    team_invite = reverse("accounts:team-invite", args=[team.iscm.slug])
    client.force_login(team.lead)
    assert client.post(team_invite, {"email": address}).status_code == 400
    assert not Invitation.objects.exists()


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


def test_an_email_change_link_is_not_revived_by_changing_back(client, world):
    person = world.lead_user
    original = person.email
    stale = signing.dumps(
        {
            "user": person.pk,
            "from": original,
            "to": "b@example.net",
            "stamp": profile._stamp(person),
        },
        salt=profile.SALT,
    )
    for new in ("c@example.net", original):
        token = signing.dumps(
            {"user": person.pk, "from": person.email, "to": new, "stamp": profile._stamp(person)},
            salt=profile.SALT,
        )
        profile.confirm_email_change(person, token)
    assert person.email == original
    with pytest.raises(Refused, match="has been used"):
        profile.confirm_email_change(person, stale)


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent connections")
def test_two_invitations_to_one_address_accepted_at_once(world, monkeypatch):
    """Both see no account yet (the barrier holds them after that check's transaction
    began); one creates it, the other is refused with a message, not a 500."""
    first = invitations.create_invitation(
        by=world.admin, email="twin@example.net", role="secretariat", iscms=[world.lead]
    )
    second = invitations.create_invitation(
        by=world.admin, email="twin@example.net", role="reviewer", regions=[world.regions.amr]
    )
    barrier = threading.Barrier(2)
    real = rules.may_invite

    def in_step(*args, **kwargs):
        barrier.wait(timeout=10)
        return real(*args, **kwargs)

    monkeypatch.setattr(rules, "may_invite", in_step)
    outcomes = at_once(
        {
            invitation.role: partial(
                invitations.accept_invitation, invitation, full_name="Twin", password=PASSWORD
            )
            for invitation in (first, second)
        },
        refused=Refused,
        start_together=False,  # the barrier is inside, after the check
    )
    assert sorted(outcomes.values()) == [
        "An account with this address exists: sign in to accept.",
        "done",
    ]
    assert User.objects.filter(email="twin@example.net").count() == 1
    assert Invitation.objects.exclude(accepted_at=None).count() == 1
    twin = User.objects.get(email="twin@example.net")
    granted = Membership.objects.filter(user=twin).count()
    granted += ReviewerAssignment.objects.filter(user=twin).count()
    assert granted == 1  # the winner's role only


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
