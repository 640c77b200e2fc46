"""submissions.views.word: who may download the template, import and export, the
query counts of every page, and the links that lead to them."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from submissions import editing
from submissions.models import GuidingPrinciple

from ...factories import GCMObjectiveFactory
from .conftest import blank_template, new_draft, post_apply, post_preview, upload

pytestmark = pytest.mark.django_db


def test_template_of_an_unknown_cycle_is_404(client, world):
    client.force_login(world.lead_user)
    response = client.get(reverse("submissions:cycle-template", args=["no-such-round"]))
    assert response.status_code == 404


def test_import_pages_are_for_the_draft_secretariats_only(client, world, joint_input):
    import_url = reverse("submissions:input-import", args=[joint_input.pk])
    apply_url = reverse("submissions:input-import-apply", args=[joint_input.pk])
    for user in (world.other_user, world.reviewer, world.other_reviewer, world.admin):
        client.force_login(user)
        assert client.get(import_url).status_code == 404
        assert client.post(import_url, {"file": upload(blank_template(world))}).status_code == 404
        assert client.post(apply_url, {"payload": "x", "version": "1"}).status_code == 404
    for user in (world.lead_user, world.partner_user):
        client.force_login(user)
        response = client.get(import_url)
        assert response.status_code == 200
        assert b'name="file"' in response.content
    client.logout()
    assert client.get(import_url).status_code == 302


def test_export_follows_visible_to(client, world, make_input):
    submitted = make_input("Submitted one", state="submitted")
    draft = make_input("Never submitted", state="draft")
    url = reverse("submissions:input-docx", args=[submitted.pk])
    draft_url = reverse("submissions:input-docx", args=[draft.pk])
    for user, submitted_status, draft_status in (
        (world.lead_user, 200, 200),
        (world.partner_user, 404, 404),  # not a partner of these inputs
        (world.other_user, 404, 404),
        (world.reviewer, 200, 404),  # the region's reviewer: submitted versions only
        (world.other_reviewer, 404, 404),
        (world.admin, 200, 404),  # staff see everything, but a draft has no version
    ):
        client.force_login(user)
        assert client.get(url).status_code == submitted_status, user
        assert client.get(draft_url).status_code == draft_status, user
    client.force_login(world.reviewer)
    response = client.get(url)
    assert response["Content-Disposition"].endswith('-v1.docx"')
    assert client.get(url + "?version=2").status_code == 404
    assert client.get(url + "?version=abc").status_code == 404


def _counts(client, world, objective_numbers):
    """Queries of the template, export, import page, preview and apply for a draft
    reporting `objective_numbers`."""
    objectives = [GCMObjectiveFactory(number=n) for n in objective_numbers]
    written_input = new_draft(world, f"Draft with {len(objectives)}")
    editing.save_content(
        written_input,
        editing.ContentChanges(
            sections={world.sections.intro.pk: "Intro."},
            objectives={
                o.pk: {"progress": "P.", "practices": "", "challenges": ""} for o in objectives
            },
            principles=list(GuidingPrinciple.objects.all()),
        ),
        by=world.lead_user,
        expected_version=written_input.version,
    )
    client.force_login(world.lead_user)
    counts = {}

    def count(name, call):
        with CaptureQueriesContext(connection) as queries:
            response = call()
        assert response.status_code in (200, 302), name
        counts[name] = len(queries)
        return response

    count(
        "template",
        lambda: client.get(reverse("submissions:cycle-template", args=[world.cycle.slug])),
    )
    exported = count(
        "export", lambda: client.get(reverse("submissions:input-docx", args=[written_input.pk]))
    )
    count(
        "import page",
        lambda: client.get(reverse("submissions:input-import", args=[written_input.pk])),
    )
    target = new_draft(world, f"Target {len(objectives)}")
    preview = count("preview", lambda: post_preview(client, target, exported.content))
    count("apply", lambda: post_apply(client, target, preview))
    return counts


def test_query_counts_do_not_grow_with_the_data(client, world):
    few = _counts(client, world, [1])
    many = _counts(client, world, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    # Applying writes one row per field it fills (editing.save_content); the rest of
    # every page reads in a fixed number of queries.
    assert {k: v for k, v in many.items() if k != "apply"} == {
        k: v for k, v in few.items() if k != "apply"
    }
    assert many["apply"] - few["apply"] == 9 * 1  # one INSERT per added objective
    # Session and user, the input with its prefetches, the outline, the objectives and
    # the four lists: a fixed budget per page.
    budget = {"template": 12, "export": 30, "import page": 25, "preview": 35}
    assert all(many[name] <= limit for name, limit in budget.items()), many


def test_links_to_template_import_and_export(client, world, joint_input, make_input):
    client.force_login(world.lead_user)
    template_url = reverse("submissions:cycle-template", args=[world.cycle.slug])
    dashboard = client.get(reverse("submissions:dashboard")).content.decode()
    assert template_url in dashboard
    edit = client.get(reverse("submissions:input-edit", args=[joint_input.pk])).content.decode()
    assert template_url in edit
    assert reverse("submissions:input-import", args=[joint_input.pk]) in edit
    detail = client.get(
        reverse("submissions:input-detail", args=[joint_input.pk])
    ).content.decode()
    assert reverse("submissions:input-docx", args=[joint_input.pk]) in detail

    submitted = make_input("For the reviewers", state="submitted")
    client.force_login(world.reviewer)
    review_page = client.get(reverse("reviews:input", args=[submitted.pk])).content.decode()
    assert reverse("submissions:input-docx", args=[submitted.pk]) + "?version=1" in review_page
