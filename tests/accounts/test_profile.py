"""A person's own profile (accounts/views/profile.py, accounts/profile.py): name and
interface language, the e-mails they may turn off (submissions/emails.py), and a new
e-mail address confirmed through a link sent to it. Mail goes out through the real
workflow; deactivated people receive none and cannot sign in."""

import datetime
import re
import time
from types import SimpleNamespace

import pytest
from django.core import mail, signing
from django.test import Client
from django.urls import reverse

from accounts import profile, staffing
from accounts.errors import Refused
from accounts.models import AuditEntry
from submissions import reminders, workflow

from ..factories import PASSWORD, MembershipFactory, ReviewerAssignmentFactory, UserFactory

pytestmark = pytest.mark.django_db

PROFILE = reverse("accounts:profile")
EMAIL_CHANGE = reverse("accounts:email-change")
DASHBOARD = reverse("submissions:dashboard")
TODAY = datetime.date.today()


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)  # password and second factor (tests/conftest.py)
    return client


def recipients(subject_start: str) -> list[str]:
    """Who received a message whose subject starts so, one address per message."""
    found = []
    for message in mail.outbox:
        if message.subject.startswith(subject_start):
            assert len(message.to) == 1  # nobody sees the others' addresses
            found.extend(message.to)
    return sorted(found)


# --- name and language ---------------------------------------------------------------


def test_profile_saves_name_and_language(world):
    client = signed_in(world.lead_user)

    response = client.post(
        PROFILE,
        {
            "full_name": "  Léa Lead-Martin ",
            "language": "fr",
            "notify_colleague_actions": "on",
            "notify_deadline_reminders": "on",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == PROFILE
    world.lead_user.refresh_from_db()
    assert world.lead_user.full_name == "Léa Lead-Martin"
    assert world.lead_user.language == "fr"
    assert world.lead_user.notify_colleague_actions and world.lead_user.notify_deadline_reminders


def test_profile_language_wins_over_browser(world):
    client = signed_in(world.lead_user)
    client.post(PROFILE, {"full_name": "Lea Lead", "language": "fr"})

    response = client.get(DASHBOARD, HTTP_ACCEPT_LANGUAGE="en")

    html = response.content.decode()
    assert '<html lang="fr" dir="ltr">' in html
    assert "Se déconnecter" in html
    assert response["Content-Language"] == "fr"


def test_profile_without_language_follows_browser(world):
    client = signed_in(world.lead_user)
    client.post(PROFILE, {"full_name": "Lea Lead", "language": ""})

    response = client.get(DASHBOARD, HTTP_ACCEPT_LANGUAGE="es")

    assert '<html lang="es" dir="ltr">' in response.content.decode()
    world.lead_user.refresh_from_db()
    assert world.lead_user.language == ""


def test_profile_empty_name_is_refused(world):
    client = signed_in(world.lead_user)

    response = client.post(PROFILE, {"full_name": "   ", "language": "fr"})

    assert response.status_code == 400
    world.lead_user.refresh_from_db()
    assert world.lead_user.full_name == "Lea Lead"
    assert world.lead_user.language == ""


def test_language_switch_signed_in_saves_to_profile(world):
    client = signed_in(world.lead_user)

    response = client.post(reverse("set_language"), {"language": "es", "next": DASHBOARD})

    assert response.status_code == 302
    assert response["Location"] == DASHBOARD
    world.lead_user.refresh_from_db()
    assert world.lead_user.language == "es"
    # Another browser of the same person, asking for English, gets Spanish.
    other = signed_in(world.lead_user)
    html = other.get(DASHBOARD, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="es" dir="ltr">' in html


def test_language_switch_with_unknown_language_changes_nothing(world):
    client = signed_in(world.lead_user)

    client.post(reverse("set_language"), {"language": "xx", "next": DASHBOARD})

    world.lead_user.refresh_from_db()
    assert world.lead_user.language == ""


def test_language_switch_anonymous_only_sets_cookie(client, world):
    response = client.post(reverse("set_language"), {"language": "es", "next": "/"})

    assert response.status_code == 302
    assert response.cookies["django_language"].value == "es"
    assert (
        '<html lang="es" dir="ltr">' in client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    )
    assert not type(world.lead_user).objects.exclude(language="").exists()


# --- notification preferences --------------------------------------------------------


def test_profile_offers_secretariat_its_notifications(world):
    html = signed_in(world.lead_user).get(PROFILE).content.decode()

    assert 'name="notify_colleague_actions"' in html
    assert 'name="notify_deadline_reminders"' in html
    assert 'name="notify_new_inputs"' not in html
    assert "E-mails you always receive" in html
    assert "decisions on your ISCMs' inputs" in html
    assert "publication and unpublication" in html
    assert "account mail" in html


def test_profile_offers_reviewer_its_notifications(world):
    html = signed_in(world.reviewer).get(PROFILE).content.decode()

    assert 'name="notify_new_inputs"' in html
    assert 'name="notify_colleague_actions"' not in html
    assert 'name="notify_deadline_reminders"' not in html
    assert "account mail" in html
    assert "decisions on your ISCMs' inputs" not in html


def test_profile_offers_no_notifications_to_person_without_role(plain_user):
    html = signed_in(plain_user).get(PROFILE).content.decode()

    assert "notify_" not in html
    assert "E-mails you may turn off" not in html


def test_profile_post_cannot_change_notification_not_offered(world):
    client = signed_in(world.reviewer)

    client.post(PROFILE, {"full_name": "Rita Reviewer", "notify_new_inputs": "on", "language": ""})

    world.reviewer.refresh_from_db()
    assert world.reviewer.notify_colleague_actions  # not on the form: left alone
    assert world.reviewer.notify_deadline_reminders


def test_colleague_actions_off_stops_submitted_mail_but_not_decisions(
    world, make_input, django_capture_on_commit_callbacks
):
    client = signed_in(world.partner_user)
    response = client.post(
        PROFILE,
        {"full_name": "Pat Partner", "language": "", "notify_deadline_reminders": "on"},
    )
    assert response.status_code == 302
    world.partner_user.refresh_from_db()
    assert not world.partner_user.notify_colleague_actions

    with django_capture_on_commit_callbacks(execute=True):
        written_input = make_input("Joint work", "submitted", partners=[world.partner])

    assert recipients("Submitted:") == [world.lead_user.email]
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        workflow.request_changes(written_input, by=world.reviewer, message="More detail.")

    assert recipients("Changes requested:") == sorted(
        [world.lead_user.email, world.partner_user.email]
    )


def test_colleague_actions_off_stops_withdrawn_mail(
    world, make_input, django_capture_on_commit_callbacks
):
    world.partner_user.notify_colleague_actions = False
    world.partner_user.save()

    with django_capture_on_commit_callbacks(execute=True):
        make_input("Joint work", "withdrawn", partners=[world.partner])

    assert recipients("Withdrawn:") == [world.lead_user.email]


def test_new_inputs_off_stops_to_review_mail(
    world, make_input, django_capture_on_commit_callbacks
):
    colleague = ReviewerAssignmentFactory(region=world.regions.amr).user
    client = signed_in(world.reviewer)
    client.post(PROFILE, {"full_name": "Rita Reviewer", "language": ""})
    world.reviewer.refresh_from_db()
    assert not world.reviewer.notify_new_inputs

    with django_capture_on_commit_callbacks(execute=True):
        make_input("For review", "submitted")

    assert recipients("To review:") == [colleague.email]


def test_new_inputs_off_stops_withdrawn_mail_to_reviewer(
    world, make_input, django_capture_on_commit_callbacks
):
    colleague = ReviewerAssignmentFactory(region=world.regions.amr).user
    world.reviewer.notify_new_inputs = False
    world.reviewer.save()
    written_input = make_input("For review", "submitted")

    with django_capture_on_commit_callbacks(execute=True):
        workflow.withdraw_input(written_input, by=world.lead_user, reason="Not now.")

    assert recipients("Withdrawn:") == sorted([world.lead_user.email, colleague.email])


def test_deadline_reminders_off_stops_reminder(world, django_capture_on_commit_callbacks):
    world.reviews.amr.deadline = TODAY + datetime.timedelta(days=3)
    world.reviews.amr.save(update_fields=["deadline"])
    quiet = MembershipFactory(
        iscm=world.lead, user=UserFactory(notify_deadline_reminders=False)
    ).user

    with django_capture_on_commit_callbacks(execute=True):
        sent = reminders.send_deadline_reminders(TODAY)

    assert [(r.iscm.acronym, r.recipients) for r in sent] == [("LEAD", 1)]
    everyone = sorted(address for message in mail.outbox for address in message.to)
    assert everyone == [world.lead_user.email]
    assert quiet.email not in everyone


def test_decision_mail_in_each_recipients_language(
    world, make_input, django_capture_on_commit_callbacks
):
    world.lead_user.language = "fr"
    world.lead_user.save()
    with django_capture_on_commit_callbacks(execute=True):
        written_input = make_input("Joint work", "submitted", partners=[world.partner])
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        workflow.accept_input(written_input, by=world.reviewer)

    by_address = {message.to[0]: message for message in mail.outbox}
    assert len(mail.outbox) == 2 == len(by_address)
    french = by_address[world.lead_user.email]
    english = by_address[world.partner_user.email]
    assert english.subject == "Accepted: LEAD input “Joint work”"
    assert french.subject == "Acceptée : contribution de LEAD « Joint work »"
    assert french.body != english.body


def test_deactivated_person_receives_no_mail(
    world, make_input, django_capture_on_commit_callbacks
):
    staffing.deactivate(world.partner_user, by=world.admin)

    with django_capture_on_commit_callbacks(execute=True):
        written_input = make_input("Joint work", "submitted", partners=[world.partner])
        workflow.accept_input(written_input, by=world.reviewer)

    everyone = {address for message in mail.outbox for address in message.to}
    assert world.lead_user.email in everyone
    assert world.partner_user.email not in everyone


def test_deactivated_reviewer_receives_no_mail(
    world, make_input, django_capture_on_commit_callbacks
):
    colleague = ReviewerAssignmentFactory(region=world.regions.amr).user
    staffing.deactivate(world.reviewer, by=world.admin)

    with django_capture_on_commit_callbacks(execute=True):
        make_input("For review", "submitted")

    assert recipients("To review:") == [colleague.email]


def test_deactivated_person_cannot_sign_in(client, world):
    staffing.deactivate(world.partner_user, by=world.admin)

    assert not client.login(username=world.partner_user.email, password=PASSWORD)
    response = client.post(
        reverse("login"), {"username": world.partner_user.email, "password": PASSWORD}
    )
    assert response.status_code == 200  # the form again, with its error
    assert "_auth_user_id" not in client.session


def test_deactivated_person_open_session_ends_at_next_request(world):
    client = signed_in(world.partner_user)
    assert client.get(DASHBOARD).status_code == 200

    staffing.deactivate(world.partner_user, by=world.admin)
    response = client.get(DASHBOARD)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# --- e-mail address ------------------------------------------------------------------


def ask_for_change(client, new_email, capture, *, password=PASSWORD):
    with capture(execute=True):
        return client.post(EMAIL_CHANGE, {"email": new_email, "password": password})


def link_in(message) -> str:
    return re.search(r"https?://[^/\s]+(/accounts/profile/email/[^/\s]+/)", message.body).group(1)


def test_email_change_with_wrong_password_is_refused(world, django_capture_on_commit_callbacks):
    client = signed_in(world.lead_user)

    response = ask_for_change(
        client, "lea@new.example", django_capture_on_commit_callbacks, password="not-it"
    )

    assert response.status_code == 400
    assert "That is not your current password." in response.content.decode()
    assert mail.outbox == []


@pytest.mark.parametrize("typed", ["{email}", "{upper}"])
def test_email_change_to_address_of_another_account_tells_that_address_not_the_form(
    world, django_capture_on_commit_callbacks, typed
):
    taken = world.partner_user.email
    world.partner_user.language = "fr"
    world.partner_user.save(update_fields=["language"])
    typed = typed.format(email=taken, upper=taken.upper())
    client = signed_in(world.lead_user)

    taken_response = ask_for_change(client, typed, django_capture_on_commit_callbacks)
    free_response = ask_for_change(client, "free@example.org", django_capture_on_commit_callbacks)

    # The same outcome as for a free address: a link "sent", nothing about the owner.
    assert taken_response.status_code == free_response.status_code == 302
    assert taken_response["Location"] == free_response["Location"]
    page = client.get(taken_response["Location"]).content.decode()
    assert "We sent a link to" in page and "Another account" not in page
    notice, link = mail.outbox
    assert notice.to == [taken] and link.to == ["free@example.org"]
    # The owner is told, in their language, with no link that could change anything.
    assert '<html lang="fr" dir="ltr">' in notice.alternatives[0][0]
    assert "/accounts/profile/email/" not in notice.body
    assert "/accounts/profile/email/" in link.body
    world.lead_user.refresh_from_db()
    assert world.lead_user.email != taken


def test_email_change_to_own_address_is_refused(world, django_capture_on_commit_callbacks):
    client = signed_in(world.lead_user)

    response = ask_for_change(
        client, world.lead_user.email.upper(), django_capture_on_commit_callbacks
    )

    assert response.status_code == 400
    assert "That is already your address." in response.content.decode()


def test_email_change_applies_only_when_link_opened(world, django_capture_on_commit_callbacks):
    user = world.lead_user
    old_email = user.email
    client = signed_in(user)

    response = ask_for_change(client, "lea@new.example", django_capture_on_commit_callbacks)

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.email == old_email  # nothing changes yet
    assert [message.to for message in mail.outbox] == [["lea@new.example"]]
    link = link_in(mail.outbox[0])
    assert re.fullmatch(r"/accounts/profile/email/[^/]+/", link)
    mail.outbox.clear()

    # Signed out, the link leads to the sign-in page and changes nothing.
    assert Client().get(link)["Location"].startswith(reverse("login"))
    user.refresh_from_db()
    assert user.email == old_email

    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(link, follow=True)

    assert response.redirect_chain == [(PROFILE, 302)]
    assert "Your e-mail address is now lea@new.example." in response.content.decode()
    user.refresh_from_db()
    assert user.email == "lea@new.example"
    assert [message.to for message in mail.outbox] == [[old_email]]
    assert "lea@new.example" in mail.outbox[0].body
    entry = AuditEntry.objects.get(action=AuditEntry.Action.EMAIL_CHANGED)
    assert (entry.actor, entry.person) == (user, user)
    assert entry.detail == f"{old_email} → lea@new.example"
    # The new address signs in; the old one no longer does.
    assert Client().login(username="lea@new.example", password=PASSWORD)
    assert not Client().login(username=old_email, password=PASSWORD)


def test_email_change_link_works_once(world, django_capture_on_commit_callbacks):
    client = signed_in(world.lead_user)
    ask_for_change(client, "lea@new.example", django_capture_on_commit_callbacks)
    link = link_in(mail.outbox[0])
    assert client.get(link).status_code == 302

    response = client.get(link)

    assert response.status_code == 400
    assert "This link has been used" in response.content.decode()
    assert AuditEntry.objects.filter(action=AuditEntry.Action.EMAIL_CHANGED).count() == 1


def test_email_change_link_of_another_account_is_refused(
    world, django_capture_on_commit_callbacks
):
    ask_for_change(
        signed_in(world.lead_user), "lea@new.example", django_capture_on_commit_callbacks
    )
    link = link_in(mail.outbox[0])
    partner_email, lead_email = world.partner_user.email, world.lead_user.email

    response = signed_in(world.partner_user).get(link)

    assert response.status_code == 400
    assert "This link is for another account." in response.content.decode()
    world.partner_user.refresh_from_db()
    world.lead_user.refresh_from_db()
    assert (world.partner_user.email, world.lead_user.email) == (partner_email, lead_email)
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.EMAIL_CHANGED).exists()


def test_email_change_link_expired_is_refused(
    world, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.EMAIL_CHANGE_DAYS = 3
    client = signed_in(world.lead_user)
    with monkeypatch.context() as m:
        # The link is signed four days ago (Django's signer reads the clock here).
        four_days_ago = time.time() - 4 * 86400
        m.setattr(signing, "time", SimpleNamespace(time=lambda: four_days_ago))
        ask_for_change(client, "lea@new.example", django_capture_on_commit_callbacks)
    link = link_in(mail.outbox[0])

    response = client.get(link)

    assert response.status_code == 400
    assert "This confirmation link has expired." in response.content.decode()
    world.lead_user.refresh_from_db()
    assert world.lead_user.email != "lea@new.example"


def test_email_change_link_tampered_is_refused(world, django_capture_on_commit_callbacks):
    client = signed_in(world.lead_user)
    ask_for_change(client, "lea@new.example", django_capture_on_commit_callbacks)
    token = link_in(mail.outbox[0]).split("/")[-2]
    forged = signing.dumps(
        {"user": world.lead_user.pk, "from": world.lead_user.email, "to": "evil@x.example"},
        salt="another.salt",
    )

    for bad in (token[:-2] + "xx", forged):
        response = client.get(reverse("accounts:email-confirm", args=[bad]))
        assert response.status_code == 400
        assert "This confirmation link is not valid." in response.content.decode()
    world.lead_user.refresh_from_db()
    assert world.lead_user.email.endswith("@example.net")


def test_email_change_to_address_taken_meanwhile_is_refused(
    world, django_capture_on_commit_callbacks
):
    client = signed_in(world.lead_user)
    ask_for_change(client, "lea@new.example", django_capture_on_commit_callbacks)
    link = link_in(mail.outbox[0])
    UserFactory(email="LEA@new.example")

    response = client.get(link)

    assert response.status_code == 400
    assert "Another account now uses lea@new.example." in response.content.decode()
    world.lead_user.refresh_from_db()
    assert world.lead_user.email != "lea@new.example"
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.EMAIL_CHANGED).exists()


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
