"""The synthesis draft's pages (reviews/views/synthesis.py): who may ask for a draft,
follow it and download it (the IOM staff who may open the review's staff dashboard;
everyone else 404), the second factor, bad input, and what the pages cost in queries."""

import io

import docx
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reviews import synthesis_drafts
from reviews.models import SynthesisDraft

from ..conftest import force_login_one_factor
from .test_synthesis import make_accepted, other_iscm

pytestmark = pytest.mark.django_db


@pytest.fixture
def done(world, django_capture_on_commit_callbacks):
    """AMR with one accepted input and a finished English draft."""
    make_accepted(world, "Accepted input", objectives={world.objectives[0]: ("Done.", "", "")})
    with django_capture_on_commit_callbacks(execute=True):
        draft, _created = synthesis_drafts.request_draft(
            world.reviews.amr, language="en", by=world.reviewer
        )
    draft.refresh_from_db()
    assert draft.status == "done", draft.error
    return draft


def _page_url(review):
    return reverse("reviews:synthesis-drafts", args=[review.cycle.slug, review.region.code])


def _get(client, url):
    """GET `url` with its body read to the end (a download holds its file open until
    then; the test client closes it. Never `close()` again: that would end the
    request, which closes PostgreSQL's connection in the middle of the test)."""
    response = client.get(url)
    response.body = (
        b"".join(response.streaming_content) if response.streaming else response.content
    )
    return response


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert _get(client, url).status_code == 200, url
    return len(queries)


def _urls(draft):
    return [
        _page_url(draft.review),
        draft.get_absolute_url(),
        reverse("reviews:synthesis-download", args=[draft.pk, "docx"]),
        reverse("reviews:synthesis-download", args=[draft.pk, "pdf"]),
    ]


@pytest.mark.parametrize("persona", ["reviewer", "admin", "compiler"])
def test_iom_staff_of_the_region_open_every_page(client, world, done, compiler, persona):
    user = compiler if persona == "compiler" else getattr(world, persona)
    client.force_login(user)
    for url in _urls(done):
        assert _get(client, url).status_code == 200, url


@pytest.mark.parametrize("persona", ["lead_user", "partner_user", "other_user", "other_reviewer"])
def test_others_get_404(client, world, done, persona):
    client.force_login(getattr(world, persona))
    for url in _urls(done):
        assert _get(client, url).status_code == 404, url
    response = client.post(_page_url(done.review), {"language": "en"})
    assert response.status_code == 404
    assert SynthesisDraft.objects.count() == 1


def test_anonymous_visitors_are_sent_to_sign_in(client, done):
    for url in _urls(done):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    response = client.post(_page_url(done.review), {"language": "en"})
    assert response.status_code == 302 and SynthesisDraft.objects.count() == 1


def test_staff_pages_wait_for_the_second_factor(client, world, done):
    force_login_one_factor(client, world.reviewer)
    for url in _urls(done):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:two-factor-enrol"))


def test_the_downloads_are_attachments(client, world, done):
    client.force_login(world.reviewer)
    docx_url, pdf_url = _urls(done)[2:]
    response = _get(client, docx_url)
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    assert response["Content-Disposition"] == (
        f'attachment; filename="AMR-{done.review.cycle.slug}-synthesis-draft-{done.pk}-en.docx"'
    )
    paragraphs = docx.Document(io.BytesIO(response.body)).paragraphs
    assert "Accepted input" in "\n".join(p.text for p in paragraphs)
    response = _get(client, pdf_url)
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response.body.startswith(b"%PDF")
    bad = reverse("reviews:synthesis-download", args=[done.pk, "html"])
    assert client.get(bad).status_code == 404


def test_the_dashboard_links_the_synthesis_page(client, world):
    client.force_login(world.reviewer)
    review = world.reviews.amr
    page = client.get(reverse("reviews:dashboard", args=[review.cycle.slug, review.region.code]))
    assert _page_url(review) in page.content.decode()


def test_asking_for_a_draft_in_a_chosen_language(
    client, world, done, django_capture_on_commit_callbacks
):
    client.force_login(world.reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_page_url(done.review), {"language": "zh-hans"})
    draft = SynthesisDraft.objects.exclude(pk=done.pk).get()
    assert response.status_code == 302 and response["Location"] == draft.get_absolute_url()
    assert (draft.language, draft.requested_by) == ("zh-hans", world.reviewer)
    assert draft.status == "done"  # the immediate backend ran it


def test_a_language_not_offered_is_refused_with_a_message(client, world):
    client.force_login(world.reviewer)
    url = _page_url(world.reviews.amr)
    response = client.post(url, {"language": "xx"}, follow=True)
    assert "Choose one of the languages offered." in response.content.decode()
    assert not SynthesisDraft.objects.exists()


def test_the_page_offers_the_persons_language(client, world):
    world.reviewer.language = "fr"
    world.reviewer.save()
    client.force_login(world.reviewer)
    page = client.get(_page_url(world.reviews.amr)).content.decode()
    assert '<option value="fr" selected>' in page


def test_a_draft_not_yet_done_has_no_download(client, world):
    draft, _created = synthesis_drafts.request_draft(
        world.reviews.amr, language="en", enqueue=False
    )
    client.force_login(world.reviewer)
    for kind in ("docx", "pdf"):
        url = reverse("reviews:synthesis-download", args=[draft.pk, kind])
        assert _get(client, url).status_code == 404


def test_pages_cost_the_same_queries_with_more_inputs_and_drafts(
    client, world, done, django_capture_on_commit_callbacks
):
    client.force_login(world.reviewer)
    few = [_queries(client, url) for url in _urls(done)]
    for n in range(4):
        make_accepted(
            world,
            f"More {n}",
            lead=other_iscm(world, f"MORE{n}"),
            objectives={world.objectives[1]: ("More.", "", "")},
        )
    for language in ("fr", "es"):
        synthesis_drafts.request_draft(world.reviews.amr, language=language, enqueue=False)
    with django_capture_on_commit_callbacks(execute=True):
        bigger, _created = synthesis_drafts.request_draft(world.reviews.amr, language="ru")
    many = [_queries(client, url) for url in _urls(bigger)]
    assert many == few, (few, many)
    # 9, 9, 4, 4 today: the session, the user and the second factor's device; the
    # review or the draft; on the two pages the stale drafts' two UPDATEs, and the
    # recent drafts or the count of inputs quoted.
    assert max(few) <= 10
