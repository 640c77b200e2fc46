import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from submissions import editing

from .conftest import fill

pytestmark = pytest.mark.django_db

# session, user, roles (2), memberships, inputs + partners + reviews/regions (3),
# current cycle, open reviews of my regions.
DASHBOARD_QUERIES = 12


def _new_input(world, title, targets=None):
    return editing.create_input(
        by=world.lead_user,
        cycle=world.cycle,
        lead_iscm=world.lead,
        partners=[world.partner],
        targets=targets or [world.reviews.amr],
        title=title,
        language="en",
        basis="written_input",
    )


def test_dashboard_lists_inputs_as_lead_and_partner_with_deadlines(client, world, joint_input):
    today = timezone.localdate()
    client.force_login(world.partner_user)
    response = client.get(reverse("submissions:dashboard"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Joint input" in body
    assert "LEAD" in body
    assert "Draft" in body
    days = (world.reviews.amr.deadline - today).days
    assert f"{days} days left" in body
    assert "New written input" in body
    open_reviews = response.context["open_reviews"]
    assert [(r.region.code, [i.pk for i in inputs]) for r, _days, inputs in open_reviews] == [
        ("EUR", [joint_input.pk])
    ]


def test_dashboard_shows_open_reviews_without_an_input(client, world):
    client.force_login(world.lead_user)
    response = client.get(reverse("submissions:dashboard"))
    assert [r.region.code for r, _d, _i in response.context["open_reviews"]] == ["AMR"]
    assert "No input yet" in response.content.decode()


def test_dashboard_hides_other_iscms_inputs(client, world, joint_input):
    client.force_login(world.other_user)
    assert "Joint input" not in client.get(reverse("submissions:dashboard")).content.decode()


def test_dashboard_query_count_does_not_grow_with_inputs(
    client, world, count_queries, django_assert_max_num_queries
):
    client.force_login(world.lead_user)
    _new_input(world, "First")
    one = count_queries(client, reverse("submissions:dashboard"))
    for n in range(19):
        _new_input(world, f"Input {n}", targets=[world.reviews.amr, world.reviews.eur])
    with django_assert_max_num_queries(DASHBOARD_QUERIES):
        twenty = count_queries(client, reverse("submissions:dashboard"))
    assert twenty == one


def test_preview_renders_the_input_as_reviewers_will_see_it(client, world, joint_input):
    fill(joint_input, world, intro="First **bold** paragraph.\n\n- one\n- two")
    client.force_login(world.partner_user)
    body = client.get(reverse("submissions:input-preview", args=[joint_input.pk])).content.decode()
    assert "<strong>bold</strong>" in body
    assert "<li>one</li>" in body
    assert "Round table" in body
    assert "Progress made." in body


def test_preview_markdown_with_scripts_and_javascript_links_is_inert(client, world, joint_input):
    fill(
        joint_input,
        world,
        intro='<script>alert(1)</script> [x](javascript:alert(2)) <b onmouseover="alert(3)">b</b>',
    )
    client.force_login(world.lead_user)
    body = client.get(reverse("submissions:input-preview", args=[joint_input.pk])).content.decode()
    assert "<script>alert(1)" not in body
    assert "&lt;script&gt;" in body
    assert "javascript:" not in body
    assert "onmouseover" not in body or "&lt;b onmouseover" in body


def test_preview_of_an_arabic_input_is_right_to_left(client, world, joint_input):
    joint_input.language = "ar"
    joint_input.save()
    fill(joint_input, world, intro="أُعدّت هذه المساهمة على أساس نتائج الاجتماع.")
    client.force_login(world.lead_user)
    body = client.get(reverse("submissions:input-preview", args=[joint_input.pk])).content.decode()
    assert 'lang="ar" dir="rtl"' in body
    assert "أُعدّت هذه المساهمة" in body


def test_edit_fields_of_an_arabic_input_are_right_to_left(client, world, joint_input):
    joint_input.language = "ar"
    joint_input.save()
    client.force_login(world.lead_user)
    body = client.get(reverse("submissions:input-edit", args=[joint_input.pk])).content.decode()
    assert 'dir="rtl"' in body
    assert 'lang="ar"' in body


def test_deadline_passed_shown_on_dashboard(client, world, joint_input):
    today = timezone.localdate()
    world.reviews.eur.submission_opens = today - datetime.timedelta(days=30)
    world.reviews.eur.deadline = today - datetime.timedelta(days=1)
    world.reviews.eur.save()
    client.force_login(world.lead_user)
    assert "deadline passed" in client.get(reverse("submissions:dashboard")).content.decode()
