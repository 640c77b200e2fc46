"""Script typed into an input never runs in a reader's browser (issue "Security and
reliability hardening", item 4; the corpus is tests/data/hostile/cases.json).

A published input holds the script and event-handler cases in its title, its sections,
its objective texts and an attachment title. Its public page, the search results and
the secretariat's preview are opened in chromium *without* the portal's
Content-Security-Policy (the documents are served with the header removed), so what is
tested is the markup itself: no dialog opens, `window.__pwned` (which every payload
sets) stays unset, and the page passes `assert_accessible`, which also fails on any
inline script, event-handler attribute or javascript: URL.
"""

import re

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from playwright.sync_api import expect

from submissions import editing, workflow
from submissions.models import (
    ISCM,
    GCMObjective,
    ObjectiveResponse,
    OutlineSection,
    RegionalReview,
    ReviewCycle,
)

from ..sample_files import make_pdf
from ..test_hostile_content import CASES
from .conftest import assert_accessible, sign_in

LEAD = "secretariat@example.org"  # RCM
REVIEWER = "reviewer@example.org"  # ECLAC
SCRIPT_CASES = [
    case
    for case in CASES
    if re.match(r"script|breakout|event|javascript|data-links|svg|css", case.name)
]
TITLE_CASE = "breakout-of-attribute-and-element"


def _publish_hostile_input():
    """The input, made and published through the same domain functions as the pages
    (the pages themselves are exercised case by case in tests/test_hostile_content.py)."""
    users = get_user_model().objects
    lead, reviewer = users.get(email=LEAD), users.get(email=REVIEWER)
    cycle = ReviewCycle.objects.current()
    texts = iter(case.typed for case in SCRIPT_CASES)
    title = next(case.typed for case in SCRIPT_CASES if case.name == TITLE_CASE)
    written_input = editing.create_input(
        by=lead,
        cycle=cycle,
        lead_iscm=ISCM.objects.get(slug="rcm"),
        partners=[],
        targets=[RegionalReview.objects.get(cycle=cycle, region__code="ECLAC")],
        title=title,
        language="en",
        basis="written_input",
    )
    sections = {
        s.pk: next(texts)
        for s in cycle.outline.sections.exclude(kind=OutlineSection.Kind.OBJECTIVES)
    }
    objectives = {}
    for objective in GCMObjective.objects.order_by("number"):
        parts = {part: next(texts, "") for part in ObjectiveResponse.TEXT_FIELDS}
        if not any(parts.values()):
            break
        objectives[objective.pk] = parts
    assert next(texts, None) is None, "a case was left out: add fields"
    editing.save_content(
        written_input,
        editing.ContentChanges(sections=sections, objectives=objectives),
        by=lead,
        expected_version=written_input.version,
    )
    editing.add_attachment(
        written_input,
        SimpleUploadedFile("<img src=x onerror=alert(1)>.pdf", make_pdf(), "application/pdf"),
        title=SCRIPT_CASES[0].typed,
        by=lead,
    )
    workflow.submit_input(written_input, by=lead, today=timezone.localdate())
    workflow.accept_input(written_input, by=reviewer)
    workflow.set_publication_consent(written_input, by=lead, consent=True)
    return workflow.publish_input(written_input, by=reviewer)


def _without_csp(route):
    """Serve the portal's documents without their Content-Security-Policy header."""
    if route.request.resource_type != "document":
        route.continue_()
        return
    response = route.fetch(max_redirects=0)
    headers = {
        name: value
        for name, value in response.headers.items()
        if name.lower() != "content-security-policy"
    }
    route.fulfill(response=response, headers=headers)


def _assert_inert(page, dialogs, label):
    page.wait_for_load_state("load")
    page.wait_for_timeout(200)  # onerror and ontoggle fire after the load
    assert dialogs == [], f"{label}: a dialog opened: {dialogs}"
    assert page.evaluate("() => window.__pwned") is None, f"{label}: a payload ran"
    assert_accessible(page, label)


def test_hostile_input_runs_no_script_on_public_page_and_preview(page, site):
    written_input = _publish_hostile_input()
    dialogs = []

    def dismiss(dialog):
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", dismiss)
    page.route(lambda url: "/static/" not in url, _without_csp)

    page.goto(site + written_input.get_public_url())
    expect(page.get_by_role("heading", name=written_input.title, level=2)).to_be_visible()
    # The payloads are on the page, as text.
    expect(
        page.locator("article").get_by_text("<script>alert(1);window.__pwned=1</script>").first
    ).to_be_visible()
    _assert_inert(page, dialogs, "contribution page")

    # "alert", not "script": PostgreSQL's text parser reads "<script>" as a tag, not a word.
    page.goto(site + "/contributions/?q=alert")
    expect(page.get_by_role("link", name=written_input.title)).to_be_visible()
    _assert_inert(page, dialogs, "search results")

    sign_in(page, site, LEAD)
    page.goto(f"{site}/my/inputs/{written_input.pk}/preview/")
    expect(page.get_by_role("heading", name=written_input.title, level=2)).to_be_visible()
    _assert_inert(page, dialogs, "secretariat preview")
    page.goto(f"{site}/my/inputs/{written_input.pk}/")
    _assert_inert(page, dialogs, "secretariat input page")
