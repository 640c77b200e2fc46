"""A secretariat types more than an input can hold: the edit page stops the save in the
browser, says which text to shorten and keeps everything typed; shortened, it saves. An
attachment with a very long file name is sent under a shortened name.

The limits come from the server (data- attributes and messages rendered from
submissions/validators.py); the script is static/js/form-limits.js.
"""

import re

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect

from submissions.models import Attachment, WrittenInput
from submissions.uploads import MAX_DISPLAY_NAME_LENGTH
from submissions.validators import MAX_INPUT_CHARACTERS, count_characters

from ..sample_files import make_pdf
from .conftest import assert_accessible, database_sessions, sign_in

LEAD = "secretariat@example.org"  # RCM
DRAFT = "demo-rcm-ece-changes-requested"  # back with the secretariat: editable
FIELDS = 11
# Eleven of these are 549,890 characters: over the input's limit by less than one.
LONG_TEXT = "Text " * 9_998


def _saved_characters(written_input) -> int:
    texts = [r.body for r in written_input.section_responses.all()]
    for response in written_input.objective_responses.all():
        texts += [response.progress, response.practices, response.challenges]
    return sum(count_characters(text) for text in texts)


# Quarantined: in parallel CI runs (PostgreSQL twice, then SQLite once) the save after
# shortening one text never came back (90 s), with no database session busy or waiting
# (the sessions are in the failure's message); alone, or with both cores kept busy, it
# passes in seconds. Still run, so a pass or a failure shows in the report. Cause not
# found yet: the live server or the browser (issue 20's closing note).
@pytest.mark.xfail(
    reason="the save's page hangs in some parallel runs; cause under investigation",
    strict=False,
)
def test_save_over_the_input_limit_stays_on_the_page_with_the_text(page, site):
    # Half a million characters typed and counted by the page's script: under a loaded
    # parallel run that takes longer than Playwright's default 30 s per step.
    page.set_default_timeout(90_000)
    written_input = WrittenInput.objects.get(slug=DRAFT)
    assert written_input.is_editable
    edit_url = f"{site}/my/inputs/{written_input.pk}/edit/"
    sign_in(page, site, LEAD)
    page.goto(edit_url)
    form = page.locator("#content-form")
    expect(form).to_have_attribute("data-max-characters", str(MAX_INPUT_CHARACTERS))

    # Open enough objectives for eleven text areas, then fill them; empty the rest.
    for number in (1, 2, 3):
        page.locator(f"#objective-{number}").get_by_role("checkbox").check()
    areas = form.locator("textarea:visible")
    count = areas.count()
    assert count >= FIELDS
    for index in range(count):
        areas.nth(index).fill(LONG_TEXT if index < FIELDS else "")

    posts = []
    page.on("request", lambda request: posts.append(request) if request.method == "POST" else None)
    page.get_by_role("button", name="Save draft").click()

    problem = page.get_by_role("alert").filter(has_text="Not saved")
    expect(problem).to_be_visible()
    expect(problem).to_contain_text(
        "the texts on this page hold 549,890 characters together, and an input can hold "
        "at most 500,000. Your text is still in the fields."
    )
    expect(problem).to_be_focused()
    assert posts == []  # nothing was sent
    expect(page).to_have_url(edit_url)
    for index in range(FIELDS):
        expect(areas.nth(index)).to_have_value(LONG_TEXT)
    assert_accessible(page, "edit page, over the input's limit")

    # The message names the text to shorten; its link leads there.
    links = problem.get_by_role("link")
    expect(links).to_have_count(1)
    expect(links.first).to_have_text(re.compile(r"\(49,990 characters\)$"))
    links.first.click()
    focused = page.locator("textarea:focus")
    expect(focused).to_have_value(LONG_TEXT)
    focused.fill("Short.")

    try:
        with page.expect_navigation():
            page.get_by_role("button", name="Save draft").click()
    except PlaywrightTimeoutError:
        # Seen twice on PostgreSQL in parallel CI runs, never alone: say what the
        # database sessions were doing, for the next look.
        pytest.fail(f"The save did not come back. Sessions:\n{database_sessions()}")
    expect(page).to_have_url(edit_url)
    expect(page.get_by_role("status")).to_have_text("Draft saved.")
    saved = WrittenInput.objects.prefetch_related("section_responses", "objective_responses").get(
        pk=written_input.pk
    )
    # Ten long texts (their last space trimmed) and "Short.".
    assert _saved_characters(saved) == 10 * (len(LONG_TEXT) - 1) + len("Short.")


def test_attachment_with_a_very_long_name_is_sent_under_a_shorter_one(page, site):
    written_input = WrittenInput.objects.get(slug=DRAFT)
    sign_in(page, site, LEAD)
    page.goto(f"{site}/my/inputs/{written_input.pk}/")
    name = "Report of the consultations " * 40 + ".pdf"  # 1,124 characters
    page.get_by_label("File").set_input_files(
        {"name": name, "mimeType": "application/pdf", "buffer": make_pdf()}
    )
    expect(page.get_by_text("The file's name is too long; it will be sent as")).to_be_visible()
    page.get_by_label("Title (optional)").fill("Consultations")
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_role("status")).to_have_text("Attachment added.")
    attachment = Attachment.objects.get(input=written_input, title="Consultations")
    assert len(attachment.display_name) <= MAX_DISPLAY_NAME_LENGTH
    assert attachment.display_name.startswith("Report of the consultations")
    assert attachment.display_name.endswith(".pdf")
