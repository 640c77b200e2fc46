"""What there is to compare across cycles for an ISCM: the GCM objectives and outline
sections its inputs have text on in at least one cycle (the subjects of its compare
pages), and the section a key names. A read, no writes; the texts themselves are
`submissions.crosscycle`'s, whose audiences (`Source`) and rules this module follows.
"""

from dataclasses import dataclass

from django.db.models import F, Max, Q

from . import subject_tallies
from .crosscycle import SENT_AS_IS, Source, inputs_of, versions_read
from .models import ISCM, GCMObjective, ObjectiveResponse, OutlineSection, SectionResponse


@dataclass
class Subjects:
    """The objectives and outline sections an ISCM wrote on in at least one cycle."""

    objectives: list[GCMObjective]
    sections: list[OutlineSection]  # one per key, as the latest cycle's outline has it

    def __bool__(self) -> bool:
        return bool(self.objectives or self.sections)


def _sections_by_key(keys: Q) -> list[OutlineSection]:
    """One section per key that `keys` (a condition on the key) selects, as the outline
    of the latest cycle that has it names it (an outline no cycle uses comes last), in
    its number order. One query."""
    newest = {}
    for section in (
        OutlineSection.objects.filter(keys)
        .exclude(kind=OutlineSection.Kind.OBJECTIVES)
        .annotate(latest=Max("outline__cycles__start_year"))
        .order_by(F("latest").desc(nulls_last=True), "-pk")
    ):
        newest.setdefault(section.key, section)
    return sorted(newest.values(), key=lambda s: (s.number, s.key))


def subjects_reported(inputs, *, iscm: ISCM, source: Source) -> Subjects:
    """What `iscm`'s inputs among `inputs` have text on, read as `source` says: the
    subjects of its compare pages. Two queries; under LATEST up to three more (the
    inputs being revised, their outlines' numbers and their latest versions)."""
    if source is Source.PUBLISHED:  # kept as inputs are published: no scan
        numbers, keys = subject_tallies.subjects_of(iscm.pk)
        return Subjects(
            objectives=list(GCMObjective.objects.filter(number__in=numbers).order_by("number")),
            sections=_sections_by_key(Q(key__in=keys)),
        )
    selection = inputs_of(inputs, iscm)
    numbers, keys = set(), set()
    if source is Source.LATEST:
        # An input SENT_AS_IS says in its tables what its latest version says; the
        # others' (few: being revised) latest versions are read.
        numbers, keys = _subjects_in_versions(selection.exclude(status__in=SENT_AS_IS))
        selection = selection.filter(status__in=SENT_AS_IS)
    # PUBLISHED: a published input's live text is its published version's (see
    # `_to_read`); CURRENT reads the live text.
    ids = selection.values("pk")
    objectives = GCMObjective.objects.filter(
        Q(pk__in=ObjectiveResponse.objects.filter(input__in=ids).values("objective"))
        | Q(number__in=numbers)
    )
    with_body = SectionResponse.objects.filter(input__in=ids).exclude(body="")
    sections = _sections_by_key(Q(key__in=with_body.values("section__key")) | Q(key__in=keys))
    return Subjects(objectives=list(objectives.order_by("number")), sections=sections)


def _subjects_in_versions(selection) -> tuple[set[int], set[str]]:
    rows = list(selection.values_list("pk", "cycle_id"))
    cycle_of = dict(rows)
    # Older snapshots name sections by number alone: their key is the outline's.
    keys_by_number = {
        (cycle, number): key
        for cycle, number, key in OutlineSection.objects.filter(
            outline__cycles__in=set(cycle_of.values())
        ).values_list("outline__cycles", "number", "key")
    }
    numbers, keys = set(), set()
    for version in versions_read(list(cycle_of), Source.LATEST):
        snapshot = version.snapshot
        numbers |= {o["number"] for o in snapshot.get("objectives", [])}
        for section in snapshot.get("sections", []):
            if section["kind"] == OutlineSection.Kind.OBJECTIVES or not section["body"]:
                continue
            key = section.get("key") or keys_by_number.get(
                (cycle_of[version.input_id], section["number"])
            )
            if key:
                keys.add(key)
    return numbers, keys


def section_for_key(key: str) -> OutlineSection | None:
    """The section with `key` as the latest cycle's outline has it (titles the page);
    None when no outline has a section of text with that key."""
    found = _sections_by_key(Q(key=key))
    return found[0] if found else None
