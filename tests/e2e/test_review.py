"""Staff journeys: a reviewer and a secretariat take a joint input from submitted to
published, in two browsers at once; a compiler compiles, checks and publishes the ECLAC
regional package. Everything after the demo data goes through the pages."""

import io
import re
from pathlib import Path

import pytest
from django.utils import translation
from playwright.sync_api import expect
from pypdf import PdfReader

from .conftest import assert_accessible, sign_in

JOINT_TITLE = (
    "Joint input of the Regional Conference on Migration and the Caribbean Migration Consultations"
)
ACCEPTED_TITLE = "Caribbean Migration Consultations: input to the ECLAC regional review"
SECTION_1 = "1. Introduction and methodology"
COMMENT = "Please name the member States that took part in the two virtual consultations."
REQUEST = "Thank you. Please answer the comment on section 1 and resubmit."
OLD_WORDS = "two virtual consultations with member States"
NEW_WORDS = "two virtual consultations with Belize, Costa Rica and Jamaica"


@pytest.fixture
def new_page(browser, browser_context_args):
    """Pages in browser contexts of their own (another person, with their own cookies),
    closed after the test."""
    contexts = []

    def make():
        contexts.append(browser.new_context(**browser_context_args))
        return contexts[-1].new_page()

    yield make
    for context in contexts:
        context.close()


def _status(page, text):
    """The confirmation the portal shows after an action (a role=status message)."""
    expect(page.get_by_role("status").filter(has_text=text)).to_be_visible()


def _section(page, heading):
    """The innermost <section> that holds `heading` (outer sections come first)."""
    return (
        page.locator("section")
        .filter(has=page.get_by_role("heading", name=heading, exact=True))
        .last
    )


def test_reviewer_and_secretariat_take_a_joint_input_to_publication(page, new_page, site):
    reviewer = page
    sign_in(reviewer, site, "reviewer@example.org")
    reviewer.get_by_role("link", name="Review queue").click()
    expect(reviewer.get_by_role("heading", name="Review queue", level=1)).to_be_visible()
    assert_accessible(reviewer, "review queue")

    reviewer.get_by_role("link", name=JOINT_TITLE).click()
    expect(
        reviewer.get_by_role("heading", name=re.compile("^Review: Joint input"))
    ).to_be_visible()
    assert_accessible(reviewer, "review page")

    # An empty comment is refused with a message beside the field.
    reviewer.get_by_role("button", name="Save the comment").click()
    # The label carries crispy's required-field asterisk ("Comment*"), and the card's
    # region is named "Comment" too: the text box is found by its role.
    comment_field = reviewer.get_by_role("textbox", name="Comment")
    expect(comment_field).to_have_attribute("aria-invalid", "true")
    expect(reviewer.get_by_text("This field is required.")).to_be_visible()
    assert_accessible(reviewer, "comment form with an empty comment")

    reviewer.get_by_label("About").select_option(label=SECTION_1)
    comment_field.fill(COMMENT)
    reviewer.get_by_label("The secretariat, sent with your decision").check()
    reviewer.get_by_role("button", name="Save the comment").click()
    _status(reviewer, "Comment saved.")
    section = _section(reviewer, SECTION_1)
    expect(section.get_by_text(COMMENT)).to_be_visible()
    expect(section.get_by_text("to be sent with the next decision")).to_be_visible()
    assert_accessible(reviewer, "review page with a pending comment")

    # Request changes: the message is required; the pending comment goes with it.
    reviewer.get_by_role("link", name="Request changes").click()
    expect(reviewer.get_by_role("heading", name="Request changes", level=1)).to_be_visible()
    expect(
        reviewer.get_by_role("region", name="Comments sent with this decision")
    ).to_contain_text(COMMENT)
    assert_accessible(reviewer, "request changes confirmation")
    reviewer.get_by_role("button", name="Send the request for changes").click()
    message = reviewer.get_by_label("Message to the secretariat")
    expect(message).to_have_attribute("aria-invalid", "true")
    assert_accessible(reviewer, "request changes without a message")
    message.fill(REQUEST)
    reviewer.get_by_role("button", name="Send the request for changes").click()
    _status(reviewer, "Done: Request changes.")
    expect(reviewer.get_by_text("Changes requested", exact=True)).to_be_visible()

    # The secretariat, in a browser of its own, sees the comment beside section 1.
    secretariat = new_page()
    sign_in(secretariat, site, "secretariat@example.org")
    secretariat.get_by_role("link", name="My inputs").click()
    secretariat.get_by_role("link", name=JOINT_TITLE).first.click()
    expect(secretariat.get_by_role("heading", name=JOINT_TITLE, level=1)).to_be_visible()
    expect(secretariat.get_by_role("region", name="History")).to_contain_text(REQUEST)
    secretariat.get_by_role("link", name="Edit the content").click()
    section = secretariat.get_by_role("region", name=re.compile(f"^{re.escape(SECTION_1)}"))
    expect(section.get_by_role("listitem").filter(has_text=COMMENT)).to_be_visible()
    assert_accessible(secretariat, "edit page with a comment")
    text = section.get_by_label("Text of section 1")
    assert OLD_WORDS in text.input_value()
    text.fill(text.input_value().replace(OLD_WORDS, NEW_WORDS))
    secretariat.get_by_role("button", name="Save draft").click()
    _status(secretariat, "Draft saved.")
    secretariat.get_by_role("link", name="Back to the input").click()
    secretariat.get_by_role("button", name="Resubmit to IOM").click()
    _status(secretariat, "Submitted.")

    # The reviewer reads what changed between version 1 and version 2.
    reviewer.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Review queue"
    ).click()
    reviewer.get_by_role("link", name=JOINT_TITLE).click()
    expect(reviewer.get_by_text("Showing version 2")).to_be_visible()
    reviewer.get_by_role("link", name="changes from the previous version").click()
    expect(
        reviewer.get_by_role("heading", name="Changes from version 1 to version 2")
    ).to_be_visible()
    changed = _section(reviewer, SECTION_1)
    expect(changed.get_by_role("insertion")).to_contain_text(["Belize, Costa Rica and Jamaica"])
    expect(changed.get_by_role("deletion")).to_contain_text(["member States"])
    assert_accessible(reviewer, "diff between versions")

    reviewer.get_by_role("link", name=re.compile("^Joint input")).click()
    reviewer.get_by_role("link", name="Accept").click()
    expect(reviewer.get_by_role("heading", name="Accept the input")).to_be_visible()
    assert_accessible(reviewer, "accept confirmation")
    reviewer.get_by_role("button", name="Accept").click()
    _status(reviewer, "Done: Accept the input.")

    # Publishing before the lead ISCM consents is refused, and says why.
    reviewer.get_by_role("link", name="Publish").click()
    expect(reviewer.get_by_role("heading", name="Publish the input")).to_be_visible()
    assert_accessible(reviewer, "publish confirmation")
    reviewer.get_by_role("button", name="Publish").click()
    expect(reviewer.get_by_text("has not consented to publication")).to_be_visible()
    assert_accessible(reviewer, "publish refused without consent")

    secretariat.reload()
    consent = secretariat.get_by_role("region", name="Publication")
    expect(consent).to_contain_text("Consent to publication has not been given")
    assert_accessible(secretariat, "input page with the consent form")
    consent.get_by_role("button", name="Give consent to publication").click()
    _status(secretariat, "Consent to publication given.")
    assert_accessible(secretariat, "input page after consent")

    # The same confirmation page, sent again, now publishes.
    reviewer.get_by_role("button", name="Publish").click()
    _status(reviewer, "Done: Publish the input.")
    expect(reviewer.get_by_text("Published", exact=True)).to_be_visible()

    visitor = new_page()
    visitor.goto(site + "/contributions/")
    expect(visitor.get_by_role("link", name=re.compile(re.escape(JOINT_TITLE)))).to_be_visible()


def _pdf_text(data: bytes) -> str:
    """The text of a PDF, its whitespace collapsed (pypdf breaks lines where it likes)."""
    pdf = PdfReader(io.BytesIO(data))
    assert len(pdf.pages) > 0
    return " ".join(" ".join(p.extract_text() for p in pdf.pages).split())


def test_compiler_compiles_checks_and_publishes_the_eclac_package(page, new_page, site):
    sign_in(page, site, "compiler@example.org")
    # The compiler's own page, named apart from the public "Packages" link beside it.
    page.get_by_role("link", name="Regional submission packages").click()
    expect(page.get_by_role("heading", name="Regional submission packages")).to_be_visible()
    assert_accessible(page, "packages")

    # ECLAC's packages are compiled in Spanish unless the compiler chooses another language.
    eclac = page.get_by_role("region", name=re.compile(r"^ECLAC — .*\(2028–2029\)"))
    expect(eclac.get_by_label("Language of the package")).to_have_value("es")
    eclac.get_by_role("button", name="Compile the package").click()
    _status(page, "Version 1 in Spanish is being compiled.")
    expect(
        page.get_by_role("heading", name=re.compile("^ECLAC package, .*, version 1, Spanish$"))
    ).to_be_visible()
    expect(page.get_by_text(re.compile(r"^Ready, compiled "))).to_be_visible(timeout=30_000)
    assert_accessible(page, "package ready")

    # The CMC input was accepted, but the CMC has not consented to publication: the
    # review edition carries it, the public edition does not, and the page says why.
    cmc = page.get_by_role("row").filter(has_text=ACCEPTED_TITLE)
    expect(cmc.get_by_role("cell")).to_have_text(
        ["included", "not included: the lead ISCM has not consented to publication"]
    )

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download the review edition").click()
    review_text = _pdf_text(Path(download_info.value.path()).read_bytes())
    assert ACCEPTED_TITLE in review_text
    with translation.override("es"):
        mark = translation.gettext("For the regional review, not for publication")
    assert mark in review_text

    page.get_by_role("button", name="Publish the public edition").click()
    _status(page, "The public edition is published.")
    expect(page.get_by_role("button", name="Unpublish the public edition")).to_be_visible()
    assert_accessible(page, "package published")
    page.get_by_role("navigation", name="Breadcrumb").get_by_role("link", name="Packages").click()
    expect(page.get_by_role("listitem").filter(has_text="Version 1")).to_contain_text("published")
    assert_accessible(page, "packages with a published version")

    page.get_by_role("link", name="Packages", exact=True).click()
    expect(
        page.get_by_role("heading", name="Published regional submission packages")
    ).to_be_visible()
    expect(page.get_by_role("row", name=re.compile("^ECLAC"))).to_be_visible()
    assert_accessible(page, "public packages")

    # Anyone, signed out, downloads the public edition from the public list: without
    # the CMC input and without the review edition's mark.
    visitor = new_page()
    visitor.goto(site + "/packages/")
    link = visitor.get_by_role("row", name=re.compile("^ECLAC")).get_by_role(
        "link", name=re.compile("^PDF")
    )
    href = link.get_attribute("href")
    assert re.fullmatch(r"/packages/\d+/es/download/", href), href
    response = visitor.request.get(site + href)
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    public_text = _pdf_text(response.body())
    assert ACCEPTED_TITLE not in public_text
    assert mark not in public_text
