"""Compare across cycles, for reviewers: what an ISCM's inputs to the reviews of their
regions say on one GCM objective or one part of the outline in each cycle (the latest
submitted version of each, never a draft), and the changes between two cycles.

The inputs are those of `WrittenInput.objects.reviewable_by(user)`, the rule of every
reviewer page: an ISCM none of whose inputs the reviewer may review is a 404. The
logic is `submissions.crosscycle`."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, render

from submissions import crosscycle, crosscycle_subjects
from submissions.models import ISCM, GCMObjective, WrittenInput

SOURCE = crosscycle.Source.LATEST


def _iscm_and_inputs(request, slug):
    """The ISCM and the inputs the reviewer may review; 404 when none is the ISCM's."""
    iscm = get_object_or_404(ISCM, slug=slug)
    inputs = WrittenInput.objects.reviewable_by(request.user)
    if not crosscycle.inputs_of(inputs, iscm).exists():
        raise Http404("No input of this ISCM to review")
    return iscm, inputs


@login_required
def iscm_compare(request, slug):
    iscm, inputs = _iscm_and_inputs(request, slug)
    subjects = crosscycle_subjects.subjects_reported(inputs, iscm=iscm, source=SOURCE)
    return render(request, "reviews/compare_index.html", {"iscm": iscm, "subjects": subjects})


def _compare(request, iscm, inputs, *, kind, key, subject):
    comparison = crosscycle.compare_across_cycles(
        inputs,
        iscm=iscm,
        kind=kind,
        key=key,
        source=SOURCE,
        region=crosscycle.reviewer_region(request.user),
        from_slug=request.GET.get("from", ""),
        to_slug=request.GET.get("to", ""),
    )
    return render(
        request,
        "reviews/compare.html",
        {"iscm": iscm, "kind": kind, "subject": subject, "comparison": comparison},
    )


@login_required
def iscm_compare_objective(request, slug, number):
    iscm, inputs = _iscm_and_inputs(request, slug)
    objective = get_object_or_404(GCMObjective, number=number)
    return _compare(
        request, iscm, inputs, kind=crosscycle.OBJECTIVE, key=objective.number, subject=objective
    )


@login_required
def iscm_compare_section(request, slug, key):
    iscm, inputs = _iscm_and_inputs(request, slug)
    section = crosscycle_subjects.section_for_key(key)
    if section is None:
        raise Http404("No section of text has this key")
    return _compare(
        request, iscm, inputs, kind=crosscycle.SECTION, key=section.key, subject=section
    )
