"""A compile survives its worker dying and its inputs changing: a stalled package is
marked failed (never "running" forever, never a half file), and a package holds the
versions it was asked with."""

import datetime
import io
import time
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from reviews import package_parts, package_pdf, packages
from reviews.heartbeat import Heartbeat
from reviews.models import RegionalPackage
from submissions import workflow

from .test_packages import _accepted

pytestmark = pytest.mark.django_db


def _running(world, compiler, *, heartbeat_age: float):
    """A package a worker claimed and then stopped beating for `heartbeat_age` s."""
    _accepted(world, "Accepted input")
    package, _ = packages.request_compile(world.reviews.amr, by=compiler, enqueue=False)
    beat = timezone.now() - datetime.timedelta(seconds=heartbeat_age)
    RegionalPackage.objects.filter(pk=package.pk).update(
        status="running", started_at=beat, heartbeat_at=beat, stage="Laying out the pages"
    )
    return package


def test_a_compile_whose_worker_died_is_marked_failed_after_the_timeout(world, compiler, settings):
    settings.PACKAGE_COMPILE_TIMEOUT = 300
    stalled = _running(world, compiler, heartbeat_age=301)
    assert packages.fail_stale_packages() == 1
    stalled.refresh_from_db()
    assert stalled.status == "failed" and not stalled.file
    assert "no sign of life for 5 minutes" in stalled.error
    retried = packages.retry_compile(stalled)
    assert retried.status == "queued" and retried.heartbeat_at is None
    assert package_pdf.compile_package(retried.pk).status == "done"


def test_a_compile_with_a_recent_heartbeat_is_left_running(world, compiler, settings):
    settings.PACKAGE_COMPILE_TIMEOUT = 300
    alive = _running(world, compiler, heartbeat_age=60)
    assert packages.fail_stale_packages() == 0
    alive.refresh_from_db()
    assert alive.status == "running"


def test_the_compiler_sees_a_stalled_compile_as_failed_and_can_ask_again(
    client, world, compiler, settings
):
    settings.PACKAGE_COMPILE_TIMEOUT = 300
    stalled = _running(world, compiler, heartbeat_age=3600)
    client.force_login(compiler)
    page = client.get(stalled.get_absolute_url()).content.decode()
    assert "could not be compiled" in page and "Try again" in page
    # A new compile is not blocked by the dead one.
    response = client.post(reverse("reviews:package-compile", args=[world.reviews.amr.pk]))
    assert response.status_code == 302


def test_the_management_command_marks_stalled_compiles(world, compiler, settings):
    settings.PACKAGE_COMPILE_TIMEOUT = 300
    _running(world, compiler, heartbeat_age=900)
    out = StringIO()
    call_command("fail_stale_packages", stdout=out)
    assert "1 stalled package compile(s) marked failed." in out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_thread_writes_while_the_worker_lives(world, compiler):
    package = _running(world, compiler, heartbeat_age=600)
    before = RegionalPackage.objects.get(pk=package.pk).heartbeat_at
    run = RegionalPackage.objects.get(pk=package.pk).started_at
    heartbeat = Heartbeat(
        "test",
        0.02,
        lambda: package_pdf._this_run(package.pk, run).update(heartbeat_at=timezone.now()),
    )
    heartbeat.start()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if RegionalPackage.objects.get(pk=package.pk).heartbeat_at > before:
            break
        time.sleep(0.02)
    heartbeat.stop()
    assert RegionalPackage.objects.get(pk=package.pk).heartbeat_at > before
    assert not heartbeat.is_alive()


def test_a_compile_that_ends_after_being_given_up_on_keeps_nothing(
    world, compiler, settings, monkeypatch
):
    """The worker was only slow: it finishes after the package was marked failed. The
    package stays failed and the file it stored is deleted."""
    _accepted(world, "Accepted input")
    package, _ = packages.request_compile(world.reviews.amr, by=compiler, enqueue=False)
    real_render = package_parts.render_html_to_pdf

    def slow_render(html, *, fetcher=None):
        pdf = real_render(html, fetcher=fetcher)
        # Meanwhile, another process decided this worker was dead.
        RegionalPackage.objects.filter(pk=package.pk).update(status="failed", error="stalled")
        return pdf

    monkeypatch.setattr(package_parts, "render_html_to_pdf", slow_render)
    result = package_pdf.compile_package(package.pk)
    assert result.status == "failed" and result.error == "stalled"
    assert not result.file
    assert not list((settings.MEDIA_ROOT / "packages").rglob("*.pdf"))


def test_a_package_no_worker_started_is_failed_after_the_queue_timeout(world, compiler, settings):
    settings.PACKAGE_QUEUE_TIMEOUT = 3600
    _accepted(world, "Accepted input")
    package, _ = packages.request_compile(world.reviews.amr, by=compiler, enqueue=False)
    assert packages.fail_stale_packages() == 0  # just queued: waiting is fine
    later = timezone.now() + datetime.timedelta(seconds=3601)
    assert packages.fail_stale_packages(now=later) == 1
    package.refresh_from_db()
    assert package.status == "failed" and "No worker started the compile" in package.error
    assert packages.retry_compile(package).status == "queued"


def test_an_old_run_finishing_late_leaves_the_retried_run_alone(
    world, compiler, settings, monkeypatch
):
    """Worker A is given up on, the compiler retries and worker B claims the package;
    then A finishes. B's run stays B's: A neither marks it done nor keeps a file."""
    _accepted(world, "Accepted input")
    package, _ = packages.request_compile(world.reviews.amr, by=compiler, enqueue=False)
    real_render = package_parts.render_html_to_pdf
    b_started = timezone.now() + datetime.timedelta(minutes=10)

    def render_while_others_act(html, *, fetcher=None):
        pdf = real_render(html, fetcher=fetcher)
        RegionalPackage.objects.filter(pk=package.pk).update(status="failed", error="stalled")
        packages.retry_compile(package)
        RegionalPackage.objects.filter(pk=package.pk).update(  # worker B's claim
            status="running", started_at=b_started, heartbeat_at=b_started
        )
        return pdf

    monkeypatch.setattr(package_parts, "render_html_to_pdf", render_while_others_act)
    package_pdf.compile_package(package.pk)  # worker A
    package.refresh_from_db()
    assert (package.status, package.started_at) == ("running", b_started)
    assert not package.file
    assert not list((settings.MEDIA_ROOT / "packages").rglob("*.pdf"))


def test_a_package_holds_the_versions_it_was_asked_with(world, compiler):
    """Inputs accepted or published after the request wait for the next version; the
    package renders the version snapshots it was created with."""
    first = _accepted(world, "Accepted before the request")
    package, _ = packages.request_compile(world.reviews.amr, by=compiler, enqueue=False)
    asked = [v.pk for v in package.input_versions.all()]
    # Before a worker gets to it: another input is accepted, the first is published.
    _accepted(world, "Accepted after the request")
    workflow.set_publication_consent(first, by=world.lead_user, consent=True)
    workflow.publish_input(first, by=world.reviewer)
    done = package_pdf.compile_package(package.pk)
    assert [v.pk for v in done.input_versions.all()] == asked
    with done.file.open("rb") as stored:
        text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(stored.read())).pages)
    assert "Accepted before the request" in text
    assert "Accepted after the request" not in text
    newer, created = packages.request_compile(world.reviews.amr, by=compiler, enqueue=False)
    assert created and newer.input_versions.count() == 2
