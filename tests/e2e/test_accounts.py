"""Accounts journeys: an administrator invites a secretariat member of MIDWA (an ISCM
without a demo account, so the invitee is its first member), who creates an account
from the e-mailed link and invites a colleague as the team's lead; a reviewer enrols an
authenticator on the first sign-in and gives a code from it on the next. Everything
after the demo data goes through the pages and the e-mails."""

import re
import time
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django_otp.oath import hotp
from playwright.sync_api import expect

from .conftest import (
    assert_accessible,
    confirmed_device,
    current_code,
    enrol_second_factor,
    give_code,
    leave_recovery_codes,
    password_step,
    sign_in,
    submit,
    wait_out_throttle,
)

ADMIN = "admin@example.org"
REVIEWER = "reviewer@example.org"
INVITEE = "nadia.quispe@example.org"
INVITEE_NAME = "Nadia Quispe"
INVITEE_PASSWORD = "Andes-lantern-2041"
COLLEAGUE = "tomas.rojas@example.org"
# Labels end with crispy's required-field asterisk; "Password" is in both.
PASSWORD_FIELD = re.compile(r"^Password\W*$")
PASSWORD_AGAIN_FIELD = re.compile(r"^Password again\W*$")
INVITATION_LINK = re.compile(r"https?://[^\s\"<>]+/invitations/[^/\s\"<>]+/")


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


def _invitation_path(address: str) -> str:
    """The path of the invitation link in the one e-mail sent to `address` (the live
    server runs in this process, so its locmem outbox is this one)."""
    sent = [m for m in mail.outbox if address in m.to]
    assert len(sent) == 1, f"{len(sent)} e-mails to {address}"
    links = set(INVITATION_LINK.findall(sent[0].body))
    assert len(links) == 1, sent[0].body
    return urlsplit(links.pop()).path


def _sign_out(page, name: str) -> None:
    page.get_by_role("button", name=name).click()
    with page.expect_navigation():
        page.get_by_role("button", name="Sign out").click()


def _wrong_code(email: str) -> str:
    """Six digits the authenticator shows at no step the portal could take now."""
    device = confirmed_device(email)
    current = (int(time.time()) - device.t0) // device.step + device.drift
    near = {hotp(device.bin_key, t) for t in range(current - 2, current + 3)}
    return next(f"{n:06d}" for n in (0, 111111, 222222, 333333) if n not in near)


def test_administrator_invites_a_secretariat_member_who_invites_a_colleague(page, new_page, site):
    # The administrator's first sign-in enrols an authenticator (IOM staff must).
    sign_in(page, site, ADMIN)
    assert confirmed_device(ADMIN).confirmed

    page.get_by_role("link", name="People and access").click()
    expect(page.get_by_role("heading", name="People and access", level=1)).to_be_visible()
    assert_accessible(page, "staff summary")
    page.get_by_role("link", name="Invite someone").click()
    expect(page).to_have_url(f"{site}/staff/invitations/new/")
    expect(page.get_by_role("heading", name="Invite someone", level=1)).to_be_visible()
    assert_accessible(page, "staff invitation form")

    # A secretariat role without an ISCM is refused beside the ISCM boxes.
    page.get_by_label("E-mail address").fill(INVITEE)
    page.get_by_label("Secretariat of ISCMs").check()
    submit(page, "Send the invitation")
    expect(page.get_by_text("Choose at least one ISCM for a secretariat role.")).to_be_visible()
    expect(page.get_by_label("E-mail address")).to_have_value(INVITEE)
    assert_accessible(page, "staff invitation form without an ISCM")

    page.get_by_label("MIDWA", exact=True).check()
    submit(page, "Send the invitation")
    expect(page).to_have_url(f"{site}/staff/invitations/")
    _status(page, f"Invitation sent to {INVITEE}.")
    expect(page.get_by_role("main")).to_contain_text(INVITEE)
    assert_accessible(page, "staff invitation list")
    first_link = _invitation_path(INVITEE)

    # The invitee, in a browser of their own, opens the link from the e-mail.
    invitee = new_page()
    invitee.goto(site + first_link)
    expect(invitee.get_by_role("heading", name="Your invitation", level=1)).to_be_visible()
    expect(invitee.get_by_role("main")).to_contain_text(INVITEE)
    expect(invitee.get_by_role("main")).to_contain_text("MIDWA")
    assert_accessible(invitee, "invitation page")

    # Two different passwords: a message, and the name typed is kept.
    invitee.get_by_label("Your full name").fill(INVITEE_NAME)
    invitee.get_by_role("textbox", name=PASSWORD_FIELD).fill(INVITEE_PASSWORD)
    invitee.get_by_role("textbox", name=PASSWORD_AGAIN_FIELD).fill(INVITEE_PASSWORD + "x")
    submit(invitee, "Create my account")
    expect(invitee.get_by_text("The two passwords differ.")).to_be_visible()
    expect(invitee.get_by_role("textbox", name=PASSWORD_AGAIN_FIELD)).to_have_attribute(
        "aria-invalid", "true"
    )
    expect(invitee.get_by_label("Your full name")).to_have_value(INVITEE_NAME)
    assert_accessible(invitee, "invitation page with passwords that differ")

    invitee.get_by_role("textbox", name=PASSWORD_FIELD).fill(INVITEE_PASSWORD)
    invitee.get_by_role("textbox", name=PASSWORD_AGAIN_FIELD).fill(INVITEE_PASSWORD)
    submit(invitee, "Create my account")
    expect(invitee).to_have_url(f"{site}/my/")
    # The name is isolated with U+2068 … U+2069, so a right-to-left name reads right.
    _status(invitee, re.compile(rf"^Welcome, \W?{INVITEE_NAME}\W?: your account is ready\.$"))
    expect(
        invitee.get_by_role("main").get_by_role("link", name="MIDWA", exact=True)
    ).to_be_visible()

    # The first member of MIDWA leads its team and invites a colleague.
    invitee.get_by_role("link", name="your team, which you lead").click()
    expect(invitee).to_have_url(f"{site}/my/teams/midwa/")
    expect(invitee.get_by_role("heading", name="Team of MIDWA", level=1)).to_be_visible()
    members = invitee.get_by_role("region", name="Members")
    expect(members.get_by_role("row").filter(has_text=INVITEE_NAME)).to_contain_text("Lead")
    assert_accessible(invitee, "team page")
    invitee.get_by_label("Colleague's e-mail address").fill(COLLEAGUE)
    submit(invitee, "Send the invitation")
    _status(invitee, f"Invitation sent to {COLLEAGUE}.")
    expect(invitee.get_by_role("region", name="Pending invitations")).to_contain_text(COLLEAGUE)
    assert_accessible(invitee, "team page with a pending invitation")
    assert _invitation_path(COLLEAGUE) != first_link

    # The invitee's profile.
    invitee.goto(f"{site}/accounts/profile/")
    expect(invitee.get_by_label("Full name")).to_have_value(INVITEE_NAME)
    assert_accessible(invitee, "profile page of a secretariat member")

    # The first link has been used: whoever opens it again is told so.
    stranger = new_page()
    response = stranger.goto(site + first_link)
    assert response.status == 410
    expect(
        stranger.get_by_role("heading", name="This invitation link cannot be used")
    ).to_be_visible()
    expect(stranger.get_by_text("It has already been used.")).to_be_visible()
    assert_accessible(stranger, "used invitation link")

    # The administrator sees the new member on MIDWA's team, and the other staff pages.
    page.goto(f"{site}/my/teams/midwa/")
    expect(page.get_by_role("main")).to_contain_text(INVITEE_NAME)
    assert_accessible(page, "team page as administrator")
    for path, name in (
        ("/staff/people/?q=MIDWA", "staff people search"),
        ("/staff/iscms/", "staff teams"),
        ("/staff/regions/", "staff region assignments"),
        ("/staff/audit/", "staff audit trail"),
    ):
        page.goto(site + path)
        assert_accessible(page, name)
    page.goto(f"{site}/staff/regions/")
    page.get_by_label("E-mail address of the person").first.fill("nobody@example.org")
    submit(page, "Assign — ECA")
    expect(page.get_by_role("main")).to_contain_text("No account uses this address")
    assert_accessible(page, "region assignment with an unknown address")


def test_reviewer_enrols_an_authenticator_then_signs_in_with_a_code(page, site):
    # First sign-in: the password, then the enrolment the portal insists on.
    password_step(page, site, REVIEWER)
    expect(page).to_have_url(re.compile(r"/accounts/two-factor/enrol/"))
    expect(page.get_by_role("heading", name="Set up two-factor sign-in")).to_be_visible()
    qr_code = page.get_by_role("img", name="QR code to scan with the authenticator app")
    expect(qr_code).to_be_visible()
    assert qr_code.get_attribute("src").startswith("data:image/svg+xml")
    expect(page.locator("#totp-secret")).to_have_text(
        re.compile(r"^[A-Z2-7]{4}( [A-Z2-7]{1,4})+$")
    )
    assert_accessible(page, "enrol page")

    enrol_second_factor(page)
    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    _status(page, "Two-factor sign-in is on.")
    expect(page.locator("#recovery-codes li")).to_have_count(10)
    assert_accessible(page, "recovery codes page")
    leave_recovery_codes(page)
    assert "/accounts/two-factor/" not in page.url

    _sign_out(page, "Anna Kowalska")

    # Next sign-in, on the way to the review queue: a code is asked for.
    password_step(page, site, REVIEWER, path="/review/")
    expect(page).to_have_url(re.compile(r"/accounts/two-factor/verify/\?next=%2Freview%2F$"))
    expect(page.get_by_role("heading", name="Sign-in code", level=1)).to_be_visible()
    # Nothing else opens before the code is given.
    page.goto(f"{site}/review/")
    expect(page).to_have_url(re.compile(r"/accounts/two-factor/verify/\?next=%2Freview%2F$"))

    give_code(page, _wrong_code(REVIEWER))
    expect(page.get_by_text("That code is not right")).to_be_visible()
    expect(page.get_by_label("Code")).to_have_attribute("aria-invalid", "true")
    assert_accessible(page, "verify page with a wrong code")

    wait_out_throttle(REVIEWER)  # django-otp waits a second after a wrong code
    give_code(page, current_code(REVIEWER))
    expect(page).to_have_url(f"{site}/review/")
    expect(page.get_by_role("heading", name="Review queue", level=1)).to_be_visible()

    page.goto(f"{site}/accounts/profile/")
    expect(page.get_by_role("region", name="Signing in")).to_contain_text("Two-factor sign-in: on")
    assert_accessible(page, "profile page of a reviewer")

    # Signing in again a moment later: the code just used is spent, the next one works.
    _sign_out(page, "Anna Kowalska")
    sign_in(page, site, REVIEWER)
    expect(page.get_by_role("link", name="Review queue")).to_be_visible()
