"""Regional packages: contents at the accepted versions, one version per change,
background compile with progress, failures that can be retried, compiler-only pages."""

import hashlib
import io
import re
from io import StringIO

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from reviews import package_parts, package_pdf, packages
from reviews.models import RegionalPackage
from submissions import editing, workflow

from ..sample_files import make_pdf
from ..submissions.conftest import fill, submitted_input

pytestmark = pytest.mark.django_db


def _accepted(world, title):
    written_input = submitted_input(world, title)
    workflow.accept_input(written_input, by=world.reviewer)
    return written_input


def _text(package):
    with package.file.open("rb") as stored:
        reader = PdfReader(io.BytesIO(stored.read()))
    return reader, " ".join("".join(p.extract_text() for p in reader.pages).split())


def test_compile_includes_accepted_inputs_at_their_accepted_version(
    world, compiler, django_capture_on_commit_callbacks
):
    accepted = _accepted(world, "Accepted input")
    submitted_input(world, "Still under review")
    with django_capture_on_commit_callbacks(execute=True):
        package, created = packages.request_compile(world.reviews.amr, by=compiler)
    assert created
    package.refresh_from_db()
    assert package.status == "done", package.error
    assert package.number == 1
    assert [v.input_id for v in package.input_versions.all()] == [accepted.pk]
    reader, text = _text(package)
    assert "Inputs by inter-State consultation mechanisms on migration" in text
    assert "Accepted input" in text
    assert "We met twice and agreed on this text." in text
    assert "Still under review" not in text
    assert package.page_count == len(reader.pages) >= 4
    assert len(package.sha256) == 64
    assert reader.metadata.title.startswith("Inputs by inter-State consultation mechanisms")
    assert "Round table" in text  # the coverage matrix groups objectives by round table


def test_nothing_changed_makes_no_new_version_and_a_change_does(
    world, compiler, django_capture_on_commit_callbacks
):
    first = _accepted(world, "First")
    with django_capture_on_commit_callbacks(execute=True):
        package, _ = packages.request_compile(world.reviews.amr, by=compiler)
    again, created = packages.request_compile(world.reviews.amr, by=compiler)
    assert (again.pk, created) == (package.pk, False)

    second = _accepted(world, "Second")
    with django_capture_on_commit_callbacks(execute=True):
        newer, created = packages.request_compile(world.reviews.amr, by=compiler)
    assert created and newer.number == 2
    changes = packages.changes_since_previous(newer)
    assert [v.input_id for v in changes["added"]] == [second.pk]
    assert changes["removed"] == [] and changes["updated"] == []
    assert first.pk in {v.input_id for v in newer.input_versions.all()}


def test_a_failed_compile_records_the_error_and_can_be_retried(
    world, compiler, monkeypatch, django_capture_on_commit_callbacks
):
    _accepted(world, "Input")

    def broken(*args, **kwargs):
        raise RuntimeError("renderer crashed")

    monkeypatch.setattr(package_parts, "render_html_to_pdf", broken)
    with django_capture_on_commit_callbacks(execute=True):
        package, _ = packages.request_compile(world.reviews.amr, by=compiler)
    package.refresh_from_db()
    assert package.status == "failed"
    assert "renderer crashed" in package.error
    assert not package.file

    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        packages.retry_compile(package)
    package.refresh_from_db()
    assert package.status == "done"
    assert package.number == 1


def test_compile_is_claimed_once(world, compiler):
    _accepted(world, "Input")
    package, _ = packages.request_compile(world.reviews.amr, by=compiler, enqueue=False)
    package_pdf.compile_package(package.pk)
    done = RegionalPackage.objects.get(pk=package.pk)
    assert done.status == "done"
    assert package_pdf.compile_package(package.pk).finished_at == done.finished_at  # no re-run


@pytest.mark.parametrize(
    ("persona", "expected", "download"),
    [
        ("compiler", 200, 200),
        # IOM staff of the region and administrators read the review edition; the
        # package pages (compile, publish) are the compilers'.
        ("reviewer", 404, 200),
        ("other_reviewer", 404, 404),
        ("lead_user", 404, 404),
        ("admin", 404, 200),
    ],
)
def test_package_pages_are_for_the_regions_compiler(
    client, world, compiler, persona, expected, download, django_capture_on_commit_callbacks
):
    _accepted(world, "Input")
    with django_capture_on_commit_callbacks(execute=True):
        package, _ = packages.request_compile(world.reviews.amr, by=compiler)
    user = compiler if persona == "compiler" else getattr(world, persona)
    client.force_login(user)
    assert client.get(reverse("reviews:packages")).status_code == expected
    assert client.get(package.get_absolute_url()).status_code == expected
    response = client.get(reverse("reviews:package-download", args=[package.pk]))
    assert response.status_code == download
    if download == 200:
        assert response["Content-Disposition"].startswith("attachment;")
        assert b"".join(response.streaming_content).startswith(b"%PDF-")


def test_compile_button_answers_at_once_and_the_page_follows_progress(
    client, world, compiler, settings
):
    # With the database backend nothing runs in the request: the task waits for a worker.
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    _accepted(world, "Input")
    client.force_login(compiler)
    assert (
        client.get(reverse("reviews:package-compile", args=[world.reviews.amr.pk])).status_code
        == 405
    )
    response = client.post(reverse("reviews:package-compile", args=[world.reviews.amr.pk]))
    package = RegionalPackage.objects.get()
    assert response["Location"] == package.get_absolute_url()
    assert package.status == "queued"
    page = client.get(package.get_absolute_url()).content.decode()
    assert 'data-refresh-seconds="3"' in page and "Check again" in page
    assert "http-equiv" not in page  # a meta refresh reloads under the reader's focus
    assert "Waiting for a worker" in page
    package_pdf.compile_package(package.pk)  # what the worker does
    page = client.get(package.get_absolute_url()).content.decode()
    assert "data-refresh-seconds" not in page
    assert "Download the review edition" in page


def test_publish_only_a_finished_package(client, world, compiler):
    _accepted(world, "Input")
    package, _ = packages.request_compile(world.reviews.amr, by=compiler, enqueue=False)
    client.force_login(compiler)
    url = reverse("reviews:package-publish", args=[package.pk])
    client.post(url, {"publish": "yes"})
    assert not RegionalPackage.objects.get(pk=package.pk).published
    package_pdf.compile_package(package.pk)
    client.post(url, {"publish": "yes"})
    assert RegionalPackage.objects.get(pk=package.pk).published
    client.post(url, {"publish": "no"})
    assert not RegionalPackage.objects.get(pk=package.pk).published


def test_compile_package_command_prints_path_pages_and_seconds(world, tmp_path):
    _accepted(world, "Input")
    target, public = tmp_path / "package.pdf", tmp_path / "public.pdf"
    out = StringIO()
    call_command(
        "compile_package",
        "--cycle",
        world.cycle.slug,
        "--region",
        "amr",
        "--output",
        str(target),
        "--public-output",
        str(public),
        stdout=out,
    )
    text = out.getvalue()
    assert str(target) in text and f"public edition: {public}, " in text
    assert " pages, " in text and " s" in text
    assert target.read_bytes().startswith(b"%PDF-")
    assert public.read_bytes().startswith(b"%PDF-")
    assert public.read_bytes() != target.read_bytes()


def test_package_pages_query_counts_do_not_grow(
    client, world, compiler, count_queries, django_assert_max_num_queries
):
    """Measured from version 2 on (version 1 has no previous version to compare)."""
    client.force_login(compiler)
    newer = None
    for n in range(2):
        _accepted(world, f"Input {n}")
        newer, _ = packages.request_compile(world.reviews.amr, by=compiler, enqueue=False)
        package_pdf.compile_package(newer.pk)
    urls = [reverse("reviews:packages"), newer.get_absolute_url()]
    small = [count_queries(client, url) for url in urls]
    for n in range(2, 7):
        _accepted(world, f"Input {n}")
        newer, _ = packages.request_compile(world.reviews.amr, by=compiler, enqueue=False)
        package_pdf.compile_package(newer.pk)
    urls = [reverse("reviews:packages"), newer.get_absolute_url()]
    assert [count_queries(client, url) for url in urls] == small
    with django_assert_max_num_queries(20):
        client.get(newer.get_absolute_url())


def test_public_packages_list_only_published_ones(client, world, compiler):
    _accepted(world, "Input")
    package, _ = packages.request_compile(world.reviews.amr, by=compiler, enqueue=False)
    package_pdf.compile_package(package.pk)
    download = reverse("public:package-download", args=[package.pk])
    assert package not in client.get(reverse("public:packages")).context["packages"]
    assert client.get(download).status_code == 404

    RegionalPackage.objects.filter(pk=package.pk).update(published=True)
    assert list(client.get(reverse("public:packages")).context["packages"]) == [package]
    response = client.get(download)
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF-")


def test_package_has_bookmarks_for_every_input_and_section(world, compiler):
    _accepted(world, "Bookmarked input")
    package, _ = packages.request_compile(world.reviews.amr, by=compiler, enqueue=False)
    package = package_pdf.compile_package(package.pk)
    reader, _text_unused = _text(package)

    titles = []

    def walk(outline):
        for item in outline:
            if isinstance(item, list):
                walk(item)
            else:
                titles.append(item.title)

    walk(reader.outline)
    assert "Contents" in titles and "Overview" in titles
    assert "Bookmarked input" in titles
    assert "1. Introduction" in titles
    assert reader.trailer["/Root"].get("/Lang") == "en"


def test_three_input_package_joint_arabic_chinese(world, compiler, settings):
    texts = {
        "en": "Joint work on regular pathways continued",
        "ar": "توسعت مسارات الهجرة النظامية في المنطقة",
        "zh": "该地区的正规移民渠道有所扩大",
    }
    made = {}
    for language, text in texts.items():
        written_input = editing.create_input(
            by=world.lead_user,
            cycle=world.cycle,
            lead_iscm=world.lead,
            partners=[world.partner] if language == "en" else [],
            targets=[world.reviews.amr],
            title=f"{language.upper()} {text}",
            language=language,
            basis="written_input",
        )
        fill(written_input, world, intro=text)
        made[language] = written_input
    annex = editing.add_attachment(
        made["en"], SimpleUploadedFile("annex.pdf", make_pdf(2)), title="Annex", by=world.lead_user
    )
    lost = editing.add_attachment(
        made["zh"], SimpleUploadedFile("lost.pdf", make_pdf()), title="Lost", by=world.lead_user
    )
    for written_input in made.values():
        workflow.submit_input(written_input, by=world.lead_user, today=timezone.localdate())
        workflow.accept_input(written_input, by=world.reviewer)
    default_storage.delete(lost.file.name)  # a broken attachment must not fail the package

    package, _ = packages.request_compile(world.reviews.amr, by=compiler, enqueue=False)
    package = package_pdf.compile_package(package.pk)
    assert package.status == "done", package.error
    with package.file.open("rb") as stored:
        data = stored.read()
    assert hashlib.sha256(data).hexdigest() == package.sha256
    reader = PdfReader(io.BytesIO(data))
    pages = [" ".join(page.extract_text().split()) for page in reader.pages]
    assert package.page_count == len(reader.pages)
    for text in texts.values():
        assert any(text in page for page in pages), text
    assert list(reader.attachments) == ["annex.pdf"]  # embedded; the lost one is not
    with annex.file.open("rb") as original:
        assert reader.attachments["annex.pdf"][0] == original.read()
    assert any("could not be read" in page for page in pages)
    assert reader.metadata.author == "International Organization for Migration (IOM)"

    # The contents page's numbers point at the pages where each input starts. (Entries
    # read "LEAD: <title> ... <page>"; an Arabic title extracts in visual order, its
    # leading code last, so the match keys on the code between "LEAD: " and the first
    # number after it.)
    contents = next(page for page in pages if page.startswith("Contents"))
    for language, text in texts.items():
        entry = re.search(rf"LEAD: [^\d]*\b{language.upper()}\b[^\d]*(\d+)", contents)
        number = int(entry.group(1))
        assert text in pages[number - 1], language


@pytest.mark.parametrize("persona", ["reviewer", "lead_user", "admin"])
def test_only_compilers_compile_or_publish(client, world, compiler, persona):
    _accepted(world, "Input")
    package, _ = packages.request_compile(world.reviews.amr, by=compiler, enqueue=False)
    package_pdf.compile_package(package.pk)
    client.force_login(getattr(world, persona))
    compile_url = reverse("reviews:package-compile", args=[world.reviews.amr.pk])
    assert client.post(compile_url).status_code == 404
    publish_url = reverse("reviews:package-publish", args=[package.pk])
    assert client.post(publish_url, {"publish": "yes"}).status_code == 404
    assert not RegionalPackage.objects.get(pk=package.pk).published
    assert RegionalPackage.objects.count() == 1


def test_a_crash_while_storing_never_leaves_a_done_package_on_a_partial_file(
    world, compiler, monkeypatch
):
    """The PDF is complete in memory before it is stored, and the package is marked done
    only after the storage returned: a crash in between leaves it failed (or, for a
    killed worker, running), never done with a half-written file."""
    _accepted(world, "Input")
    package, _ = packages.request_compile(world.reviews.amr, by=compiler, enqueue=False)

    class CrashingStorage:
        def exists(self, name):
            return False

        def save(self, name, content):
            raise OSError("disk full while writing")

    monkeypatch.setattr(package_pdf, "default_storage", CrashingStorage())
    package = package_pdf.compile_package(package.pk)
    assert package.status == "failed"
    assert "disk full" in package.error
    assert not package.file
    assert not RegionalPackage.objects.filter(status="done").exists()


def test_public_packages_query_count_does_not_grow(
    client, world, compiler, count_queries, django_assert_max_num_queries
):
    def publish_new_version(title):
        _accepted(world, title)
        package, _ = packages.request_compile(world.reviews.amr, by=compiler, enqueue=False)
        package_pdf.compile_package(package.pk)
        RegionalPackage.objects.filter(pk=package.pk).update(published=True)

    publish_new_version("First")
    one = count_queries(client, reverse("public:packages"))
    for n in range(4):
        publish_new_version(f"Input {n}")
    with django_assert_max_num_queries(3):
        assert count_queries(client, reverse("public:packages")) == one
