import datetime

import pytest
from django.core import mail
from django.urls import reverse

from submissions import editing, workflow
from submissions.comments import add_review_comment
from submissions.models import ReviewComment, WrittenInput

from ..submissions.conftest import fill, submitted_input
from .conftest import decide

pytestmark = pytest.mark.django_db
TODAY = datetime.date.today()

# session, user, roles (2), regions of the reviewer, reviewable inputs + prefetches
# (partners, reviews, regions), counts per status, filter choices (regions, cycles, ISCMs)
QUEUE_QUERIES = 14
# session, user, roles (2), input, version(s), comments, events, versions list,
# extension/comment forms need nothing more; each review's decision (target links with
# their regions), the reviews the reviewer may still decide for; the reviews of the
# history's decisions and their regions.
REVIEW_QUERIES = 16
# + the session's second-factor device (django-otp), which IOM staff always have; each
# review's decision on the inputs (target links), the reviews without a reviewer.
OVERVIEW_QUERIES = 15


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("reviewer", 200), ("other_reviewer", 200), ("lead_user", 404), ("admin", 404)],
)
def test_queue_access(client, world, persona, expected):
    client.force_login(getattr(world, persona))
    assert client.get(reverse("reviews:queue")).status_code == expected


def test_queue_lists_submitted_inputs_of_my_regions_only(client, world):
    mine = submitted_input(world)
    client.force_login(world.other_reviewer)
    assert list(client.get(reverse("reviews:queue")).context["inputs"]) == []
    client.force_login(world.reviewer)
    response = client.get(reverse("reviews:queue"))
    assert list(response.context["inputs"]) == [mine]
    assert ("submitted", "Submitted", 1) in response.context["counts"]


def test_queue_filters_and_sorts_by_time_waiting(client, world):
    first = submitted_input(world, "First")
    direct = submitted_input(world, "Direct", partners=[])
    workflow.accept_input(direct, by=world.reviewer)
    client.force_login(world.reviewer)
    url = reverse("reviews:queue")
    assert list(client.get(url).context["inputs"]) == [first]
    assert list(client.get(url, {"status": "accepted"}).context["inputs"]) == [direct]
    assert list(client.get(url, {"status": "", "joint": "no"}).context["inputs"]) == [direct]
    assert list(client.get(url, {"status": "", "iscm": "part"}).context["inputs"]) == [first]
    second = submitted_input(world, "Second")
    assert list(client.get(url).context["inputs"]) == [first, second]


def test_queue_query_count_does_not_grow(
    client, world, count_queries, django_assert_max_num_queries
):
    client.force_login(world.reviewer)
    submitted_input(world)
    one = count_queries(client, reverse("reviews:queue"))
    for n in range(24):
        submitted_input(world, f"Input {n}", targets=[world.reviews.amr, world.reviews.eur])
    with django_assert_max_num_queries(QUEUE_QUERIES):
        many = count_queries(client, reverse("reviews:queue"))
    assert many == one


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("reviewer", 200),
        ("other_reviewer", 404),
        ("lead_user", 404),
        ("partner_user", 404),
        ("other_user", 404),
        ("admin", 404),
    ],
)
def test_review_page_access(client, world, persona, expected):
    written_input = submitted_input(world)
    client.force_login(getattr(world, persona))
    for name in ("reviews:input", "reviews:diff"):
        response = client.get(reverse(name, args=[written_input.pk]))
        assert response.status_code in ((404,) if expected == 404 else (200, 404)), name
    assert client.get(reverse("reviews:input", args=[written_input.pk])).status_code == expected
    response = decide(client, written_input, "accept")
    assert response.status_code == (404 if expected == 404 else 302)


def test_review_page_shows_the_submitted_version_not_the_live_draft(client, world):
    written_input = submitted_input(world)
    workflow.request_changes(written_input, by=world.reviewer, message="More detail.")
    written_input.refresh_from_db()
    fill(written_input, world, intro="Draft text not yet resubmitted.")
    client.force_login(world.reviewer)
    body = client.get(reverse("reviews:input", args=[written_input.pk])).content.decode()
    assert "We met twice and agreed on this text." in body
    assert "Draft text not yet resubmitted." not in body


def test_review_page_query_count_does_not_grow(
    client, world, count_queries, django_assert_max_num_queries
):
    client.force_login(world.reviewer)
    written_input = submitted_input(world)
    url = reverse("reviews:input", args=[written_input.pk])
    one = count_queries(client, url)
    for n in range(24):
        submitted_input(world, f"Other {n}")
        add_review_comment(
            written_input, by=world.reviewer, body=f"Comment {n}", internal=n % 2 == 0
        )
    with django_assert_max_num_queries(REVIEW_QUERIES):
        many = count_queries(client, url)
    assert many == one


def test_comment_request_changes_and_secretariat_sees_it_beside_the_section(
    client, world, django_capture_on_commit_callbacks
):
    written_input = submitted_input(world)
    client.force_login(world.reviewer)
    url = reverse("reviews:comment-add", args=[written_input.pk])
    client.post(
        url, {"anchor": "section-1", "body": "Name the States.", "visibility": "secretariat"}
    )
    client.post(url, {"anchor": "general", "body": "Internal doubt.", "visibility": "internal"})
    assert ReviewComment.objects.count() == 2

    confirm = client.get(reverse("reviews:decide", args=[written_input.pk, "request_changes"]))
    assert "Name the States." in confirm.content.decode()  # sent with the decision
    refused = decide(client, written_input, "request_changes")
    assert refused.status_code == 200
    assert "message" in refused.context["form"].errors
    with django_capture_on_commit_callbacks(execute=True):
        decide(client, written_input, "request_changes", message="See the comment on section 1.")
    assert WrittenInput.objects.get(pk=written_input.pk).status == "changes_requested"

    client.force_login(world.partner_user)
    edit = client.get(reverse("submissions:input-edit", args=[written_input.pk]))
    body = edit.content.decode()
    assert "Name the States." in body
    assert "Internal doubt." not in body
    detail = client.get(reverse("submissions:input-detail", args=[written_input.pk]))
    assert "Internal doubt." not in detail.content.decode()
    assert all("Internal doubt." not in m.body for m in mail.outbox)


def test_decide_on_a_state_changed_meanwhile_names_who_did_what(client, world):
    written_input = submitted_input(world)
    workflow.accept_input(written_input, by=world.reviewer)
    client.force_login(world.reviewer)
    response = client.post(
        reverse("reviews:decide", args=[written_input.pk, "decline"]),
        {"message": "No.", "version": 1},
    )
    assert response.status_code == 409
    assert "Rita Reviewer" in response.content.decode()
    assert "No." in response.content.decode()  # what was typed stays


def test_publish_page_refuses_without_consent(client, world):
    written_input = submitted_input(world)
    workflow.accept_input(written_input, by=world.reviewer)
    client.force_login(world.reviewer)
    response = decide(client, written_input, "publish")
    body = response.content.decode()
    assert "not consented" in body
    # Announced to screen readers (templates/bootstrap5/errors.html).
    alert = body[body.index('role="alert"') :]
    assert alert.index("not consented") < alert.index("</div>")
    assert WrittenInput.objects.get(pk=written_input.pk).status == "accepted"


def test_unknown_decision_is_404(client, world):
    written_input = submitted_input(world)
    client.force_login(world.reviewer)
    assert (
        client.get(reverse("reviews:decide", args=[written_input.pk, "delete"])).status_code == 404
    )


def test_extension_page_for_submitted_inputs_and_late_drafts(client, world):
    written_input = submitted_input(world)
    draft = editing.create_input(
        by=world.lead_user,
        cycle=world.cycle,
        lead_iscm=world.lead,
        partners=[],
        targets=[world.reviews.amr],
        title="Late draft",
        language="en",
        basis="written_input",
    )
    later = world.reviews.amr.deadline + datetime.timedelta(days=30)
    client.force_login(world.reviewer)
    for target in (written_input, draft):
        url = reverse("reviews:extension", args=[target.pk])
        page = client.get(url)
        assert page.status_code == 200
        assert "We met twice" not in page.content.decode()  # never the draft's content
        client.post(url, {"until": later.isoformat(), "reason": "Floods."})
        assert WrittenInput.objects.get(pk=target.pk).deadline_extension == later
    bad = client.post(reverse("reviews:extension", args=[draft.pk]), {"until": "soon"})
    assert bad.status_code == 400
    earlier = client.post(
        reverse("reviews:extension", args=[draft.pk]), {"until": TODAY.isoformat()}
    )
    assert "must be later than" in earlier.content.decode()
    client.force_login(world.other_reviewer)
    assert client.get(reverse("reviews:extension", args=[draft.pk])).status_code == 404


def test_diff_between_versions_for_reviewer_and_secretariat(client, world):
    written_input = submitted_input(world)
    workflow.request_changes(written_input, by=world.reviewer, message="More.")
    written_input.refresh_from_db()
    fill(written_input, world, intro="We met twice and agreed on this text. Then we met again.")
    workflow.resubmit_input(written_input, by=world.lead_user, today=TODAY)
    for persona, name in (
        ("reviewer", "reviews:diff"),
        ("partner_user", "submissions:input-diff"),
    ):
        client.force_login(getattr(world, persona))
        response = client.get(reverse(name, args=[written_input.pk]))
        body = response.content.decode()
        assert response.status_code == 200
        assert "<ins>" in body
        assert "Then we met again." in body
    client.force_login(world.other_user)
    assert (
        client.get(reverse("submissions:input-diff", args=[written_input.pk])).status_code == 404
    )


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("reviewer", 200), ("admin", 200), ("lead_user", 404), ("other_user", 404)],
)
def test_overview_access(client, world, persona, expected):
    client.force_login(getattr(world, persona))
    assert client.get(reverse("reviews:overview")).status_code == expected


def test_overview_shows_where_each_iscm_stands(client, world):
    submitted_input(world, targets=[world.reviews.amr, world.reviews.eur])
    client.force_login(world.reviewer)
    rows = dict(client.get(reverse("reviews:overview")).context["rows"])
    amr = {s.iscm: s for s in rows[world.reviews.amr]}
    assert amr[world.lead].input.status == "submitted"
    assert amr[world.lead].target.decision == "pending"
    eur = {s.iscm: s.input for s in rows[world.reviews.eur]}
    assert eur[world.partner].status == "submitted"
    afr = {s.iscm: s.input for s in rows[world.reviews.afr]}
    assert afr[world.other] is None


def test_overview_shows_draft_titles_only_to_who_may_extend_them(client, world, joint_input):
    extension = reverse("reviews:extension", args=[joint_input.pk])
    client.force_login(world.reviewer)  # reviews AMR, which the draft targets
    body = client.get(reverse("reviews:overview")).content.decode()
    assert joint_input.title in body and extension in body
    for persona in ("other_reviewer", "admin"):
        client.force_login(getattr(world, persona))
        body = client.get(reverse("reviews:overview")).content.decode()
        assert "Draft" in body  # where the ISCM stands, still
        assert joint_input.title not in body and extension not in body


def test_overview_query_count_does_not_grow(
    client, world, count_queries, django_assert_max_num_queries
):
    client.force_login(world.reviewer)
    submitted_input(world)
    one = count_queries(client, reverse("reviews:overview"))
    for n in range(24):
        submitted_input(world, f"Input {n}", targets=[world.reviews.amr, world.reviews.eur])
    with django_assert_max_num_queries(OVERVIEW_QUERIES):
        many = count_queries(client, reverse("reviews:overview"))
    assert many == one


def test_history_staff_see_everything_secretariats_all_but_internal_notes(client, world):
    written_input = submitted_input(world)
    add_review_comment(written_input, by=world.reviewer, body="Internal check.", internal=True)
    add_review_comment(
        written_input, by=world.reviewer, body="Unsent yet.", internal=False, section=None
    )
    client.force_login(world.partner_user)
    detail = reverse("submissions:input-detail", args=[written_input.pk])
    assert "Unsent yet." not in client.get(detail).content.decode()

    workflow.request_changes(written_input, by=world.reviewer, message="Please revise.")
    body = client.get(detail).content.decode()
    assert "Unsent yet." in body
    assert "Please revise." in body
    assert "Internal check." not in body

    client.force_login(world.reviewer)
    staff = client.get(reverse("reviews:input", args=[written_input.pk])).content.decode()
    assert "Internal check." in staff
    assert "Status: Changes requested" in staff


@pytest.mark.parametrize("value", ["٣", "²", "1" * 40, "-1", "x"])
def test_review_page_version_takes_ascii_digits_only(client, world, value):
    written_input = submitted_input(world)
    client.force_login(world.reviewer)
    url = reverse("reviews:input", args=[written_input.pk])
    assert client.get(url, {"version": value}).status_code == 404
    assert client.get(url, {"version": "1"}).status_code == 200


def test_a_decision_page_left_open_cannot_decide_on_a_newer_version(client, world):
    written_input = submitted_input(world)
    client.force_login(world.reviewer)
    page = client.get(reverse("reviews:decide", args=[written_input.pk, "accept"]))
    seen_version = page.context["form"]["version"].value()
    # Meanwhile: changes requested, the lead rewrites and resubmits version 2.
    workflow.request_changes(written_input, by=world.reviewer, message="More.")
    written_input.refresh_from_db()
    fill(written_input, world, intro="Rewritten.")
    workflow.resubmit_input(written_input, by=world.lead_user, today=TODAY)

    response = client.post(
        reverse("reviews:decide", args=[written_input.pk, "accept"]),
        {"version": seen_version},
    )
    assert response.status_code == 409
    assert WrittenInput.objects.get(pk=written_input.pk).status == "submitted"


def test_publish_page_has_no_message_field_that_would_be_ignored(client, world):
    written_input = submitted_input(world)
    workflow.accept_input(written_input, by=world.reviewer)
    client.force_login(world.reviewer)
    form = client.get(reverse("reviews:decide", args=[written_input.pk, "publish"])).context[
        "form"
    ]
    assert "message" not in form.fields
