"""Query budgets of the accounts pages that other files do not count: the invitation
page, the profile, the e-mail change form, the two-factor overview and the staff
invitation form. Each is counted with little and with more data around it."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from accounts import invitations
from submissions.models import ISCM

from ..factories import ISCMFactory, MembershipFactory

pytestmark = pytest.mark.django_db


def _link(world, iscms, email, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        invitations.create_invitation(by=world.admin, email=email, role="secretariat", iscms=iscms)
    return re.search(r"(/invitations/[^/\s]+/)", mail.outbox[-1].body).group(1)


def test_invitation_page_queries_do_not_grow_with_its_iscms(
    client, world, count_queries, django_capture_on_commit_callbacks
):
    one = count_queries(
        client, _link(world, [world.lead], "one@example.net", django_capture_on_commit_callbacks)
    )
    many_iscms = [ISCMFactory() for _ in range(12)]
    many = count_queries(
        client, _link(world, many_iscms, "many@example.net", django_capture_on_commit_callbacks)
    )
    assert many == one <= 4


@pytest.mark.parametrize(
    "name", ["accounts:profile", "accounts:email-change", "accounts:two-factor"]
)
def test_own_account_pages_queries_do_not_grow_with_memberships(
    client, world, name, count_queries
):
    client.force_login(world.lead_user)
    url = reverse(name)
    few = count_queries(client, url)
    for iscm in ISCM.objects.exclude(memberships__user=world.lead_user):
        MembershipFactory(iscm=iscm, user=world.lead_user)
    for _ in range(10):
        MembershipFactory(user=world.lead_user)
    assert count_queries(client, url) == few <= 9


def test_staff_invitation_form_queries_do_not_grow_with_iscms(client, world, count_queries):
    client.force_login(world.admin)
    url = reverse("accounts:staff-invitation-new")
    few = count_queries(client, url)
    for _ in range(20):
        ISCMFactory()
    assert count_queries(client, url) == few <= 10
