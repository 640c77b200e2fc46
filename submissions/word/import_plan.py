"""The import's preview and confirmation: `plan_import` compares what `read_word_file`
read with the draft as it is now (what is new, the same, or in conflict), and
`apply_import` saves the fields the person chose as one `editing.save_content` with the
version the preview was made from, so a stale import is refused like any stale edit.
Nothing already in the draft is overwritten, and no tick removed, unless the person
ticks "Replace" for that field.

The file is never stored: the preview carries what was read, signed for the input
(`sign_content`, `load_content`; one day)."""

from dataclasses import dataclass, field

from django.core import signing
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .. import editing
from ..models import (
    Challenge,
    ContributionFormat,
    GCMObjective,
    GuidingPrinciple,
    OutlineSection,
    Priority,
)
from ..validators import limit_text_size
from .common import list_headings

# How long a preview can be applied (the file is not kept; the preview carries what it
# read, signed).
IMPORT_PREVIEW_MAX_AGE = 24 * 60 * 60
# The module this came from, kept so that a preview signed before the move still applies.
_SIGNING_SALT = "submissions.wordfiles.import"


@dataclass
class ImportField:
    """One field the file fills, compared with the draft."""

    key: str
    label: str
    kind: str  # "text", "list" or "tick"
    status: str  # "new", "conflict" or "same"
    imported: str = ""
    current: str = ""
    added: list[str] = field(default_factory=list)  # list items the file adds
    kept: list[str] = field(default_factory=list)  # ticked in the draft, not in the file


@dataclass
class ImportPlan:
    fields: list[ImportField]
    unmatched: list[str]
    not_in_file: list[str]
    too_long: list[str]
    warnings: list[str]

    @property
    def changes(self) -> list[ImportField]:
        return [f for f in self.fields if f.status != "same"]

    @property
    def conflicts(self) -> list[ImportField]:
        return [f for f in self.fields if f.status == "conflict"]

    @property
    def same_count(self) -> int:
        return sum(1 for f in self.fields if f.status == "same")


def _list_models():
    return {
        "principles": (GuidingPrinciple, "letter"),
        "formats": (ContributionFormat, "slug"),
        "priorities": (Priority, "slug"),
        "challenges": (Challenge, "slug"),
    }


def _text_field(key, label, imported, current) -> ImportField:
    current = (current or "").replace("\r\n", "\n")
    if imported.strip() == current.strip():
        status = "same"
    elif current.strip():
        status = "conflict"
    else:
        status = "new"
    return ImportField(key, label, "text", status, imported=imported, current=current)


def plan_import(written_input, content: dict) -> ImportPlan:
    """What importing `content` (from read_word_file) would change in the draft as it is
    now. Load the input through snapshots.content_queryset(); reads the objectives and
    the four lists (5 queries)."""
    sections = list(written_input.cycle.outline.sections.all())
    bodies = {r.section_id: r.body for r in written_input.section_responses.all()}
    responses = {r.objective.number: r for r in written_input.objective_responses.all()}
    objectives = {o.number: o for o in GCMObjective.objects.all()}
    imported_sections = content.get("sections", {})
    imported_objectives = content.get("objectives", {})
    imported_lists = content.get("lists", {})
    too_long_keys = set(content.get("too_long", []))
    fields: list[ImportField] = []
    too_long: list[str] = []

    def check_size(key, label, text) -> bool:
        if key in too_long_keys:
            too_long.append(_("%(field)s: the text is too long to import.") % {"field": label})
            return False
        try:
            limit_text_size(text)
        except ValidationError as error:
            too_long.append(f"{label}: {' '.join(error.messages)}")
            return False
        return True

    for section in sections:
        heading = f"{section.number}. {section.title}"
        if section.kind == OutlineSection.Kind.OBJECTIVES:
            for number_text, row in sorted(
                imported_objectives.items(), key=lambda item: int(item[0])
            ):
                number = int(number_text)
                objective = objectives.get(number)
                if objective is None:
                    continue
                response = responses.get(number)
                name = _("Objective %(number)s: %(title)s") % {
                    "number": number,
                    "title": objective.title,
                }
                parts = []
                for part, part_label in (
                    ("progress", _("Progress at the regional level")),
                    ("practices", _("Practices worth sharing")),
                    ("challenges", _("Challenges")),
                ):
                    text = row.get(part, "")
                    key = f"objective-{number}-{part}"
                    if not text.strip() and key not in too_long_keys:
                        continue
                    label = f"{name} — {part_label}"
                    if check_size(key, label, text):
                        parts.append(
                            _text_field(
                                key, label, text, getattr(response, part) if response else ""
                            )
                        )
                if parts:
                    fields.extend(parts)
                elif response is None and row.get("ticked"):
                    fields.append(ImportField(f"objective-{number}", name, "tick", "new"))
            continue
        if section.kind == OutlineSection.Kind.PRINCIPLES and "principles" in imported_lists:
            fields.append(
                _list_field(
                    "principles",
                    _("Guiding principles"),
                    imported_lists["principles"],
                    written_input.principles.all(),
                )
            )
        text = imported_sections.get(str(section.number), "")
        key = f"section-{section.number}"
        if (text.strip() or key in too_long_keys) and check_size(key, heading, text):
            fields.append(_text_field(key, heading, text, bodies.get(section.pk, "")))

    for name, label in list_headings().items():
        if name in imported_lists:
            fields.append(
                _list_field(name, label, imported_lists[name], getattr(written_input, name).all())
            )

    fields = [f for f in fields if f is not None]
    found = set(content.get("found", []))
    warnings = []
    if content.get("other_outline"):
        warnings.append(
            _(
                "This file was made from the template of another outline (“%(outline)s”); "
                "its headings were matched to this draft's outline by number and title."
            )
            % {"outline": content["other_outline"]}
        )
    return ImportPlan(
        fields=fields,
        unmatched=list(content.get("unmatched", [])),
        not_in_file=[f"{s.number}. {s.title}" for s in sections if s.number not in found],
        too_long=too_long,
        warnings=warnings,
    )


def _list_field(name, label, imported_keys, current_items) -> ImportField | None:
    model, attribute = _list_models()[name]
    all_items = {getattr(item, attribute): str(item) for item in model.objects.all()}
    current = {getattr(item, attribute): str(item) for item in current_items}
    imported = [key for key in imported_keys if key in all_items]
    if not imported and not current:
        return None  # nothing ticked on either side: nothing to say
    added = [all_items[k] for k in imported if k not in current]
    kept = [current[k] for k in current if k not in imported]
    status = "conflict" if kept else ("new" if added else "same")
    return ImportField(
        f"list-{name}",
        label,
        "list",
        status,
        imported=", ".join(all_items[k] for k in imported) or "—",
        current=", ".join(current.values()) or "—",
        added=added,
        kept=kept,
    )


def apply_import(
    written_input, content: dict, *, replace: set[str], by, expected_version: int
) -> tuple[int | None, int]:
    """Save what the preview showed as one content change: new fields are filled; a
    field that already has other text (or ticks the file leaves unticked) changes only
    when its key is in `replace`. Returns (the new version, or None when nothing
    changes; the number of fields changed).

    Side effects: one `editing.save_content` with `expected_version` (the version the
    preview was made from), which raises StaleEdit if anyone saved since and EditRefused
    if the input left the editable states. Never removes an objective or a text."""
    plan = plan_import(written_input, content)
    sections = {s.number: s for s in written_input.cycle.outline.sections.all()}
    objective_ids = dict(GCMObjective.objects.values_list("number", "pk"))
    changes = editing.ContentChanges(sections={}, objectives={})
    lists = content.get("lists", {})
    count = 0
    for item in plan.fields:
        chosen = item.key in replace
        # A conflict left alone changes nothing, except that a list still gets the
        # file's ticks added.
        adds_ticks = item.kind == "list" and bool(item.added)
        if item.status == "same" or (item.status == "conflict" and not chosen and not adds_ticks):
            continue
        count += 1
        kind, _sep, rest = item.key.partition("-")
        if kind == "section":
            changes.sections[sections[int(rest)].pk] = item.imported
        elif kind == "objective":
            number, _sep, part = rest.partition("-")
            texts = changes.objectives.setdefault(objective_ids[int(number)], {})
            if part:
                texts[part] = item.imported
        elif kind == "list":
            model, attribute = _list_models()[rest]
            keys = set(lists.get(rest, []))
            if not chosen:  # the draft keeps its ticks; the file's are added
                keys |= {getattr(i, attribute) for i in getattr(written_input, rest).all()}
            setattr(
                changes,
                rest,
                list(model.objects.filter(**{f"{attribute}__in": keys})),
            )
    if not count:
        return None, 0
    version = editing.save_content(
        written_input, changes, by=by, expected_version=expected_version
    )
    return version, count


def sign_content(content: dict, written_input) -> str:
    """The preview's hidden field: what the file said, signed for this input."""
    return signing.dumps(content, salt=f"{_SIGNING_SALT}:{written_input.pk}", compress=True)


class ImportExpired(Exception):
    """The preview's signed content is missing, altered or too old."""


def load_content(value: str, written_input) -> dict:
    try:
        content = signing.loads(
            value or "",
            salt=f"{_SIGNING_SALT}:{written_input.pk}",
            max_age=IMPORT_PREVIEW_MAX_AGE,
        )
    except signing.BadSignature as error:
        raise ImportExpired from error
    if not isinstance(content, dict):
        raise ImportExpired
    return content


def applied_message(count: int, name: str) -> str:
    return ngettext(
        "Imported from “%(name)s”: %(count)s field filled.",
        "Imported from “%(name)s”: %(count)s fields filled.",
        count,
    ) % {"name": name, "count": count}
