"""Invitations: creation rules, the single-use expiring link, accepting with and
without an account, resend and revoke, the staff list."""

import datetime
import re
import threading
from functools import partial

import pytest
from django.core import mail
from django.db import connection
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from accounts import invitations, rules, staffing, teams
from accounts.errors import Refused
from accounts.models import AuditEntry, Invitation, User, token_digest
from submissions.models import Membership, ReviewerAssignment

from ..concurrency import at_once
from ..factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-Fresh-passw0rd-2026"


@pytest.fixture
def invite(world, django_capture_on_commit_callbacks):
    """Create an invitation through the domain function; returns (invitation, link
    path) read from the e-mail that went out."""

    def make(by=None, email="new.person@example.net", role="secretariat", **scope):
        if role == "secretariat":
            scope.setdefault("iscms", [world.lead])
        else:
            scope.setdefault("regions", [world.regions.amr])
        with django_capture_on_commit_callbacks(execute=True):
            invitation = invitations.create_invitation(
                by=by or world.admin, email=email, role=role, **scope
            )
        return invitation, link_in(mail.outbox[-1])

    return make


def link_in(message) -> str:
    return re.search(r"https?://[^/\s]+(/invitations/[^/\s]+/)", message.body).group(1)


def _accept(client, link, name="Nadia New", password=NEW_PASSWORD, again=None):
    return client.post(
        link, {"full_name": name, "password1": password, "password2": again or password}
    )


def test_invitation_creates_the_account_and_membership_once(client, world, invite):
    invitation, link = invite(email="New.Person@Example.net")
    message = mail.outbox[-1]
    assert message.to == ["New.Person@example.net"]
    assert "LEAD" in message.body and invitation.get_role_display() in message.body
    assert Invitation.objects.get().token_digest != link  # only a digest is stored
    assert link.split("/")[2] not in str(Invitation.objects.values_list().get())

    page = client.get(link)
    assert page.status_code == 200
    assert b"New.Person@example.net" in page.content

    response = _accept(client, link)
    assert response.status_code == 302 and response["Location"] == reverse("submissions:dashboard")
    person = User.objects.get(email__iexact="new.person@example.net")
    assert person.full_name == "Nadia New" and person.check_password(NEW_PASSWORD)
    assert Membership.objects.filter(user=person, iscm=world.lead).exists()
    dashboard = client.get(reverse("submissions:dashboard"))
    assert dashboard.context["user"] == person and b"LEAD" in dashboard.content
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.ACCEPTED and invitation.accepted_by == person
    assert set(AuditEntry.objects.values_list("action", flat=True)) >= {
        "invited",
        "account_created",
        "member_added",
        "invitation_accepted",
    }

    # Single use: the same link again, signed out, does nothing.
    client.logout()
    again = client.get(link)
    assert again.status_code == 410 and b"already been used" in again.content
    assert _accept(client, link, name="Someone Else").status_code == 410
    assert User.objects.filter(email__iexact="new.person@example.net").count() == 1


def test_an_expired_link_cannot_be_used(client, world, invite):
    invitation, link = invite()
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    assert client.get(link).status_code == 410
    assert _accept(client, link).status_code == 410
    assert not User.objects.filter(email="new.person@example.net").exists()
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.EXPIRED


def test_links_expire_after_the_configured_days(world, invite, settings):
    settings.INVITATION_DAYS = 3
    invitation, _link = invite()
    assert invitation.expires_at - invitation.sent_at == datetime.timedelta(days=3)


def test_an_unknown_or_mangled_token_is_a_404_that_says_nothing(client, world, invite):
    _invitation, link = invite()
    assert client.get(link[:-3] + "xx/").status_code == 404
    assert client.get("/invitations/" + "a" * 300 + "/").status_code == 404


def test_the_form_keeps_what_was_typed_and_says_what_is_wrong(client, world, invite):
    _invitation, link = invite()
    response = _accept(client, link, name="Nadia New", again="something-else-9")
    assert response.status_code == 200
    assert b"The two passwords differ" in response.content
    assert b'value="Nadia New"' in response.content
    weak = _accept(client, link, password="12345678")
    assert b"too common" in weak.content or b"entirely numeric" in weak.content
    assert not User.objects.filter(email="new.person@example.net").exists()
    assert client.get(link).status_code == 200  # still usable


def test_an_existing_account_just_gains_the_role_after_signing_in(client, world, invite):
    person = world.other_user  # secretariat of OTHER
    invitation, link = invite(email=person.email.upper(), iscms=[world.lead])
    page = client.get(link)
    # The page names nobody: no name of the account, only the invitation itself.
    assert page.status_code == 200 and b"Sign in to accept" in page.content
    assert person.full_name.encode() not in page.content
    assert _accept(client, link).status_code == 200  # a POST cannot create a second account

    client.force_login(world.partner_user)  # someone else signed in: nothing granted
    other = client.post(link)
    assert b"sign out" in other.content
    assert not Membership.objects.filter(user=world.partner_user, iscm=world.lead).exists()

    client.force_login(person)
    assert client.post(link).status_code == 302
    assert set(Membership.objects.filter(user=person).values_list("iscm", flat=True)) == {
        world.other.pk,
        world.lead.pk,
    }
    person.refresh_from_db()
    assert person.check_password(PASSWORD)  # untouched
    invitation.refresh_from_db()
    assert invitation.accepted_by == person


def test_reviewer_and_compiler_invitations_give_region_assignments(
    client, world, invite, django_capture_on_commit_callbacks
):
    _invitation, link = invite(role="compiler", regions=[world.regions.amr, world.regions.eur])
    _accept(client, link, name="Carla Compiler")
    person = User.objects.get(email="new.person@example.net")
    assert set(
        ReviewerAssignment.objects.filter(user=person).values_list("region__code", "role")
    ) == {(world.regions.amr.code, "compiler"), (world.regions.eur.code, "compiler")}
    assert set(person.groups.values_list("name", flat=True)) == {"compiler"}
    # IOM staff: the next page asks for a second factor.
    response = client.get(reverse("reviews:packages"))
    assert response.status_code == 302 and "/two-factor/enrol/" in response["Location"]


def test_invitations_are_refused_with_a_reason(world, invite):
    invite(email="twice@example.net")
    with pytest.raises(Refused, match="already pending"):
        invite(email="TWICE@example.net")
    with pytest.raises(Refused, match="already has this role"):
        invite(email=world.lead_user.email)
    world.other_user.is_active = False
    world.other_user.save()
    with pytest.raises(Refused, match="deactivated"):
        invite(email=world.other_user.email)
    with pytest.raises(Refused, match="at least one ISCM"):
        invite(iscms=[])
    with pytest.raises(Refused, match="at least one region"):
        invite(role="reviewer", regions=[])


def test_a_lead_invites_to_their_own_iscm_only(world, team, invite):
    invitation, _link = invite(by=team.lead, email="colleague@example.net")
    assert invitation.role == "secretariat" and list(invitation.iscms.all()) == [world.lead]
    for scope in (
        {"iscms": [world.partner]},
        {"iscms": [world.lead, world.partner]},
        {"role": "reviewer", "regions": [world.regions.amr]},
        {"role": "compiler", "regions": [world.regions.amr]},
        {"iscms": [world.lead], "as_lead": True},
    ):
        with pytest.raises(Refused, match="only invite colleagues"):
            invite(by=team.lead, email="x@example.net", **scope)
    # A plain member may not invite at all.
    with pytest.raises(Refused):
        invite(by=team.member, email="y@example.net")
    assert Invitation.objects.count() == 1


def test_an_invitation_is_void_once_its_lead_stepped_down(client, world, team, invite):
    _invitation, link = invite(by=team.lead, email="colleague@example.net")
    Membership.objects.filter(pk=team.member_membership.pk).update(is_lead=True)
    Membership.objects.filter(pk=team.lead_membership.pk).update(is_lead=False)
    response = _accept(client, link)
    assert b"can no longer grant this role" in response.content
    assert not User.objects.filter(email="colleague@example.net").exists()


def test_a_new_member_leads_a_team_that_has_no_lead(client, world, invite):
    Membership.objects.filter(iscm=world.lead).delete()
    _invitation, link = invite(email="first@example.net")
    _accept(client, link)
    assert Membership.objects.get(user__email="first@example.net").is_lead


def test_resend_gives_a_new_link_and_kills_the_old_one(
    client, world, invite, django_capture_on_commit_callbacks
):
    invitation, old_link = invite()
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - datetime.timedelta(days=1)
    )
    client.force_login(world.admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("accounts:invitation-resend", args=[invitation.pk]),
            {"next": reverse("accounts:staff-invitations")},
        )
    assert response.status_code == 302
    new_link = link_in(mail.outbox[-1])
    assert new_link != old_link
    invitation.refresh_from_db()
    assert invitation.status == "pending" and invitation.send_count == 2
    client.logout()
    assert client.get(old_link).status_code == 404
    assert client.get(new_link).status_code == 200


def test_revoke_stops_the_link(client, world, invite):
    invitation, link = invite()
    client.force_login(world.admin)
    client.post(reverse("accounts:invitation-revoke", args=[invitation.pk]))
    invitation.refresh_from_db()
    assert invitation.status == "revoked" and invitation.revoked_by == world.admin
    client.logout()
    assert client.get(link).status_code == 410
    # Neither resent nor revoked twice.
    with pytest.raises(Refused):
        invitations.resend_invitation(invitation, by=world.admin)
    with pytest.raises(Refused):
        invitations.revoke_invitation(invitation, by=world.admin)


def test_a_lead_manages_only_their_teams_invitations(client, world, team, invite):
    theirs, _ = invite(by=team.lead, email="colleague@example.net")
    staffs, _ = invite(email="reviewer.new@example.net", role="reviewer")
    partners, _ = invite(email="partner.new@example.net", iscms=[world.partner])
    client.force_login(team.lead)
    for other in (staffs, partners):
        response = client.post(reverse("accounts:invitation-revoke", args=[other.pk]))
        assert response.status_code == 404
    team_page = reverse("accounts:team", args=[world.lead.slug])
    response = client.post(
        reverse("accounts:invitation-revoke", args=[theirs.pk]), {"next": team_page}
    )
    assert response["Location"] == team_page
    assert Invitation.objects.with_status("revoked").get() == theirs
    # An outside `next` is not followed.
    response = client.post(
        reverse("accounts:invitation-resend", args=[staffs.pk]),
        {"next": "https://evil.example/"},
    )
    assert response.status_code == 404


def test_staff_invitation_form(client, world, django_capture_on_commit_callbacks):
    client.force_login(world.admin)
    url = reverse("accounts:staff-invitation-new")
    assert client.get(url).status_code == 200
    bad = client.post(url, {"email": "not-an-address", "role": "reviewer"})
    assert bad.status_code == 400
    assert b"Choose at least one region" in bad.content
    assert b'value="not-an-address"' in bad.content
    with django_capture_on_commit_callbacks(execute=True):
        good = client.post(
            url,
            {
                "email": "rev@example.net",
                "role": "reviewer",
                "regions": [world.regions.afr.pk],
                "language": "fr",
            },
        )
    assert good.status_code == 302
    invitation = Invitation.objects.get()
    assert invitation.language == "fr" and mail.outbox[-1].to == ["rev@example.net"]
    # In the language the administrator chose for it.
    with translation.override("fr"):
        french = gettext("Your invitation to the ISCM Review Portal")
    assert french != "Your invitation to the ISCM Review Portal"
    assert mail.outbox[-1].subject == french


def test_staff_invitation_list_filters_and_its_queries_do_not_grow(
    client, world, invite, django_assert_max_num_queries
):
    client.force_login(world.admin)
    url = reverse("accounts:staff-invitations")
    invite(email="a@example.net")
    with django_assert_max_num_queries(12) as one:
        assert client.get(url).status_code == 200
    for n in range(15):
        invite(email=f"p{n}@example.net", role="reviewer")
    revoked, _ = invite(email="gone@example.net")
    invitations.revoke_invitation(revoked, by=world.admin)
    with django_assert_max_num_queries(len(one.captured_queries)):
        page = client.get(url)
    assert page.status_code == 200 and b"p14@example.net" in page.content
    only_revoked = client.get(url, {"status": "revoked"})
    assert list(only_revoked.context["page"]) == [revoked]
    searched = client.get(url, {"q": "p1"})
    assert {i.email for i in searched.context["page"]} >= {"p1@example.net", "p10@example.net"}
    assert client.get(url, {"status": "nonsense", "page": "zz"}).status_code == 200


def test_token_digest_is_what_is_stored(world, invite):
    invitation, link = invite()
    token = link.split("/")[2]
    assert invitation.token_digest == token_digest(token) and token not in invitation.token_digest


def test_an_invited_address_owned_by_a_deactivated_account_is_refused_at_acceptance(
    client, world, invite
):
    person = UserFactory(email="sleeper@example.net")
    _invitation, link = invite(email="sleeper@example.net")
    person.is_active = False
    person.save()
    page = client.get(link)
    assert b"Sign in to accept" in page.content  # signing in will fail: it is deactivated
    assert not client.login(username="sleeper@example.net", password=PASSWORD)


def test_when_the_mail_server_is_down_nothing_is_saved_and_the_form_says_so(
    client, world, settings
):
    settings.EMAIL_BACKEND = "tests.accounts.failing_mail.RefusingBackend"
    client.force_login(world.admin)
    response = client.post(
        reverse("accounts:staff-invitation-new"),
        {
            "email": "lost@example.net",
            "role": "secretariat",
            "iscms": [world.lead.pk],
            "language": "en",
        },
    )
    assert response.status_code == 400
    assert b"could not be sent" in response.content
    assert b'value="lost@example.net"' in response.content
    assert not Invitation.objects.exists() and not AuditEntry.objects.exists()


def test_the_new_account_keeps_the_language_the_invitee_read_the_page_in(client, world, invite):
    _invitation, link = invite()
    response = client.post(
        link,
        {"full_name": "Nadia New", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
        HTTP_ACCEPT_LANGUAGE="es",
    )
    assert response.status_code == 302
    person = User.objects.get(email="new.person@example.net")
    assert person.language == "es"
    assert client.get(reverse("submissions:dashboard")).context["LANGUAGE_CODE"] == "es"


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
        link, {"full_name": "Col League", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
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
                invitations.accept_invitation, invitation, full_name="Twin", password=NEW_PASSWORD
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
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent connections")
def test_account_created_by_another_invitation_after_the_check_refuses_with_a_message(
    world, monkeypatch
):
    """The other acceptance commits between this one's "no account yet" check and its
    insert: the model's validation (not the database) meets the new account, and the
    person is told to sign in, not shown a 500 (seen once in CI under load)."""
    first = invitations.create_invitation(
        by=world.admin, email="late@example.net", role="secretariat", iscms=[world.lead]
    )
    second = invitations.create_invitation(
        by=world.admin, email="late@example.net", role="reviewer", regions=[world.regions.amr]
    )
    checked, first_done = threading.Event(), threading.Event()
    manager = type(User.objects)
    real = manager.with_email

    def then_wait(self, email):
        found = real(self, email)
        if threading.current_thread().name == "second" and not checked.is_set():
            checked.set()
            first_done.wait(timeout=30)
        return found

    monkeypatch.setattr(manager, "with_email", then_wait)
    outcome = {}

    def accept_second():
        try:
            invitations.accept_invitation(second, full_name="Late", password=NEW_PASSWORD)
            outcome["second"] = "done"
        except Refused as refusal:
            outcome["second"] = str(refusal)
        except Exception as error:
            outcome["second"] = f"unexpected {type(error).__name__}: {error}"
        finally:
            connection.close()

    thread = threading.Thread(target=accept_second, name="second")
    thread.start()
    assert checked.wait(timeout=30)
    invitations.accept_invitation(first, full_name="Late", password=NEW_PASSWORD)
    first_done.set()
    thread.join(timeout=30)
    assert outcome == {"second": "An account with this address exists: sign in to accept."}
    assert User.objects.filter(email="late@example.net").count() == 1
    second.refresh_from_db()
    assert second.accepted_at is None  # the refusal rolled its use of the link back
