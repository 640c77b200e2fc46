"""Browser journeys: Debian's chromium driven by Playwright against Django's live
server, with axe-core checking every page a journey visits.

They run in `make test` when chromium (and axe-core, from `npm ci`) are present and are
skipped with a message when not; `.ci/run` installs both and sets
REQUIRE_BROWSER_TESTS, which turns a missing one into a failure. A
failing test leaves a screenshot in test-results/ (git ignores it).
"""

import os
import shutil
from pathlib import Path

import pytest
from django.utils import timezone

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
    from iscm_portal.demo import load_demo_data
    from submissions.reference_data import load_reference_data

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


def sign_in(page, site: str, email: str, password: str = PASSWORD) -> None:
    page.goto(f"{site}/accounts/login/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    assert "/accounts/login/" not in page.url, f"sign-in failed for {email}"


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
    inline script."""
    scripts = inline_scripts(page)
    assert not scripts, f"inline script on {label or page.url}: {scripts}"
    violations = axe_violations(page)
    if violations:
        lines = [f"{v['impact']}: {v['id']} — {v['help']} at {v['nodes']}" for v in violations]
        pytest.fail(f"axe-core on {label or page.url}:\n" + "\n".join(lines))
