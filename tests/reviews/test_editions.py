"""reviews/editions.py and the two editions of regional packages: the review edition
(every input the review accepted, marked not for publication on every page) and the
public edition (published inputs with consent only). Only the public edition is ever
public, and it goes offline in the commit that takes one of its inputs off the public
portal."""

import datetime
import importlib
import re
from io import StringIO
from unittest import mock

import pytest
from django.apps import apps
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from reviews import editions, packages
from reviews.models import RegionalPackage
from submissions import workflow
from submissions.models import WrittenInput

from ..factories import ReviewerAssignmentFactory
from ..submissions.conftest import submitted_input
from .conftest import MARK, body_bytes, decide, pdf_pages, read_stored

pytestmark = pytest.mark.django_db


def test_review_edition_carries_every_accepted_input_and_is_marked_on_every_page(review_world):
    package, _private, _public = review_world
    pages = pdf_pages(read_stored(package.file))
    text = " ".join(pages)
    assert "Accepted without consent" in text and "Published with consent" in text
    assert all(MARK in page for page in pages), [i for i, p in enumerate(pages) if MARK not in p]
    assert "Review edition: for the regional review, not for publication." in pages[0]


def test_public_edition_never_carries_an_unconsented_or_unpublished_input(review_world):
    package, _private, public = review_world
    assert [v.input_id for v in package.public_input_versions.all()] == [public.pk]
    pages = pdf_pages(read_stored(package.public_file))
    text = " ".join(pages)
    assert "Published with consent" in text
    assert "Accepted without consent" not in text
    assert MARK not in text
    assert package.public_page_count == len(pages)
    assert package.public_sha256 != package.sha256


def test_unpublishing_an_input_takes_its_public_editions_offline_at_once(
    client, world, compiler, review_world, django_capture_on_commit_callbacks
):
    package, _private, public = review_world
    old_public, old_review = read_stored(package.public_file), read_stored(package.file)
    client.force_login(world.reviewer)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = decide(client, public, "unpublish", message="A correction is due.")
    assert response.status_code == 302

    client.logout()
    gone = client.get(reverse("public:package-download", args=[package.pk]))
    assert gone.status_code == 410
    assert "no longer available" in gone.content.decode()
    # No public URL serves the old bytes: not the download, not the list.
    listing = client.get(reverse("public:packages"))
    assert list(listing.context["packages"]) == []
    for url in (reverse("public:package-download", args=[package.pk]), reverse("public:packages")):
        body = body_bytes(client.get(url))
        assert old_public not in body and old_review not in body

    package.refresh_from_db()
    assert package.taken_offline_at is not None
    assert "Published with consent" in package.taken_offline_reason
    newer = RegionalPackage.objects.filter(review=package.review).latest("number")
    assert newer.number == package.number + 1
    assert newer.status == "done"
    assert not newer.public_input_versions.exists()
    offline_mail = [m for m in mail.outbox if "taken offline" in m.subject]
    assert [m.to for m in offline_mail] == [[compiler.email]]
    # The old version cannot be published again.
    with pytest.raises(editions.PackageRefused):
        editions.set_published(package, publish=True)


def test_any_path_off_the_public_portal_is_offline_in_the_same_commit(client, review_world):
    """Whatever changes the input (here a direct status change, as an administrator's
    repair would), the public edition is no longer served: the rule is read at every
    request, not left to a hook."""
    package, _private, public = review_world
    WrittenInput.objects.filter(pk=public.pk).update(status="withdrawn")
    assert client.get(reverse("public:package-download", args=[package.pk])).status_code == 410
    assert editions.take_public_editions_offline() == [package]
    assert editions.take_public_editions_offline() == []  # once


def test_package_page_says_which_edition_carries_each_input_and_why(
    client, compiler, review_world
):
    package, private, public = review_world
    client.force_login(compiler)
    page = client.get(package.get_absolute_url())
    rows = {row["version"].input_id: row for row in page.context["editions"]}
    assert rows[public.pk]["public"] and not rows[public.pk]["reason"]
    assert not rows[private.pk]["public"]
    assert "not consented" in rows[private.pk]["reason"]
    body = page.content.decode()
    assert "Download the public edition" in body and "Download the review edition" in body
    review = client.get(reverse("reviews:package-download", args=[package.pk]))
    assert body_bytes(review) == read_stored(package.file)
    public_copy = client.get(
        reverse("reviews:package-download", args=[package.pk]) + "?edition=public"
    )
    assert body_bytes(public_copy) == read_stored(package.public_file)


def test_a_regions_package_holds_what_that_region_accepted(
    world, compiler, django_capture_on_commit_callbacks
):
    """An input to AMR and EUR accepted by AMR only is in AMR's package."""
    eur_reviewer = ReviewerAssignmentFactory(region=world.regions.eur).user
    both = submitted_input(world, "Two regions", targets=[world.reviews.amr, world.reviews.eur])
    workflow.accept_input(both, by=world.reviewer)
    workflow.decline_input(both, by=eur_reviewer, reason="Not for us.")
    with django_capture_on_commit_callbacks(execute=True):
        amr, _ = packages.request_compile(world.reviews.amr, by=compiler)
        eur, _ = packages.request_compile(world.reviews.eur, by=compiler)
    assert [v.input_id for v in amr.input_versions.all()] == [both.pk]
    assert not eur.input_versions.exists()


def test_publishing_a_package_changes_no_new_version_unless_an_input_was_published(
    world, compiler, review_world, django_capture_on_commit_callbacks
):
    package, private, _public = review_world
    same, created = packages.request_compile(world.reviews.amr, by=compiler)
    assert (same.pk, created) == (package.pk, False)
    workflow.set_publication_consent(private, by=world.lead_user, consent=True)
    workflow.publish_input(private, by=world.reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        newer, created = packages.request_compile(world.reviews.amr, by=compiler)
    assert created  # the same accepted inputs, but the public edition changes
    assert newer.public_input_versions.count() == 2


def test_signed_link_serves_the_review_edition_to_anyone_until_it_expires(client, review_world):
    package, _private, _public = review_world
    token = editions.review_edition_link(package)
    url = reverse("packages:review-edition", args=[token])
    response = client.get(url)
    assert response.status_code == 200
    assert body_bytes(response) == read_stored(package.file)
    assert "no-store" in response["Cache-Control"]
    assert response["X-Robots-Tag"] == "noindex"
    assert client.get(url[:-3] + "xx/").status_code == 404  # altered
    assert client.get(reverse("packages:review-edition", args=["not-a-token"])).status_code == 404
    later = timezone.now() + datetime.timedelta(days=editions.REVIEW_EDITION_LINK_DAYS + 1)
    # The signer reads the clock; only the clock is replaced.
    with mock.patch("django.core.signing.time.time", return_value=later.timestamp()):
        assert client.get(url).status_code == 404


def test_compiler_page_shows_the_signed_link_built_from_site_url(
    client, compiler, review_world, settings
):
    package, _private, _public = review_world
    settings.SITE_URL = "https://portal.example.org"
    client.force_login(compiler)
    link = client.get(package.get_absolute_url()).context["review_edition_link"]
    assert link.startswith("https://portal.example.org/packages/review-edition/")


def test_publishing_refuses_a_package_whose_input_left_the_public_portal(review_world):
    package, _private, public = review_world
    editions.set_published(package, publish=False)
    WrittenInput.objects.filter(pk=public.pk).update(status="accepted")
    with pytest.raises(editions.PackageRefused, match="no longer public"):
        editions.set_published(package, publish=True)
    assert not RegionalPackage.objects.get(pk=package.pk).published


def test_daily_command_records_editions_offline(review_world):
    package, _private, public = review_world
    WrittenInput.objects.filter(pk=public.pk).update(status="withdrawn")
    out = StringIO()
    call_command("take_public_editions_offline", stdout=out)
    assert "1 public edition(s) taken offline." in out.getvalue()
    package.refresh_from_db()
    assert package.taken_offline_at is not None


def test_migration_unpublishes_packages_compiled_before_the_editions(review_world):
    package, _private, _public = review_world
    RegionalPackage.objects.filter(pk=package.pk).update(public_file="")
    migration = importlib.import_module("reviews.migrations.0003_package_editions")
    migration.unpublish_packages_without_public_edition(apps, None)
    assert not RegionalPackage.objects.get(pk=package.pk).published


def test_package_page_ids_are_unique(client, compiler, review_world):
    package, _private, _public = review_world
    client.force_login(compiler)
    body = client.get(package.get_absolute_url()).content.decode()
    ids = re.findall(r'\sid="([^"]+)"', body)
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
