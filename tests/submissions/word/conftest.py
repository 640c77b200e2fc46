"""What the Word round-trip tests share: the texts of a fully filled input (in the
form the import writes them back, so export → import must give them back character for
character), the fixtures that save them, and helpers that upload a file, post the
preview and apply it. Every Word file is made with python-docx (tests/word_files.py)."""

import io

import docx
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from submissions import editing
from submissions.models import Challenge, ContributionFormat, GuidingPrinciple, Priority
from submissions.word import writer

from ...factories import GCMObjectiveFactory

# Texts in the form the import writes them back (canonical Markdown of the subset), so
# export → import must give them back character for character.
INTRO = (
    "We met **twice**, in *March* and ***May***, and agreed on this text.\n"
    "A second line of the same paragraph.\n\n"
    "- first point\n"
    "    - a nested point with **bold**\n"
    "        1. deeper, numbered\n"
    "- second point, see [the report](https://example.org/report%20one)\n\n"
    "1. one\n"
    "2. two\n\n"
    "Literal marks stay as typed: 5 \\* 3, \\_under\\_ and file_name, [1] and\n"
    "2020\\. done, \\[a link](https://example.org) that is not one."
)
PRINCIPLES_TEXT = "The work is *people-centred* and grounded in human rights."
RECOMMENDATIONS = "1. Strengthen data exchange.\n2. Hold a joint session.\n\nThat is all."
OBJECTIVE_TEXTS = {
    1: {"progress": "Progress on **one**.", "practices": "", "challenges": "Hard."},
    2: {"progress": "", "practices": "- a practice\n- another", "challenges": ""},
    3: {"progress": "Three.", "practices": "Shared.", "challenges": "Some *challenges*."},
    4: {"progress": "", "practices": "", "challenges": ""},  # ticked, nothing written yet
    5: {"progress": "Five\nin two lines.", "practices": "", "challenges": ""},
}


def upload(data: bytes, name="filled.docx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def blank_template(world) -> bytes:
    return writer.outline_template(world.cycle)


def body_paragraphs(data: bytes) -> list[tuple[str, str]]:
    """(style name, text) of every body paragraph, check boxes included."""
    document = docx.Document(io.BytesIO(data))
    return [
        (paragraph.style.name, paragraph._p.xpath("string(.)"))
        for paragraph in document.paragraphs
    ]


@pytest.fixture
def five_objectives(world):
    return world.objectives + [GCMObjectiveFactory(number=n) for n in (4, 5)]


@pytest.fixture
def full_input(world, joint_input, five_objectives):
    """The joint draft with every kind of section, five objectives and every list."""
    editing.save_content(
        joint_input,
        editing.ContentChanges(
            sections={
                world.sections.intro.pk: INTRO,
                world.sections.principles.pk: PRINCIPLES_TEXT,
                world.sections.recommendations.pk: RECOMMENDATIONS,
            },
            objectives={o.pk: OBJECTIVE_TEXTS[o.number] for o in five_objectives},
            principles=list(GuidingPrinciple.objects.all()),
            formats=list(ContributionFormat.objects.all()),
            priorities=list(Priority.objects.all()),
            challenges=list(Challenge.objects.all()),
        ),
        by=world.lead_user,
        expected_version=joint_input.version,
    )
    joint_input.refresh_from_db()
    return joint_input


def new_draft(world, title="Empty draft", language="en"):
    return editing.create_input(
        by=world.lead_user,
        cycle=world.cycle,
        lead_iscm=world.lead,
        partners=[world.partner],
        targets=[world.reviews.amr],
        title=title,
        language=language,
        basis="written_input",
    )


def content_of(snapshot: dict) -> dict:
    """What an input says, without who, when and which version."""
    return {
        "sections": {s["number"]: s["body"] for s in snapshot["sections"]},
        "objectives": {
            o["number"]: (o["progress"], o["practices"], o["challenges"])
            for o in snapshot["objectives"]
        },
        "lists": [
            sorted(p["letter"] for p in snapshot["principles"]),
            sorted(snapshot["formats"]),
            sorted(snapshot["priorities"]),
            sorted(snapshot["challenges"]),
        ],
    }


def post_preview(client, written_input, data: bytes, name="filled.docx"):
    return client.post(
        reverse("submissions:input-import", args=[written_input.pk]),
        {"file": upload(data, name)},
    )


def post_apply(client, written_input, preview, replace=()):
    return client.post(
        reverse("submissions:input-import-apply", args=[written_input.pk]),
        {
            "payload": preview.context["payload"],
            "version": preview.context["version"],
            "replace": list(replace),
        },
    )
