"""What an input says, as plain JSON: the shape `InputVersion.snapshot` stores and the
one shape every rendering reads (preview, review page, PDF). Rendering the live draft
goes through the same snapshot, so the preview is exactly what reviewers will see.

A snapshot records titles as they were (section, objective, ISCM names), so an old
version still reads the same after reference data is edited: in English under the
field's name and in every language it has under `<field>_i18n`
(`submissions.languages.label` picks the page's language and marks a fallback).
"""

from itertools import groupby

from django.db.models import Prefetch

from .languages import source_text, texts
from .models import Attachment, RoundTable, WrittenInput

SCHEMA = 1


def content_queryset():
    """Inputs with everything a snapshot reads, in a fixed number of queries."""
    return WrittenInput.objects.select_related("cycle__outline", "lead_iscm").prefetch_related(
        "partner_iscms__regions",
        "lead_iscm__regions",
        "target_reviews__region",
        "target_reviews__cycle",
        "section_responses",
        "objective_responses__objective",
        "principles",
        "formats",
        "priorities",
        "challenges",
        Prefetch("attachments", queryset=Attachment.objects.current()),
        "cycle__outline__sections",
    )


def _text(obj, field: str) -> dict:
    """A translated reference field: English under its name, all languages beside."""
    return {field: source_text(obj, field), f"{field}_i18n": texts(obj, field)}


def iscm_entry(iscm) -> dict:
    return {
        "slug": iscm.slug,
        "acronym": iscm.acronym,
        **_text(iscm, "name"),
        "original_language": iscm.original_language,
        "kind": iscm.kind,
    }


def target_entry(review) -> dict:
    return {
        "region": review.region.code,
        "region_name": source_text(review.region, "name"),
        "region_name_i18n": texts(review.region, "name"),
        **_text(review.region, "commission"),
        "deadline": review.deadline.isoformat() if review.deadline else None,
    }


def objective_entry(objective, response) -> dict:
    """An objective with what the input says of it (`response`: progress, practices
    and challenges, an ObjectiveResponse or a dict)."""
    read = response.get if isinstance(response, dict) else lambda name: getattr(response, name)
    return {
        "number": objective.number,
        **_text(objective, "short_title"),
        **_text(objective, "title"),
        "round_table": objective.round_table,
        "progress": read("progress"),
        "practices": read("practices"),
        "challenges": read("challenges"),
    }


def principle_entry(principle) -> dict:
    return {"letter": principle.letter, **_text(principle, "title")}


def name_entry(row) -> dict:
    """A format, priority or challenge."""
    return _text(row, "name")


def take_snapshot(written_input: WrittenInput) -> dict:
    """Everything the input says now. Load the input through `content_queryset()`."""
    bodies = {r.section_id: r.body for r in written_input.section_responses.all()}
    return {
        "schema": SCHEMA,
        "title": written_input.title,
        "language": written_input.language,
        "direction": written_input.direction,
        "basis": written_input.basis,
        "cycle": {
            "slug": written_input.cycle.slug,
            **_text(written_input.cycle, "name"),
            "years": written_input.cycle.years,
        },
        "lead": iscm_entry(written_input.lead_iscm),
        "partners": [iscm_entry(i) for i in written_input.partner_iscms.all()],
        "targets": [
            target_entry(review)
            for review in sorted(written_input.target_reviews.all(), key=lambda r: r.region.code)
        ],
        "sections": [
            {
                "number": section.number,
                "key": section.key,
                **_text(section, "title"),
                "kind": section.kind,
                "required": section.required,
                "word_limit": section.word_limit,
                "body": bodies.get(section.pk, ""),
            }
            for section in written_input.cycle.outline.sections.all()
        ],
        "objectives": [
            objective_entry(r.objective, r)
            for r in sorted(
                written_input.objective_responses.all(), key=lambda r: r.objective.number
            )
        ],
        "principles": [principle_entry(p) for p in written_input.principles.all()],
        # Lists of names, kept as before for readers of older snapshots; the entries
        # below carry each name in every language.
        "formats": [source_text(f, "name") for f in written_input.formats.all()],
        "priorities": [source_text(p, "name") for p in written_input.priorities.all()],
        "challenges": [source_text(c, "name") for c in written_input.challenges.all()],
        "format_entries": [name_entry(f) for f in written_input.formats.all()],
        "priority_entries": [name_entry(p) for p in written_input.priorities.all()],
        "challenge_entries": [name_entry(c) for c in written_input.challenges.all()],
        "attachments": [
            {
                # The id and the stored name keep a version tied to its exact file,
                # which removing the attachment from a later draft never deletes.
                "id": a.pk,
                "file": a.file.name,
                "title": a.title,
                "display_name": a.display_name,
                "content_type": a.content_type,
                "size": a.size,
                "sha256": a.sha256,
            }
            for a in written_input.attachments.all()
        ],
    }


def objectives_by_round_table(objectives: list[dict]) -> list[tuple[RoundTable, list[dict]]]:
    """The objectives of a snapshot grouped under the four round tables, in order."""
    ordered = sorted(objectives, key=lambda o: (o["round_table"], o["number"]))
    return [
        (RoundTable(table), list(items))
        for table, items in groupby(ordered, key=lambda o: o["round_table"])
    ]
