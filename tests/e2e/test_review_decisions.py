"""Each regional review decides for itself, through the pages: the demo's Rabat Process
input goes to the ECA, ECE and ESCWA reviews, and the demo's ECA reviewer accepted it
for ECA only. That reviewer (who also reviews ESCWA) accepts it for ESCWA; the input
stays submitted until the ECE reviewer, another person, accepts it too."""

import pytest
from playwright.sync_api import expect

from .conftest import assert_accessible, sign_in

TITLE = "Rabat Process: input to the ECA, ECE and ESCWA regional reviews"


@pytest.fixture
def new_page(browser, browser_context_args):
    """A page in a browser context of its own (another person), closed after the test."""
    contexts = []

    def make():
        contexts.append(browser.new_context(**browser_context_args))
        return contexts[-1].new_page()

    yield make
    for context in contexts:
        context.close()


def _open_review_page(page):
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Review queue").click()
    expect(page.get_by_role("heading", name="Review queue", level=1)).to_be_visible()
    page.get_by_role("link", name=TITLE).click()
    expect(page.get_by_role("heading", name=f"Review: {TITLE}", level=1)).to_be_visible()


def _decisions(page):
    """The list of each target review's decision, in the order of the regions' codes."""
    return page.get_by_role("region", name="Decision of each regional review").get_by_role(
        "listitem"
    )


def _status_badge(page):
    """The input's status, shown beside the page's heading."""
    return page.locator("h1 + .badge")


def _accept(page, label):
    """Accept from the review page, for the one review left to the person: the decide
    page asks no "For the regional reviews" question then."""
    page.get_by_role("link", name="Accept the input").click()
    expect(page.get_by_role("heading", name="Accept the input", level=1)).to_be_visible()
    expect(page.get_by_role("group", name="For the regional reviews")).to_have_count(0)
    expect(page.get_by_role("checkbox")).to_have_count(0)
    assert_accessible(page, f"accept confirmation ({label})")
    page.get_by_role("button", name="Accept", exact=True).click()
    expect(page.get_by_role("status").filter(has_text="Done: Accept the input.")).to_be_visible()


def test_a_three_region_input_needs_each_regions_reviewer(page, new_page, site):
    africa = page
    sign_in(africa, site, "reviewer.africa@example.org")
    _open_review_page(africa)
    expect(_decisions(africa)).to_contain_text(
        ["ECA: Accepted", "ECE: Waiting for a decision", "ESCWA: Waiting for a decision"]
    )
    expect(_status_badge(africa)).to_have_text("Submitted")
    assert_accessible(africa, "review page, ECA accepted")

    _accept(africa, "ESCWA left")
    expect(_decisions(africa)).to_contain_text(
        ["ECA: Accepted", "ECE: Waiting for a decision", "ESCWA: Accepted"]
    )
    # ECE has not decided: the input is still submitted, and nothing is left to this
    # reviewer to decide on.
    expect(_status_badge(africa)).to_have_text("Submitted")
    expect(africa.get_by_role("link", name="Accept the input")).to_have_count(0)
    assert_accessible(africa, "review page, ECA and ESCWA accepted")

    europe = new_page()
    sign_in(europe, site, "reviewer@example.org")
    _open_review_page(europe)
    expect(_decisions(europe)).to_contain_text(
        ["ECA: Accepted", "ECE: Waiting for a decision", "ESCWA: Accepted"]
    )
    assert_accessible(europe, "review page for the ECE reviewer")
    _accept(europe, "ECE")
    expect(_decisions(europe)).to_contain_text(
        ["ECA: Accepted", "ECE: Accepted", "ESCWA: Accepted"]
    )
    expect(_status_badge(europe)).to_have_text("Accepted")
    assert_accessible(europe, "review page, accepted by every review")

    africa.reload()
    expect(_status_badge(africa)).to_have_text("Accepted")
