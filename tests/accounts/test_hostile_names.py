"""Hostile text as a person's name (typed when accepting an invitation and on the
profile), shown on every accounts page and e-mail that names people: the same corpus
and checks as tests/test_hostile_content.py (no script of the text's making, no
reordering of the portal's words, nothing slow, refusals with a message and the text
kept)."""

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts import invitations
from accounts.models import User
from submissions.models import Membership

from ..test_hostile_content import CASES, NUL_MESSAGE, Visit

pytestmark = pytest.mark.django_db

NAME_MAX_LENGTH = 150
PASSWORD = "a-Fresh-passw0rd-2026"


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_names_on_accounts_pages(case, world, django_capture_on_commit_callbacks):
    visit = Visit(case)
    admin = Client()
    admin.force_login(world.admin)
    with django_capture_on_commit_callbacks(execute=True):
        invitations.create_invitation(
            by=world.admin,
            email="named@example.net",
            role="secretariat",
            iscms=[world.lead],
            as_lead=True,
        )
    link = re.search(r"(/invitations/[^/\s]+/)", mail.outbox[-1].body).group(1)

    invitee = Client()
    data = {"full_name": case.text, "password1": PASSWORD, "password2": PASSWORD}
    response = visit.post(invitee, link, data, label="accept")
    name = case.typed
    if "\x00" in name or len(name) > NAME_MAX_LENGTH or not name:
        assert (
            response.status_code == 200
            and not User.objects.filter(email="named@example.net").exists()
        )
        text = " ".join("".join(response.page.text).split())
        expected = (
            NUL_MESSAGE
            if "\x00" in name
            else ("Ensure this value has at most" if name else "This field is required")
        )
        assert expected in text or "The name holds a character" in text, text[:500]
        # What was typed is kept (NUL aside, which the browser shows as U+FFFD).
        if "\x00" not in name and len(name) < 5000:
            assert response.page.values["full_name"] == [case.text.strip()] or case.text in (
                response.content.decode()
            )
        return
    assert response.status_code == 302, response.status_code
    person = User.objects.get(email="named@example.net")
    assert person.full_name == name

    # The person's own pages, then everybody's pages that name them.
    for label, url in (
        ("dashboard", reverse("submissions:dashboard")),
        ("profile", reverse("accounts:profile")),
        ("team as member", reverse("accounts:team", args=[world.lead.slug])),
    ):
        visit.get(invitee, url, label=label)
    for label, url in (
        ("staff home", reverse("accounts:staff")),
        ("people", reverse("accounts:staff-people")),
        ("person", reverse("accounts:staff-person", args=[person.pk])),
        ("teams", reverse("accounts:staff-iscms")),
        ("audit", reverse("accounts:staff-audit")),
        ("team as admin", reverse("accounts:team", args=[world.lead.slug])),
        ("invitations", reverse("accounts:staff-invitations")),
    ):
        visit.get(admin, url, label=label)

    # As inviter: the colleague's e-mail and the staff list name them.
    with django_capture_on_commit_callbacks(execute=True):
        visit.post(
            invitee,
            reverse("accounts:team-invite", args=[world.lead.slug]),
            {"email": "colleague@example.net"},
            label="invite",
            expect=(302,),
        )
    message = mail.outbox[-1]
    visit.check_html(message.alternatives[0][0], "invitation e-mail", bidi=False)
    visit.get(admin, reverse("accounts:staff-invitations"), label="invitations after")
    assert Membership.objects.filter(user=person, is_lead=True).exists()

    # And typed again on the profile.
    response = visit.post(
        invitee,
        reverse("accounts:profile"),
        {"full_name": case.text, "language": ""},
        label="profile save",
        expect=(302,),
    )
