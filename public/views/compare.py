"""Compare across cycles, for anyone: what an ISCM published on one GCM objective or one
part of the outline in each review cycle, side by side, and the word-level changes
between two cycles. Published inputs only (`browse.public_inputs`), each read at the
version made public; the logic is `submissions.crosscycle`."""

from django.http import Http404
from django.shortcuts import get_object_or_404, render

from submissions import crosscycle, crosscycle_subjects
from submissions.models import ISCM, GCMObjective

from .. import browse


def _compare(request, iscm, *, kind, key, subject):
    comparison = crosscycle.compare_across_cycles(
        browse.public_inputs(),
        iscm=iscm,
        kind=kind,
        key=key,
        source=crosscycle.Source.PUBLISHED,
        from_slug=request.GET.get("from", ""),
        to_slug=request.GET.get("to", ""),
    )
    return render(
        request,
        "public/compare.html",
        {"iscm": iscm, "kind": kind, "subject": subject, "comparison": comparison},
    )


def iscm_objective(request, slug, number):
    iscm = get_object_or_404(ISCM, slug=slug)
    objective = get_object_or_404(GCMObjective, number=number)
    return _compare(
        request, iscm, kind=crosscycle.OBJECTIVE, key=objective.number, subject=objective
    )


def iscm_section(request, slug, key):
    iscm = get_object_or_404(ISCM, slug=slug)
    section = crosscycle_subjects.section_for_key(key)
    if section is None:
        raise Http404("No section of text has this key")
    return _compare(request, iscm, kind=crosscycle.SECTION, key=section.key, subject=section)
