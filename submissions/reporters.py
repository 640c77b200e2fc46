"""Who reported on a GCM objective, cycle by cycle: the ISCMs (lead or partner) of the
inputs that report on it, for an objective's public page (from the rows
`subject_tallies` keeps) or over any set of inputs."""

from dataclasses import dataclass

from . import subject_tallies
from .models import ISCM, GCMObjective, InputPartner, ObjectiveResponse, ReviewCycle


@dataclass(frozen=True)
class Reporter:
    slug: str
    acronym: str


def reporters_by_cycle(
    inputs, objective: GCMObjective
) -> list[tuple[ReviewCycle, list[Reporter]]]:
    """Per cycle, newest first, the ISCMs (lead or partner) of the inputs among `inputs`
    that report on `objective`, by acronym. Three queries."""
    reporting = inputs.filter(
        pk__in=ObjectiveResponse.objects.filter(objective=objective).values("input")
    )
    # DISTINCT: a row per cycle and ISCM, however many inputs report.
    pairs = set(
        reporting.values_list("cycle_id", "lead_iscm__slug", "lead_iscm__acronym")
        .order_by()
        .distinct()
    )
    pairs |= set(
        InputPartner.objects.filter(writteninput__in=reporting.values("pk"))
        .values_list("writteninput__cycle_id", "iscm__slug", "iscm__acronym")
        .order_by()
        .distinct()
    )
    return _by_cycle(pairs)


def public_reporters_by_cycle(objective: GCMObjective) -> list[tuple[ReviewCycle, list[Reporter]]]:
    """`reporters_by_cycle` over the published inputs, read from the rows
    `subject_tallies` keeps (no scan of the inputs). Three queries at most."""
    pairs = subject_tallies.reporters(objective.number)
    iscms = {
        pk: (slug, acronym)
        for pk, slug, acronym in ISCM.objects.filter(
            pk__in={iscm_id for _cycle, iscm_id in pairs}
        ).values_list("pk", "slug", "acronym")
    }
    return _by_cycle({(cycle_id, *iscms[iscm_id]) for cycle_id, iscm_id in pairs})


def _by_cycle(pairs) -> list[tuple[ReviewCycle, list[Reporter]]]:
    by_cycle: dict[int, set[Reporter]] = {}
    for cycle_id, slug, acronym in pairs:
        by_cycle.setdefault(cycle_id, set()).add(Reporter(slug, acronym))
    if not by_cycle:
        return []
    cycles = ReviewCycle.objects.filter(pk__in=by_cycle).order_by("-start_year", "-slug")
    return [
        (cycle, sorted(by_cycle[cycle.pk], key=lambda r: r.acronym.casefold())) for cycle in cycles
    ]
