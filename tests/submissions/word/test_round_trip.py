"""The whole round trip through the pages: an input exported (a submitted version or
the live draft) and imported again gives the same content."""

import pytest
from django.urls import reverse
from django.utils import timezone

from submissions import workflow
from submissions.models import OutlineSection
from submissions.snapshots import content_queryset, take_snapshot

from .conftest import content_of, new_draft, post_apply, post_preview

pytestmark = pytest.mark.django_db


def test_export_then_import_gives_the_same_content(client, world, full_input):
    # The texts are longer than the small world's word limits, which bind submission.
    OutlineSection.objects.filter(outline=world.outline).update(word_limit=None)
    workflow.submit_input(full_input, by=world.lead_user, today=timezone.localdate())
    client.force_login(world.lead_user)
    exported = client.get(reverse("submissions:input-docx", args=[full_input.pk]) + "?version=1")
    assert exported.status_code == 200
    assert exported["Content-Disposition"].endswith('-v1.docx"')

    draft = new_draft(world)
    preview = post_preview(client, draft, exported.content, "exported.docx")
    assert preview.status_code == 200
    plan = preview.context["plan"]
    assert plan.unmatched == []
    assert plan.not_in_file == []
    assert plan.conflicts == []
    response = post_apply(client, draft, preview)
    assert response.status_code == 302
    assert response["Location"] == reverse("submissions:input-edit", args=[draft.pk])

    original = content_of(full_input.versions.get(number=1).snapshot)
    imported = content_of(take_snapshot(content_queryset().get(pk=draft.pk)))
    assert imported["sections"][1] == original["sections"][1]
    assert imported == original
    assert imported["objectives"][4] == ("", "", "")  # ticked, empty: still reported
    assert len(imported["objectives"]) == 5


def test_export_of_the_live_draft_imports_into_itself_as_nothing_new(client, world, full_input):
    client.force_login(world.partner_user)
    exported = client.get(reverse("submissions:input-docx", args=[full_input.pk]))
    assert exported["Content-Disposition"].endswith('-draft.docx"')
    preview = post_preview(client, full_input, exported.content)
    plan = preview.context["plan"]
    assert plan.changes == []
    assert b'id="nothing-to-import"' in preview.content
    assert b"Import into the draft" not in preview.content
