# The written-input world (one round, AMR/EUR/AFR reviews, LEAD/PART/OTHER ISCMs and
# their personas) serves the reviewer tests too.
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from reviews import editions, package_pdf, packages
from submissions import editing, workflow
from submissions.roles import sync_role_groups

from ..factories import ReviewerAssignmentFactory, UserFactory
from ..submissions.conftest import (  # noqa: F401 (fixtures)
    fill,
    joint_input,
    make_input,
    ready_input,
    submitted_input,
    world,
)


@pytest.fixture
def compiler(world):  # noqa: F811 (the world fixture imported above)
    """Compiler for the AMR region of the `world`."""
    user = ReviewerAssignmentFactory(
        region=world.regions.amr, role="compiler", user=UserFactory(full_name="Cora Compiler")
    ).user
    sync_role_groups(user)
    return user


def decide(client, written_input, action, **data):
    """POST a decision the way its confirmation page does: with the version shown and,
    for a reviewer of several target reviews, the reviews it ticks (all of them)."""
    written_input.refresh_from_db()
    url = reverse("reviews:decide", args=[written_input.pk, action])
    page = client.get(url)
    form = page.context["form"] if page.status_code == 200 else None
    if form is not None and "reviews" in form.fields and "reviews" not in data:
        data["reviews"] = form.initial["reviews"]
    return client.post(url, {"version": written_input.version, **data})


MARK = "For the regional review, not for publication"


def pdf_pages(data: bytes) -> list[str]:
    reader = PdfReader(io.BytesIO(data))
    return [" ".join(page.extract_text().split()) for page in reader.pages]


def bookmark_titles(data: bytes) -> list[str]:
    """The titles of a PDF's bookmarks (its outline), depth first."""
    titles = []

    def walk(outline):
        for item in outline:
            if isinstance(item, list):
                walk(item)
            else:
                titles.append(item.title)

    walk(PdfReader(io.BytesIO(data)).outline)
    return titles


def placed_text(page) -> list[tuple[float, float, str]]:
    """(x, y, text) of each piece of text drawn on a pypdf page, in points from the
    bottom left corner: where the layout put it (the start of a right-aligned heading
    sits near the right margin)."""
    pieces = []

    def visit(text, cm, tm, _font, _size):
        if text.strip():
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            pieces.append((x, y, text.strip()))

    page.extract_text(visitor_text=visit)
    return pieces


def margin_text(page, where: str) -> str:
    """The text in the top or bottom page margin (running header, page X of Y)."""
    height = float(page.mediabox.height)
    pieces = [
        text
        for _x, y, text in placed_text(page)
        if (y > height - 60 if where == "top" else y < 60)
    ]
    return " ".join(pieces)


def read_stored(field) -> bytes:
    with field.open("rb") as stored:
        return stored.read()


def body_bytes(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.fixture
def review_world(world, compiler, django_capture_on_commit_callbacks):  # noqa: F811
    """AMR: one input accepted without consent, one published (with consent); the
    package compiled and its public edition published."""
    private = submitted_input(world, "Accepted without consent")
    workflow.accept_input(private, by=world.reviewer)
    public = submitted_input(world, "Published with consent")
    workflow.accept_input(public, by=world.reviewer)
    workflow.set_publication_consent(public, by=world.lead_user, consent=True)
    workflow.publish_input(public, by=world.reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        package, _created = packages.request_compile(world.reviews.amr, by=compiler)
    package.refresh_from_db()
    assert package.status == "done", package.error
    editions.set_published(package, publish=True)
    package.refresh_from_db()
    return package, private, public


# What the secretariats typed, per language of their input (title, text).
TYPED = {
    # Ending on the lam-alef maksura ligature, which some Arabic fonts write apart at the
    # end of a line, so that extraction moves it (static/css/print.css).
    "ar": ("مساهمة المسار العربي", "توسعت مسارات الهجرة النظامية في المنطقة للمرة الأولى"),
    "zh": ("巴厘进程的意见", "该地区的正规移民渠道有所扩大"),
    "en": ("English input", "Joint work on regular pathways continued"),
    "ru": ("Вклад Будапештского процесса", "Сотрудничество в области регулярной миграции"),
}


def accepted_typed(world, language, title=None):  # noqa: F811 (the fixture imported above)
    """An input in `language` with its TYPED title (or `title`) and text, accepted by
    the AMR review."""
    typed_title, text = TYPED[language]
    written_input = editing.create_input(
        by=world.lead_user,
        cycle=world.cycle,
        lead_iscm=world.lead,
        partners=[],
        targets=[world.reviews.amr],
        title=title or typed_title,
        language=language,
        basis="written_input",
    )
    fill(written_input, world, intro=text)
    workflow.submit_input(written_input, by=world.lead_user, today=timezone.localdate())
    workflow.accept_input(written_input, by=world.reviewer)
    return written_input


def compiled_package(world, compiler, language="en"):  # noqa: F811
    """The AMR review's package in `language`, compiled now."""
    package, created = packages.request_compile(
        world.reviews.amr, language=language, by=compiler, enqueue=False
    )
    assert created
    package = package_pdf.compile_package(package.pk)
    assert package.status == "done", package.error
    return package
