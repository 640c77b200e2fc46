"""Starting an input from the ISCM's input to an earlier cycle ("start from last cycle").

The reviews come back every four years and an ISCM reports on the same objectives each
time, so a secretariat may start its new draft from the text of one of its earlier
inputs: the latest version it submitted (its snapshot, as reviewers read it). Sections
are carried over by their outline key (`OutlineSection.key` stays the same for the same
part of the outline in every cycle; a snapshot taken before keys existed is matched
through its own cycle's outline by section number), objectives by number, principles
by letter, formats, priorities and challenges by their English name. Attachments are
not: a file belongs to the version it was sent with. A section whose key the new
outline no longer has is not lost: the edit page shows it aside, to copy from.

What was carried is remembered on the new input as a digest of each field's text
(`WrittenInput.carried_over`): a field still holding that text has not been reviewed
yet. The edit page marks it, the checklist lists it as a warning — never a block, since
a paragraph that is still true may be submitted as it is.

Only the secretariat of the ISCM that led the earlier input may start from it (the
text is the ISCM's own, so nobody else's consent is needed); a draft never sent and a
withdrawn input are never offered.
"""

import hashlib
import json
from dataclasses import dataclass

from django.db import transaction
from django.db.models import OuterRef, Prefetch, Subquery
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from . import editing
from .languages import direction
from .models import (
    Challenge,
    ContributionFormat,
    GCMObjective,
    GuidingPrinciple,
    InputVersion,
    Membership,
    ObjectiveResponse,
    OutlineSection,
    Priority,
    RegionalReview,
    SectionResponse,
    Status,
    WrittenInput,
)

# Every state that has been sent to IOM and not taken back: the ISCM stood by that text.
CARRIED_FROM = frozenset(Status.values) - {Status.DRAFT, Status.WITHDRAWN}

# The ticked lists carried over: (field of WrittenInput, model, key in the snapshot).
LISTS = (
    ("formats", ContributionFormat, "formats"),
    ("priorities", Priority, "priorities"),
    ("challenges", Challenge, "challenges"),
)
TEXT_KINDS = (OutlineSection.Kind.NARRATIVE, OutlineSection.Kind.PRINCIPLES)


def digest(value) -> str:
    """The digest a carried field is remembered by: of its text with line endings and
    surrounding blanks made even (a browser sends "\\r\\n"; saving a page unchanged must
    not count as reviewing it), or of a list of ids in order."""
    if isinstance(value, str):
        normal = value.replace("\r\n", "\n").replace("\r", "\n").strip()
    else:
        normal = json.dumps(sorted(str(v) for v in value))
    return hashlib.sha256(normal.encode()).hexdigest()


def offered_versions(*, user, cycle):
    """The versions `user` may start an input of `cycle` from: the latest submitted
    version of each input of an earlier cycle led by an ISCM whose secretariat `user` is
    on, unless that input is withdrawn (a draft has no version). A query set: the
    create page lists it and looks the chosen one up in it (anything else is a 404)."""
    earlier = WrittenInput.objects.led_by(user).filter(
        cycle__start_year__lt=cycle.start_year, status__in=CARRIED_FROM
    )
    latest = (
        InputVersion.objects.filter(input=OuterRef("input"))
        .order_by("-number")
        .values("number")[:1]
    )
    return InputVersion.objects.filter(input__in=earlier, number=Subquery(latest))


def previous_inputs(*, user, cycle) -> list[InputVersion]:
    """What the create page offers to start from, newest cycle first, without the
    snapshots: each version with its input, the input's cycle and lead ISCM, and the
    codes of the regions it went to (`regions`). Two queries, however many."""
    versions = list(
        offered_versions(user=user, cycle=cycle)
        .defer("snapshot")
        .select_related("input__cycle", "input__lead_iscm")
        .prefetch_related(
            Prefetch(
                "input__target_reviews",
                queryset=RegionalReview.objects.select_related("region").order_by("region__code"),
                to_attr="targets",
            )
        )
        .order_by("-input__cycle__start_year", "input__lead_iscm__acronym", "input__title")
    )
    for version in versions:
        version.regions = [review.region.code for review in version.input.targets]
    return versions


def describe(iscm: str, regions: list[str], years: str) -> str:
    """ "RCM's input to the ECLAC review, 2024–2025" in the active language."""
    if not regions:
        return _("%(iscm)s's input of %(years)s") % {"iscm": iscm, "years": years}
    return ngettext(
        "%(iscm)s's input to the %(regions)s review, %(years)s",
        "%(iscm)s's input to the %(regions)s reviews, %(years)s",
        len(regions),
    ) % {"iscm": iscm, "regions": ", ".join(regions), "years": years}


def initial_details(version: InputVersion, cycle) -> dict:
    """The create form's first values for an input started from `version`: its lead,
    title, language and basis, and this cycle's reviews of the regions it went to (the
    form offers those that take inputs today). Partners are never pre-ticked: a partner
    reads and edits the draft, so adding one stays a deliberate choice."""
    snapshot = version.snapshot
    regions = [target["region"] for target in snapshot.get("targets", [])]
    return {
        "lead_iscm": version.input.lead_iscm_id,
        "title": snapshot.get("title", ""),
        "language": snapshot.get("language", "en"),
        "basis": snapshot.get("basis", WrittenInput.Basis.WRITTEN_INPUT),
        "target_reviews": list(
            RegionalReview.objects.filter(cycle=cycle, region__code__in=regions).values_list(
                "pk", flat=True
            )
        ),
    }


def start_from(
    version: InputVersion, *, by, cycle, lead_iscm, partners, targets, title, language, basis
) -> WrittenInput:
    """Create a draft of `cycle` holding the text of `version` (an earlier cycle's input).

    Side effects, in one transaction: locks the earlier input's row and refuses
    (EditRefused) unless `by` is on the secretariat of the ISCM that led it, that ISCM
    leads the new input too, its cycle is earlier and it is not withdrawn (the lock
    keeps a withdrawal from slipping in between); creates the draft with its partners
    and targets (`editing.create_input`); copies sections, objectives and the ticked
    lists; records `started_from` and the digests in `carried_over`. No e-mail: a draft
    is nobody else's business yet. The input's history shows where it came from
    (`history.timeline`)."""
    with transaction.atomic():
        source = (
            WrittenInput.objects.select_for_update()
            .select_related("cycle", "lead_iscm")
            .get(pk=version.input_id)
        )
        if not Membership.objects.filter(user=by, iscm=source.lead_iscm).exists():
            raise editing.EditRefused(
                _("You are not on the secretariat of %(iscm)s.") % {"iscm": source.lead_iscm}
            )
        if source.status not in CARRIED_FROM:
            raise editing.EditRefused(
                _("That input is “%(status)s”: a new input cannot start from it.")
                % {"status": source.get_status_display()}
            )
        if lead_iscm != source.lead_iscm:
            raise editing.EditRefused(
                _("An input started from %(iscm)s's input must be led by %(iscm)s.")
                % {"iscm": source.lead_iscm}
            )
        if source.cycle.start_year >= cycle.start_year:
            raise editing.EditRefused(_("Only an input of an earlier cycle can be started from."))
        written_input = editing.create_input(
            by=by,
            cycle=cycle,
            lead_iscm=lead_iscm,
            partners=partners,
            targets=targets,
            title=title,
            language=language,
            basis=basis,
        )
        carried = _copy_content(written_input, version)
        WrittenInput.objects.filter(pk=written_input.pk).update(
            started_from=version, carried_over=carried
        )
        written_input.started_from, written_input.carried_over = version, carried
    return written_input


def _keyed_sections(version: InputVersion) -> list[dict]:
    """The sections of `version`'s snapshot, each with its key: its own, or (a snapshot
    taken before sections had keys) the key of the section with its number in the
    outline of the version's cycle — one query, only then."""
    sections = version.snapshot.get("sections", [])
    if all(entry.get("key") for entry in sections):
        return sections
    keys = dict(
        OutlineSection.objects.filter(outline__cycles__inputs__versions=version).values_list(
            "number", "key"
        )
    )
    return [{**entry, "key": entry.get("key") or keys.get(entry["number"])} for entry in sections]


def _copy_content(written_input: WrittenInput, version: InputVersion) -> dict[str, str]:
    """Copy the texts and lists of `version` into the new (empty) draft; return the
    digests of what was copied, by field key. Only fields with something in them are
    remembered: an empty field has nothing to review. Objectives and principles go
    only where the new outline has a part for them (the form shows nothing else)."""
    snapshot = version.snapshot
    carried = {}
    outline = list(written_input.cycle.outline.sections.all())
    kinds = {section.kind for section in outline}
    new_sections = {section.key: section for section in outline if section.kind in TEXT_KINDS}
    responses = []
    for entry in _keyed_sections(version):
        section = new_sections.get(entry["key"])
        body = entry.get("body") or ""
        if section is None or entry.get("kind") == OutlineSection.Kind.OBJECTIVES:
            continue
        if body.strip():
            responses.append(SectionResponse(input=written_input, section=section, body=body))
            carried[f"section:{section.key}"] = digest(body)
    SectionResponse.objects.bulk_create(responses)

    entries = {}
    if OutlineSection.Kind.OBJECTIVES in kinds:
        entries = {entry["number"]: entry for entry in snapshot.get("objectives", [])}
    objective_responses = []
    for objective in GCMObjective.objects.filter(number__in=entries):
        entry = entries[objective.number]
        texts = {part: entry.get(part) or "" for part in ObjectiveResponse.TEXT_FIELDS}
        objective_responses.append(
            ObjectiveResponse(input=written_input, objective=objective, **texts)
        )
        for part, text in texts.items():
            if text.strip():
                carried[f"objective:{objective.number}:{part}"] = digest(text)
    ObjectiveResponse.objects.bulk_create(objective_responses)

    chosen = {}
    if OutlineSection.Kind.PRINCIPLES in kinds:
        letters = [entry["letter"] for entry in snapshot.get("principles", [])]
        chosen["principles"] = list(GuidingPrinciple.objects.filter(letter__in=letters))
    for name, model, key in LISTS:
        # Names as the snapshot kept them, in English (the source language's column:
        # a plain `name` lookup would read the page's language).
        chosen[name] = list(model.objects.filter(name_en__in=snapshot.get(key, [])))
    for name, items in chosen.items():
        if items:
            getattr(written_input, name).set(items)
            carried[name] = digest([item.pk for item in items])
    return carried


@dataclass(frozen=True)
class CarriedField:
    """A field of the content form still holding the text carried over."""

    key: str  # as in WrittenInput.carried_over: "section:introduction", "formats", …
    label: str  # what the checklist calls it
    anchor: str  # the element of the edit page it is in
    section: OutlineSection | None = None  # a section's text
    objective: int | None = None  # an objective's number, with `part`
    part: str = ""
    list_name: str = ""  # "principles", "formats", "priorities" or "challenges"


def unchanged_fields(written_input: WrittenInput) -> list[CarriedField]:
    """The carried-over fields whose text (or ticks) are still as they were carried,
    in the edit page's order. Load the input through `snapshots.content_queryset()`:
    no further queries."""
    carried = written_input.carried_over or {}
    if not carried:
        return []
    found = []
    bodies = {r.section_id: r.body for r in written_input.section_responses.all()}
    objectives = {r.objective.number: r for r in written_input.objective_responses.all()}
    for section in written_input.cycle.outline.sections.all():
        anchor = f"section-{section.number}"
        if section.kind == OutlineSection.Kind.OBJECTIVES:
            found += _unchanged_objectives(carried, objectives)
            continue
        key = f"section:{section.key}"
        if carried.get(key) == digest(bodies.get(section.pk, "")):
            found.append(
                CarriedField(
                    key,
                    _("Section %(number)s “%(title)s”")
                    % {"number": section.number, "title": section.title},
                    anchor,
                    section=section,
                )
            )
        if section.kind == OutlineSection.Kind.PRINCIPLES:
            found += _unchanged_lists(written_input, carried, ("principles",))
    found += _unchanged_lists(written_input, carried, [name for name, _model, _key in LISTS])
    return found


def _unchanged_objectives(carried, responses) -> list[CarriedField]:
    parts = {
        "progress": _("Progress at the regional level"),
        "practices": _("Practices worth sharing"),
        "challenges": _("Challenges"),
    }
    found = []
    for number in sorted(responses):
        response = responses[number]
        for part in ObjectiveResponse.TEXT_FIELDS:
            key = f"objective:{number}:{part}"
            if carried.get(key) == digest(getattr(response, part)):
                found.append(
                    CarriedField(
                        key,
                        _("Objective %(number)s — %(part)s")
                        % {"number": number, "part": parts[part]},
                        f"objective-{number}",
                        objective=number,
                        part=part,
                    )
                )
    return found


def _unchanged_lists(written_input, carried, names) -> list[CarriedField]:
    labels = {
        "principles": _("Guiding principles"),
        "formats": _("Formats of contribution"),
        "priorities": _("Priorities"),
        "challenges": _("Challenges met"),
    }
    return [
        CarriedField(name, labels[name], f"div_id_{name}", list_name=name)
        for name in names
        if name in carried
        and carried[name] == digest([item.pk for item in getattr(written_input, name).all()])
    ]


@dataclass(frozen=True)
class Source:
    """Where a draft was started from, as its history tells it."""

    version: InputVersion
    iscm: str
    regions: list[str]
    years: str
    by: object  # the person who started the draft

    def __str__(self):
        return _("Started from %(input)s (version %(number)s)") % {
            "input": describe(self.iscm, self.regions, self.years),
            "number": self.version.number,
        }


def source_of(written_input: WrittenInput) -> Source | None:
    """Where `written_input` was started from, and by whom, or None: one query, only
    then. The regions are those the version was sent to, as its snapshot recorded
    them."""
    if not written_input.started_from_id:
        return None
    started = WrittenInput.objects.select_related(
        "created_by", "started_from__input__cycle", "started_from__input__lead_iscm"
    ).get(pk=written_input.pk)
    version = started.started_from
    return Source(
        version=version,
        iscm=version.input.lead_iscm.acronym,
        regions=[target["region"] for target in version.snapshot.get("targets", [])],
        years=version.input.cycle.years,
        by=started.created_by,
    )


def sections_aside(written_input: WrittenInput, *, user) -> list[dict]:
    """The sections of the earlier input that have no place in this cycle's outline
    (their key is gone, or is now the objectives part), with their text, to be shown
    read-only beside the form. Each is the snapshot's entry with its `language` and
    `direction`.

    Only for the secretariat of the ISCM that led the earlier input: a partner ISCM of
    the new draft reads what was carried into it, not the rest of an input it never
    had access to. Needs `started_from__input` loaded (the edit page selects it); one
    query to check the person, one more for a snapshot taken before sections had keys."""
    version = written_input.started_from
    if version is None:
        return []
    if not Membership.objects.filter(user=user, iscm=version.input.lead_iscm_id).exists():
        return []
    snapshot = version.snapshot
    kept = {
        section.key
        for section in written_input.cycle.outline.sections.all()
        if section.kind in TEXT_KINDS
    }
    language = snapshot.get("language", "en")
    text_direction = snapshot.get("direction") or direction(language)
    return [
        {**entry, "language": language, "direction": text_direction}
        for entry in _keyed_sections(version)
        if entry["key"] not in kept
        and entry.get("kind") != OutlineSection.Kind.OBJECTIVES
        and (entry.get("body") or "").strip()
    ]
