import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from submissions.models import ReviewCycle

from ..factories import RegionalReviewFactory, ReviewCycleFactory

pytestmark = pytest.mark.django_db

# current cycle, its reviews with their regions (one join).
HOME_QUERIES = 2


def test_home_shows_the_current_cycle_and_its_reviews(client):
    today = timezone.localdate()
    cycle = ReviewCycleFactory(name="Third round", active=True)
    open_review = RegionalReviewFactory(cycle=cycle, deadline=today + datetime.timedelta(days=9))
    RegionalReviewFactory(
        cycle=cycle,
        submission_opens=today + datetime.timedelta(days=5),
        deadline=today + datetime.timedelta(days=40),
    )
    RegionalReviewFactory(cycle=ReviewCycleFactory(), region=open_review.region)  # other cycle

    response = client.get(reverse("home"))

    body = response.content.decode()
    assert response.status_code == 200
    assert "Third round" in body
    assert len(response.context["reviews"]) == 2
    assert "Open for inputs" in body
    assert "9 days left" in body
    assert "Opens soon" in body


def test_home_without_a_current_cycle_says_so(client):
    ReviewCycleFactory(active=False)
    response = client.get(reverse("home"))
    assert "No review round is open" in response.content.decode()


def test_home_with_unscheduled_reviews_shows_them_without_dates(client, reference_data):
    response = client.get(reverse("home"))
    assert ReviewCycle.objects.current().slug == "2028-2029"
    assert response.content.decode().count("Not yet scheduled") >= 5


def test_home_query_count_does_not_grow_with_reviews(client, django_assert_max_num_queries):
    cycle = ReviewCycleFactory(active=True)
    RegionalReviewFactory(cycle=cycle)
    with django_assert_max_num_queries(HOME_QUERIES):
        client.get(reverse("home"))
    RegionalReviewFactory.create_batch(4, cycle=cycle)
    with django_assert_max_num_queries(HOME_QUERIES):
        client.get(reverse("home"))


def test_home_navigation_for_anonymous_offers_sign_in(client, db):
    body = client.get(reverse("home")).content.decode()
    assert 'href="/accounts/login/' in body
    assert "Administration" not in body
    assert 'href="#main"' in body  # skip link
    assert '<main id="main"' in body


def test_home_navigation_shows_roles_and_admin_link_to_staff(client, admin_user_, reviewer_user):
    client.force_login(admin_user_)
    body = client.get(reverse("home")).content.decode()
    assert "Administration" in body
    assert "Sign out" in body

    client.force_login(reviewer_user)
    body = client.get(reverse("home")).content.decode()
    assert "Administration" not in body
    assert "Reviewer" in body


def test_language_switcher_keeps_the_page_and_switches_language(client, reference_data):
    response = client.post(reverse("set_language"), {"language": "fr", "next": "/objectives/3/"})
    assert response.status_code == 302
    assert response["Location"] == "/objectives/3/"
    page = client.get("/objectives/3/")
    assert '<html lang="fr" dir="ltr">' in page.content.decode()
