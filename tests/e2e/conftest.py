"""Browser journeys: Debian's chromium driven by Playwright against Django's live
server, with axe-core checking every page a journey visits.

They run in `make test` when chromium (and axe-core, from `npm ci`) are present and are
skipped with a message when not; `.ci/run` installs both and sets
REQUIRE_BROWSER_TESTS, which turns a missing one into a failure. A
failing test leaves a screenshot in test-results/ (git ignores it).
"""

import base64
import os
import shutil
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection
from django.utils import timezone
from django_otp.oath import hotp, totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from iscm_portal.demo import load_demo_data
from submissions.reference_data import load_reference_data

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
PASSWORD = "demo-password"
BLOCKING_IMPACTS = {"serious", "critical"}


def _missing() -> str | None:
    if not (shutil.which(CHROMIUM) or Path(CHROMIUM).exists()):
        return f"chromium not found at {CHROMIUM} (apt-get install -y chromium; CI installs it)"
    if not AXE.exists():
        return f"axe-core not found at {AXE} (run `npm ci`; make test does when npm exists)"
    return None


def pytest_collection_modifyitems(config, items):
    reason = _missing()
    if reason is None:
        return
    if os.environ.get("REQUIRE_BROWSER_TESTS"):  # CI: never a silent skip
        raise pytest.UsageError(f"browser tests required but cannot run: {reason}")
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.skip(reason=f"browser tests skipped: {reason}"))


@pytest.fixture(scope="session", autouse=True)
def _orm_beside_the_browser():
    # Playwright's sync API runs an event loop in this thread; Django refuses ORM calls
    # in such a thread unless told it is safe. It is: the loop only waits on the
    # browser. Only while browser tests run (tests of deploy settings strip it too).
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_FLAGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "en-GB", "accept_downloads": True}


@pytest.fixture
def demo(transactional_db, settings):
    """The reference data and the demo data set, loaded the way `make run` does: the
    only data a journey starts from; everything after goes through the pages."""
    load_reference_data()
    settings.DEBUG = True  # the demo loader refuses otherwise
    try:
        load_demo_data(today=timezone.localdate())
    finally:
        settings.DEBUG = False


@pytest.fixture
def site(live_server, demo):
    """The live server's base URL, with the demo data loaded."""
    return live_server.url


def database_sessions() -> str:
    """On PostgreSQL, every other session on the test database: what it runs or last
    ran, what it waits on and which sessions block it, one line each; for the message
    of a page that did not come back (a live-server thread held up by a lock)."""
    if connection.vendor != "postgresql":
        return "(SQLite: no session list)"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid, state, wait_event_type, wait_event, pg_blocking_pids(pid),"
            " left(query, 200) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        rows = cursor.fetchall()
    return "\n".join(
        f"pid {pid} {state} waits {kind}/{event} blocked by {blockers}: {query}"
        for pid, state, kind, event, blockers, query in rows
    )


def sign_in(page, site: str, email: str, password: str = PASSWORD) -> None:
    """Sign in through the login form, and through the second step for anyone asked
    for it: IOM staff enrol an authenticator on their first sign-in (the key read from
    the page) and give a code from it on later ones (the key read from the database).
    Secretariat members without an authenticator have no second step."""
    password_step(page, site, email, password)
    if "/accounts/two-factor/enrol/" in page.url:
        enrol_second_factor(page)
        leave_recovery_codes(page)
    elif "/accounts/two-factor/verify/" in page.url:
        give_code(page, current_code(email))
        assert "/accounts/two-factor/" not in page.url, f"second factor refused for {email}"


def password_step(page, site: str, email: str, password: str = PASSWORD, path: str = "") -> None:
    """The first step of signing in: the login form (going on to `path` afterwards)."""
    page.goto(f"{site}/accounts/login/" + (f"?next={quote(path)}" if path else ""))
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    submit(page, "Sign in")
    assert "/accounts/login/" not in page.url, f"sign-in failed for {email}"


# --- The second factor ----------------------------------------------------------------


def submit(page, button: str) -> None:
    """Click the button `button` and wait for the page it leads to."""
    with page.expect_navigation():
        page.get_by_role("button", name=button, exact=True).click()


def code_for_key(key: str) -> str:
    """The current code of an authenticator app holding `key` as the enrol page shows
    it (base32, in groups of four): what a person types from their phone."""
    key = key.replace(" ", "").upper()
    key += "=" * (-len(key) % 8)
    return f"{totp(base64.b32decode(key)):06d}"


def enrol_second_factor(page) -> None:
    """On the enrol page: type the shown key's current code and confirm; the page
    after is the recovery codes."""
    secret = page.locator("#totp-secret").inner_text()
    page.get_by_label("Code").fill(code_for_key(secret))
    submit(page, "Confirm")
    assert "/accounts/two-factor/enrol/" in page.url, page.url  # rendered, not redirected
    assert page.locator("#recovery-codes li").count() > 0, "no recovery codes shown"


def leave_recovery_codes(page) -> None:
    with page.expect_navigation():
        page.get_by_role("link", name="I have saved them — continue").click()


def give_code(page, code: str) -> None:
    """On the verify page: type `code` and sign in."""
    page.get_by_label("Code").fill(code)
    submit(page, "Sign in")


def confirmed_device(email: str):
    return TOTPDevice.objects.get(user__email__iexact=email, confirmed=True)


def wait_out_throttle(email: str) -> None:
    """django-otp refuses any code for a while after a wrong one (1 s, doubling with
    each further failure): wait until it takes codes again, no longer."""
    while True:
        device = confirmed_device(email)
        allowed, details = device.verify_is_allowed()
        if allowed:
            return
        wait = (details["locked_until"] - timezone.now()).total_seconds()
        time.sleep(min(max(wait, 0) + 0.05, 5))


def current_code(email: str) -> str:
    """A code the person's confirmed authenticator would show, that the portal takes
    now. django-otp takes a time step once only (a code seen is spent) and accepts
    the steps within `tolerance` of the current one (plus the drift it learnt): when
    the current step is spent, by a sign-in a moment ago, the next one is used, and
    only when that is spent too does this wait for the clock to move on."""
    wait_out_throttle(email)
    device = confirmed_device(email)
    while True:
        now = time.time()
        current = (int(now) - device.t0) // device.step + device.drift
        wanted = max(current, device.last_t + 1)
        if wanted <= current + device.tolerance:
            return f"{hotp(device.bin_key, wanted, digits=device.digits):0{device.digits}d}"
        time.sleep(device.step - (int(now) - device.t0) % device.step + 0.05)


def axe_violations(page) -> list[dict]:
    """axe-core's serious and critical violations on the page as it is now."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Evaluated, not added as a <script> tag, so a Content-Security-Policy that
        # forbids inline script cannot block the checker.
        page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate(
        """async () => {
            const r = await axe.run(document, {resultTypes: ["violations"]});
            return r.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ")),
            }));
        }"""
    )
    return [v for v in result if v["impact"] in BLOCKING_IMPACTS]


def inline_scripts(page) -> list[str]:
    """Script the page carries inline (elements without src, event-handler attributes,
    javascript: links): none allowed, so a Content-Security-Policy can forbid it."""
    return page.evaluate(
        r"""() => {
            const found = [];
            for (const s of document.querySelectorAll("script:not([src])")) {
                if (s.type !== "application/json") found.push(s.outerHTML.slice(0, 80));
            }
            for (const el of document.querySelectorAll("*")) {
                for (const a of el.attributes) {
                    if (a.name.startsWith("on")) found.push(`${el.tagName} ${a.name}`);
                    if (/^\s*javascript:/i.test(a.value)) found.push(`${el.tagName} ${a.name}`);
                }
            }
            return found;
        }"""
    )


def assert_accessible(page, label: str = "") -> None:
    """No serious or critical axe-core violation (the message lists them), and no
    inline script. Checked once the page has loaded: a heading can be visible before
    the stylesheets apply (a busy machine, or the parallel suite, serves them slowly),
    and axe would then judge the colours of a half-styled page."""
    page.wait_for_load_state("load")
    scripts = inline_scripts(page)
    assert not scripts, f"inline script on {label or page.url}: {scripts}"
    violations = axe_violations(page)
    if violations:
        lines = [f"{v['impact']}: {v['id']} — {v['help']} at {v['nodes']}" for v in violations]
        pytest.fail(f"axe-core on {label or page.url}:\n" + "\n".join(lines))
