"""Secretariats of two ISCMs write a joint input together and the lead submits it; two
people saving the same section at once never lose what the second one typed.

Every page is served with a Content-Security-Policy that allows only the site's own
script files, so a page that needed inline script (or had a script error) fails here.
"""

import re
import weakref

from playwright.sync_api import expect

from submissions.models import Status, WrittenInput

from ..sample_files import make_pdf
from .conftest import assert_accessible, sign_in

LEAD = "secretariat@example.org"  # RCM
PARTNER = "partner@example.org"  # CMC

SECTION_1 = (
    "This joint input was prepared by the RCM Technical Secretariat with the CMC.\n\n"
    "It draws on two virtual consultations with member States."
)
SECTION_2 = "The RCM and the CMC bring together States of the Americas and the Caribbean."
SECTION_2_BY_PARTNER = SECTION_2 + " The CMC adds its work on disaster displacement."
SECTION_5 = "Member States report insufficient resources for follow-up."
SECTION_7 = "1. Strengthen data exchange.\n2. Hold a joint session on disaster displacement."


# Only script files from the site itself: no inline <script>, no onclick=…, no eval.
SCRIPT_CSP = "script-src 'self'; object-src 'none'; base-uri 'none'"
# page → what the browser refused or failed to run on it
_problems: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _serve_with_script_csp(route):
    if route.request.resource_type != "document":
        route.continue_()
        return
    response = route.fetch(max_redirects=0)  # redirects go back to the browser as they are
    route.fulfill(
        response=response, headers={**response.headers, "content-security-policy": SCRIPT_CSP}
    )


def watch(page):
    """Serve the page's documents under SCRIPT_CSP and record CSP refusals and script
    errors, which check_page() reports."""
    problems = _problems.setdefault(page, [])
    page.route(lambda url: "/static/" not in url, _serve_with_script_csp)
    page.on(
        "console",
        lambda message: (
            problems.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    return page


def check_page(page, label: str) -> None:
    """axe-core finds no serious or critical violation, and the page needed no inline
    script: none in the DOM, and the browser refused nothing and threw nothing."""
    assert_accessible(page, label)
    inline = page.evaluate(
        """() => [...document.querySelectorAll("*")].flatMap(el =>
            (el.tagName === "SCRIPT" && !el.src ? [el.outerHTML.slice(0, 80)] : []).concat(
              [...el.attributes].filter(a => /^on/i.test(a.name)
                || /^\\s*javascript:/i.test(a.value)).map(a => `${el.tagName} ${a.name}`)))"""
    )
    assert not inline, f"inline script on {label}: {inline}"
    problems = _problems.get(page, [])
    assert not problems, f"on {label} or before: {problems}"


def open_context(browser, browser_context_args):
    """A second person's browser: its own cookies, so its own session."""
    context = browser.new_context(**browser_context_args)
    return context, watch(context.new_page())


def fill_new_input(page, title: str) -> None:
    """The new-input form: RCM leads, CMC joins, for the ECLAC and ECE reviews."""
    page.get_by_label("Lead ISCM").select_option(label="RCM")
    page.get_by_role("checkbox", name=re.compile(r"^CMC — ")).check()
    page.get_by_role("checkbox", name=re.compile(r"^ECLAC — ")).check()
    page.get_by_role("checkbox", name=re.compile(r"^ECE — ")).check()
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


def reviews_group(page):
    return page.get_by_role("group", name=re.compile(r"^Regional reviews this input goes to"))


def section(page, number: int):
    """The edit page's <section> of an outline section: a region named by its heading."""
    return page.get_by_role("region", name=re.compile(rf"^{number}\. "))


def test_joint_input_written_by_lead_and_partner_then_submitted(
    page, site, browser, browser_context_args
):
    title = "Joint RCM–CMC input to the ECLAC and ECE reviews"
    watch(page)
    page.goto(site + "/accounts/login/")
    check_page(page, "sign-in page")
    sign_in(page, site, LEAD)
    page.goto(site + "/my/")
    expect(page.get_by_role("heading", name="My inputs", level=1)).to_be_visible()
    check_page(page, "dashboard")

    page.get_by_role("link", name="New written input").click()
    expect(page.get_by_role("heading", name="New written input")).to_be_visible()
    check_page(page, "new input form")

    # The lead's only ISCM is chosen already. Submitted otherwise empty: each required
    # field says so, as its accessible description.
    expect(page.get_by_label("Lead ISCM").locator("option:checked")).to_have_text("RCM")
    page.get_by_role("button", name="Create the draft").click()
    expect(page).to_have_url(re.compile(r"/my/inputs/new/$"))
    expect(page.get_by_label("Title")).to_have_accessible_description("This field is required.")
    expect(reviews_group(page)).to_have_accessible_description(
        re.compile("This field is required.$")
    )
    check_page(page, "new input form, submitted empty")

    # Invalid: a review no participating ISCM covers. The choices made are kept.
    fill_new_input(page, title)
    page.get_by_role("checkbox", name=re.compile(r"^ESCAP — ")).check()
    page.get_by_role("button", name="Create the draft").click()
    expect(page).to_have_url(re.compile(r"/my/inputs/new/$"))
    expect(reviews_group(page)).to_have_accessible_description(
        re.compile(
            "The ESCAP review is not offered for this input: ESCAP is not covered by RCM, CMC."
        )
    )
    expect(page.get_by_label("Title")).to_have_value(title)
    expect(page.get_by_role("checkbox", name=re.compile(r"^CMC — "))).to_be_checked()
    check_page(page, "new input form, review not covered")
    page.get_by_role("checkbox", name=re.compile(r"^ESCAP — ")).uncheck()
    page.get_by_role("button", name="Create the draft").click()

    expect(page).to_have_url(re.compile(r"/my/inputs/\d+/edit/$"))
    edit_url = page.url
    expect(page.get_by_role("status")).to_have_text("Draft created. Fill in the sections below.")
    expect(page.get_by_role("heading", name="Edit the content", level=1)).to_be_visible()
    check_page(page, "edit page")

    # The live word counter follows the typing (static/js/input-edit.js), turns red
    # past the limit, and counts like the server (list markers are no words).
    text_1 = section(page, 1).get_by_label("Text of section 1")
    counter_1 = section(page, 1).get_by_text(re.compile(r"of 800 words$"))
    expect(counter_1).to_have_text("0 of 800 words")
    text_1.press_sequentially("Two consultations")
    expect(counter_1).to_have_text("2 of 800 words")
    text_1.fill("word " * 801)
    expect(counter_1).to_have_text("801 of 800 words")
    expect(counter_1).to_have_class(re.compile(r"\btext-danger\b"))
    text_1.fill(SECTION_1)
    expect(counter_1).to_have_text("22 of 800 words")
    expect(counter_1).not_to_have_class(re.compile(r"\btext-danger\b"))
    section(page, 2).get_by_label("Text of section 2").fill(SECTION_2)
    section(page, 5).get_by_label("Text of section 5").fill(SECTION_5)
    # Section 7 is left for the partner.

    # An objective's fields open when it is ticked; one counter for its three texts.
    objective = page.locator("#objective-5")
    progress = objective.get_by_label("Progress at the regional level")
    expect(progress).to_be_hidden()
    objective.get_by_role("checkbox", name=re.compile(r"^Objective 5: ")).check()
    expect(progress).to_be_visible()
    progress.fill("Two member States expanded temporary labour migration programmes.")
    objective.get_by_label("Practices worth sharing").fill("Bilateral agreements.")
    expect(objective.get_by_text(re.compile(r"of 600 words$"))).to_have_text("10 of 600 words")
    page.get_by_role("button", name="Save draft").click()
    expect(page).to_have_url(edit_url)
    expect(page.get_by_role("status")).to_have_text("Draft saved.")
    expect(section(page, 1).get_by_label("Text of section 1")).to_have_value(SECTION_1)
    expect(
        page.locator("#objective-5").get_by_label("Progress at the regional level")
    ).to_be_visible()

    # The input page: one thing missing, so the lead cannot submit yet.
    page.get_by_role("link", name="Back to the input").click()
    expect(page.get_by_role("heading", name=title, level=1)).to_be_visible()
    checklist = page.get_by_role("region", name="Before you submit")
    expect(checklist).to_contain_text("One thing is missing:")
    expect(checklist.get_by_role("listitem")).to_have_text(
        ["Section 7 “Recommendations and next steps” is required and still empty."]
    )
    expect(checklist.get_by_role("button", name="Submit to IOM")).to_be_disabled()
    check_page(page, "input page, checklist incomplete")

    # Upload a PDF attachment.
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

    # The partner (CMC), in a browser of their own, follows the checklist to the empty
    # section, writes it and adds a sentence to section 2.
    context, partner = open_context(browser, browser_context_args)
    try:
        sign_in(partner, site, PARTNER)
        partner.goto(site + "/my/")
        partner.get_by_role("link", name=title).first.click()
        expect(partner).to_have_url(input_url)
        expect(
            partner.get_by_text("Only the lead ISCM's secretariat can submit this input.")
        ).to_be_visible()
        expect(partner.get_by_role("button", name="Submit to IOM")).to_have_count(0)
        check_page(partner, "input page, partner's view")
        partner.get_by_role("link", name=re.compile(r"^Section 7 ")).click()
        expect(partner).to_have_url(edit_url + "#section-7")
        text_7 = section(partner, 7).get_by_label("Text of section 7")
        text_7.fill(SECTION_7)
        expect(section(partner, 7).get_by_text(re.compile(r"of 800 words$"))).to_have_text(
            "10 of 800 words"
        )
        text_2 = section(partner, 2).get_by_label("Text of section 2")
        expect(text_2).to_have_value(SECTION_2)
        text_2.fill(SECTION_2_BY_PARTNER)
        partner.get_by_role("button", name="Save draft").click()
        expect(partner.get_by_role("status")).to_have_text("Draft saved.")
        expect(section(partner, 7).get_by_label("Text of section 7")).to_have_value(SECTION_7)
    finally:
        context.close()

    # The lead sees the partner's change and a complete checklist, and submits.
    page.reload()
    expect(page.get_by_role("definition").filter(has_text="Marlon Joseph")).to_be_visible()
    checklist = page.get_by_role("region", name="Before you submit")
    expect(checklist).to_contain_text("Checklist complete")
    expect(checklist.get_by_role("listitem")).to_have_count(0)
    check_page(page, "input page, checklist complete")
    submit = checklist.get_by_role("button", name="Submit to IOM")
    expect(submit).to_be_enabled()
    submit.click()
    expect(page).to_have_url(input_url)
    expect(page.get_by_role("status")).to_contain_text("Submitted.")
    expect(page.locator("h1 + .badge")).to_have_text("Submitted")
    expect(page.get_by_role("region", name="Before you submit")).to_have_count(0)
    expect(page.get_by_role("link", name="Edit the content")).to_have_count(0)
    expect(page.get_by_role("region", name="Submitted versions")).to_contain_text("Version 1")
    check_page(page, "input page, submitted")

    page.goto(edit_url)
    expect(page).to_have_url(input_url)  # read-only while with the reviewers
    expect(page.get_by_role("status")).to_contain_text("read-only")
    page.get_by_role("link", name="My inputs", exact=True).first.click()
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=title))
    expect(row.first).to_contain_text("Submitted")
    check_page(page, "dashboard with the submitted input")

    # The version IOM receives holds both secretariats' text and the attachment.
    written_input = WrittenInput.objects.get(title=title)
    assert written_input.status == Status.SUBMITTED
    snapshot = written_input.versions.get().snapshot
    bodies = {s["number"]: s["body"] for s in snapshot["sections"]}
    assert bodies[2] == SECTION_2_BY_PARTNER
    assert bodies[7].replace("\r\n", "\n") == SECTION_7
    assert [a["display_name"] for a in snapshot["attachments"]] == ["consultation-report.pdf"]


def test_second_save_of_the_same_section_is_refused_and_keeps_the_text(
    page, site, browser, browser_context_args
):
    watch(page)
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
        check_page(partner, "stale-save refusal")

        # Nothing the partner typed was saved; the lead's text stands.
        page.reload()
        expect(section(page, 1).get_by_label("Text of section 1")).to_have_value(lead_text)

        # The partner merges both and saves again, deliberately: now it is accepted.
        merged = lead_text + " Completed by the CMC annual meeting."
        partner_area.fill(merged)
        partner.get_by_role("button", name="Save draft").click()
        expect(partner.get_by_role("status")).to_have_text("Draft saved.")
        expect(partner.get_by_role("alert")).to_have_count(0)
        page.reload()
        expect(section(page, 1).get_by_label("Text of section 1")).to_have_value(merged)
    finally:
        context.close()
