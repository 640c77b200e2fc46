"""Secretariats of two ISCMs write a joint input together and the lead submits it; two
people saving the same section at once never lose what the second one typed."""

import re

from playwright.sync_api import expect

from ..sample_files import make_pdf
from .conftest import assert_accessible, sign_in

LEAD = "secretariat@example.org"  # RCM
PARTNER = "partner@example.org"  # CMC

SECTION_1 = (
    "This joint input was prepared by the RCM Technical Secretariat with the CMC.\n\n"
    "It draws on two virtual consultations with member States."
)
SECTION_2 = "The RCM and the CMC bring together States of the Americas and the Caribbean."
SECTION_5 = "Member States report insufficient resources for follow-up."
SECTION_7 = "1. Strengthen data exchange.\n2. Hold a joint session on disaster displacement."


def open_context(browser, browser_context_args):
    """A second person's browser: its own cookies, so its own session."""
    context = browser.new_context(**browser_context_args)
    return context, context.new_page()


def fill_new_input(page, title: str) -> None:
    """The new-input form: RCM leads, CMC joins, for the ECLAC and ECE reviews."""
    page.get_by_label("Lead ISCM").select_option(label=re.compile(r"^RCM\b|Regional Conference"))
    page.get_by_label(re.compile(r"^CMC — ")).check()
    page.get_by_label(re.compile(r"^ECLAC — ")).check()
    page.get_by_label(re.compile(r"^ECE — ")).check()
    page.get_by_label("Title").fill(title)
    page.get_by_label("Language of the content").select_option("en")
    page.get_by_label("Basis").select_option("written_input")


def create_joint_draft(page, site: str, title: str) -> str:
    """Through the dashboard and the new-input page; returns the edit page's URL."""
    page.goto(site + "/my/")
    page.get_by_role("link", name="New written input").click()
    fill_new_input(page, title)
    page.get_by_role("button", name="Create the draft").click()
    expect(page).to_have_url(re.compile(r"/my/inputs/\d+/edit/$"))
    return page.url


def section(page, number: int):
    return page.locator(f"#section-{number}")


def test_joint_input_written_by_lead_and_partner_then_submitted(
    page, site, browser, browser_context_args
):
    title = "Joint RCM–CMC input to the ECLAC and ECE reviews"
    sign_in(page, site, LEAD)
    page.goto(site + "/my/")
    expect(page.get_by_role("heading", name="My inputs", level=1)).to_be_visible()
    assert_accessible(page, "dashboard")

    page.get_by_role("link", name="New written input").click()
    expect(page.get_by_role("heading", name="New written input")).to_be_visible()
    assert_accessible(page, "new input form")

    # Submitted empty: the form says what is missing, next to each field.
    page.get_by_role("button", name="Create the draft").click()
    expect(page).to_have_url(re.compile(r"/my/inputs/new/$"))
    expect(page.get_by_text("This field is required.").first).to_be_visible()
    assert_accessible(page, "new input form with errors")

    fill_new_input(page, title)
    page.get_by_role("button", name="Create the draft").click()
    expect(page).to_have_url(re.compile(r"/my/inputs/\d+/edit/$"))
    edit_url = page.url
    expect(page.get_by_role("status")).to_contain_text("Draft created")
    expect(page.get_by_role("heading", name="Edit the content", level=1)).to_be_visible()
    assert_accessible(page, "edit page")

    # The live word counter follows the typing (static/js/input-edit.js).
    text_1 = section(page, 1).get_by_label("Text of section 1")
    counter_1 = section(page, 1).get_by_text(re.compile(r"of 800 words$"))
    expect(counter_1).to_have_text("0 of 800 words")
    text_1.press_sequentially("Two consultations")
    expect(counter_1).to_have_text("2 of 800 words")
    text_1.fill(SECTION_1)
    expect(counter_1).to_have_text("21 of 800 words")
    section(page, 2).get_by_label("Text of section 2").fill(SECTION_2)
    section(page, 5).get_by_label("Text of section 5").fill(SECTION_5)
    section(page, 7).get_by_label("Text of section 7").fill(SECTION_7)
    expect(section(page, 7).get_by_text(re.compile(r"of 800 words$"))).to_have_text(
        "9 of 800 words"
    )

    # An objective's fields open when it is ticked; one counter for its three texts.
    objective = page.locator("#objective-5")
    progress = objective.get_by_label("Progress at the regional level")
    expect(progress).to_be_hidden()
    objective.get_by_label(re.compile(r"^Objective 5: ")).check()
    expect(progress).to_be_visible()
    progress.fill("Two member States expanded temporary labour migration programmes.")
    objective.get_by_label("Practices worth sharing").fill("Bilateral agreements.")
    expect(objective.get_by_text(re.compile(r"of 600 words$"))).to_have_text("10 of 600 words")
    page.get_by_role("button", name="Save draft").click()
    expect(page).to_have_url(edit_url)
    expect(page.get_by_role("status")).to_have_text("Draft saved.")
    expect(section(page, 1).get_by_label("Text of section 1")).to_have_value(SECTION_1)

    # The input page: upload a PDF attachment.
    page.get_by_role("link", name="Back to the input").click()
    expect(page.get_by_role("heading", name=title, level=1)).to_be_visible()
    assert_accessible(page, "input page")
    page.get_by_label("File").set_input_files(
        {"name": "consultation-report.pdf", "mimeType": "application/pdf", "buffer": make_pdf()}
    )
    page.get_by_label("Title (optional)").fill("Report of the consultations")
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_role("status")).to_have_text("Attachment added.")
    attachments = page.get_by_role("region", name="Attachments")
    expect(attachments.get_by_role("link", name="Report of the consultations")).to_be_visible()
    expect(attachments).to_contain_text("consultation-report.pdf")
    input_url = page.url

    # The partner (CMC), in a browser of their own, edits a section of the same input.
    context, partner = open_context(browser, browser_context_args)
    try:
        sign_in(partner, site, PARTNER)
        partner.goto(site + "/my/")
        partner.get_by_role("link", name=title).first.click()
        expect(partner).to_have_url(input_url)
        expect(partner.get_by_text("Only the lead ISCM's secretariat can submit this input.")).to_be_visible()
        partner.get_by_role("link", name="Edit the content").click()
        text_2 = section(partner, 2).get_by_label("Text of section 2")
        expect(text_2).to_have_value(SECTION_2)
        text_2.fill(SECTION_2 + " The CMC adds its work on disaster displacement.")
        partner.get_by_role("button", name="Save draft").click()
        expect(partner.get_by_role("status")).to_have_text("Draft saved.")
    finally:
        context.close()

    # The lead sees the partner's change, a complete checklist, and submits.
    page.goto(input_url)
    expect(page.get_by_text("Marlon Joseph")).to_be_visible()
    checklist = page.get_by_role("region", name="Before you submit")
    expect(checklist).to_contain_text("Checklist complete")
    expect(checklist.get_by_role("listitem")).to_have_count(0)
    assert_accessible(page, "checklist, ready to submit")
    submit = checklist.get_by_role("button", name="Submit to IOM")
    expect(submit).to_be_enabled()
    submit.click()
    expect(page).to_have_url(input_url)
    expect(page.get_by_role("status")).to_contain_text("Submitted.")
    expect(page.locator("h1 + .badge")).to_have_text("Submitted")
    expect(page.get_by_role("link", name="Edit the content")).to_have_count(0)
    expect(page.get_by_role("region", name="Submitted versions")).to_contain_text("Version 1")
    assert_accessible(page, "input page, submitted")

    page.goto(edit_url)
    expect(page).to_have_url(input_url)  # read-only while with the reviewers
    expect(page.get_by_role("status")).to_contain_text("read-only")


def test_second_save_of_the_same_section_is_refused_and_keeps_the_text(
    page, site, browser, browser_context_args
):
    sign_in(page, site, LEAD)
    edit_url = create_joint_draft(page, site, "Draft edited by two people at once")
    original = "Prepared by the RCM Technical Secretariat."
    section(page, 1).get_by_label("Text of section 1").fill(original)
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_role("status")).to_have_text("Draft saved.")

    context, partner = open_context(browser, browser_context_args)
    try:
        sign_in(partner, site, PARTNER)
        partner.goto(edit_url)
        page.goto(edit_url)  # both now have the same version open

        # The lead saves first.
        lead_text = original + " Reviewed by the RCM vice-ministers."
        section(page, 1).get_by_label("Text of section 1").fill(lead_text)
        page.get_by_role("button", name="Save draft").click()
        expect(page.get_by_role("status")).to_have_text("Draft saved.")

        # The partner, on the page they opened before that save, changes the same section.
        partner_text = original + " Completed by the CMC annual meeting."
        partner_area = section(partner, 1).get_by_label("Text of section 1")
        partner_area.fill(partner_text)
        with partner.expect_response(edit_url) as response_info:
            partner.get_by_role("button", name="Save draft").click()
        assert response_info.value.status == 409

        alert = partner.get_by_role("alert").filter(has_text="after you opened it")
        expect(alert).to_contain_text("Sofía Ramírez saved this input at")
        expect(alert).to_contain_text("Your text has not been saved yet")
        expect(partner_area).to_have_value(partner_text)
        # The lead's text is shown beside it, to merge from.
        other = partner.get_by_role("note").filter(has_text="Saved meanwhile by someone else")
        expect(other).to_contain_text(lead_text)
        assert_accessible(partner, "stale-save refusal")

        # Nothing the partner typed was saved; the lead's text stands.
        page.reload()
        expect(section(page, 1).get_by_label("Text of section 1")).to_have_value(lead_text)
    finally:
        context.close()
