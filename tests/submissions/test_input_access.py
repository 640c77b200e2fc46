"""Who may see and change written inputs: the query set rules as a truth table, and
every secretariat page answering 200, 404 or a login redirect per persona."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse
from django.utils import timezone

from submissions import workflow
from submissions.models import WrittenInput

from ..factories import MembershipFactory, ReviewerAssignmentFactory
from .conftest import fill

pytestmark = pytest.mark.django_db

PERSONAS = ["lead_user", "partner_user", "other_user", "reviewer", "other_reviewer", "admin"]


def _ids(queryset):
    return set(queryset.values_list("pk", flat=True))


@pytest.mark.parametrize(
    ("persona", "sees_draft", "sees_submitted", "edits_draft", "leads"),
    [
        ("lead_user", True, True, True, True),
        ("partner_user", True, True, True, False),
        ("other_user", False, False, False, False),
        ("reviewer", False, True, False, False),
        ("other_reviewer", False, False, False, False),
        ("admin", True, True, False, False),
    ],
)
def test_input_query_sets_truth_table(
    world, joint_input, persona, sees_draft, sees_submitted, edits_draft, leads
):
    user = getattr(world, persona)
    draft = {joint_input.pk}
    assert (_ids(WrittenInput.objects.visible_to(user)) == draft) is sees_draft
    assert (_ids(WrittenInput.objects.editable_by(user)) == draft) is edits_draft
    assert (_ids(WrittenInput.objects.led_by(user)) == draft) is leads

    fill(joint_input, world)
    workflow.submit_input(joint_input, by=world.lead_user, today=timezone.localdate())
    assert (_ids(WrittenInput.objects.visible_to(user)) == draft) is sees_submitted
    assert not WrittenInput.objects.editable_by(user).exists()


def test_draft_withdrawn_before_submission_stays_invisible_to_reviewers(world, joint_input):
    workflow.withdraw_input(joint_input, by=world.lead_user, reason="Not this round.")
    assert not WrittenInput.objects.visible_to(world.reviewer).exists()
    assert WrittenInput.objects.visible_to(world.lead_user).exists()


def test_input_query_sets_anonymous_and_inactive_see_nothing(world, joint_input):
    assert not WrittenInput.objects.visible_to(AnonymousUser()).exists()
    world.lead_user.is_active = False
    assert not WrittenInput.objects.visible_to(world.lead_user).exists()


def test_visible_to_lists_an_input_once_whatever_the_joins(world, ready_input):
    joint_input = ready_input
    workflow.submit_input(joint_input, by=world.lead_user, today=timezone.localdate())
    # reviewer of two target regions, member of lead and partner
    user = world.lead_user
    MembershipFactory(user=user, iscm=world.partner)
    ReviewerAssignmentFactory(user=user, region=world.regions.amr)
    ReviewerAssignmentFactory(user=user, region=world.regions.eur)
    assert WrittenInput.objects.visible_to(user).count() == 1


SECRETARIAT_PAGES = [
    "submissions:input-detail",
    "submissions:input-edit",
    "submissions:input-details",
    "submissions:input-preview",
]


@pytest.mark.parametrize("page", SECRETARIAT_PAGES)
@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("lead_user", 200),
        ("partner_user", 200),
        ("other_user", 404),
        ("reviewer", 404),
        ("other_reviewer", 404),
        ("admin", 404),
    ],
)
def test_secretariat_pages_per_persona(client, world, joint_input, page, persona, expected):
    client.force_login(getattr(world, persona))
    response = client.get(reverse(page, args=[joint_input.pk]))
    assert response.status_code == expected


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("lead_user", 200), ("partner_user", 404), ("other_user", 404), ("reviewer", 404)],
)
def test_the_withdraw_page_is_the_lead_secretariats_alone(
    client, world, joint_input, persona, expected
):
    client.force_login(getattr(world, persona))
    response = client.get(reverse("submissions:input-withdraw", args=[joint_input.pk]))
    assert response.status_code == expected


@pytest.mark.parametrize(
    "page", [*SECRETARIAT_PAGES, "submissions:input-withdraw", "submissions:dashboard"]
)
def test_secretariat_pages_need_sign_in(client, world, joint_input, page):
    args = [] if page == "submissions:dashboard" else [joint_input.pk]
    response = client.get(reverse(page, args=args))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(
    "page",
    [
        "submissions:input-submit",
        "submissions:input-consent",
        "submissions:input-withdraw",
        "submissions:attachment-upload",
    ],
)
@pytest.mark.parametrize("persona", ["other_user", "reviewer", "admin"])
def test_secretariat_actions_are_404_for_outsiders(client, world, joint_input, page, persona):
    client.force_login(getattr(world, persona))
    response = client.post(reverse(page, args=[joint_input.pk]), {"reason": "x", "consent": "yes"})
    assert response.status_code == 404
    joint_input.refresh_from_db()
    assert joint_input.status == "draft"
    assert not joint_input.publication_consent


@pytest.mark.parametrize("page", ["submissions:input-submit", "submissions:input-consent"])
def test_state_changing_pages_refuse_get(client, world, joint_input, page):
    client.force_login(world.lead_user)
    assert client.get(reverse(page, args=[joint_input.pk])).status_code == 405


def test_create_page_is_404_without_a_secretariat(client, world):
    client.force_login(world.reviewer)
    assert client.get(reverse("submissions:input-create")).status_code == 404


def test_dashboard_without_memberships_explains(client, world):
    client.force_login(world.reviewer)
    response = client.get(reverse("submissions:dashboard"))
    assert response.status_code == 200
    assert "not on the secretariat of any ISCM" in response.content.decode()


def test_submitted_input_is_read_only_for_its_secretariats(client, world, ready_input):
    workflow.submit_input(ready_input, by=world.lead_user, today=timezone.localdate())
    for persona in ("lead_user", "partner_user"):
        client.force_login(getattr(world, persona))
        for page in ("submissions:input-edit", "submissions:input-details"):
            response = client.get(reverse(page, args=[ready_input.pk]))
            assert response.status_code == 302
            assert response["Location"] == reverse(
                "submissions:input-detail", args=[ready_input.pk]
            )
        assert (
            client.get(reverse("submissions:input-detail", args=[ready_input.pk])).status_code
            == 200
        )
