"""Compare across cycles, for an ISCM's secretariat: what its inputs say on one GCM
objective or one part of the outline in each cycle, drafts included (the text as it is
now), and the changes between two cycles. Only the ISCMs the person is on the
secretariat of: any other is a 404. The logic is `submissions.crosscycle`."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render

from .. import crosscycle, crosscycle_subjects
from ..models import ISCM, GCMObjective, Membership, WrittenInput

SOURCE = crosscycle.Source.CURRENT


def _own_iscm(request, slug) -> ISCM:
    """The ISCM if the person is on its secretariat; 404 otherwise."""
    return get_object_or_404(ISCM.objects.filter(memberships__user=request.user), slug=slug)


def _inputs(request):
    return WrittenInput.objects.for_secretariat(request.user)


@login_required
def input_compare(request, pk):
    """From an input's page: the compare pages of its ISCM (the lead's, or the partner's
    whose secretariat the person is on)."""
    written_input = get_object_or_404(
        _inputs(request).select_related("lead_iscm").prefetch_related("partner_iscms"), pk=pk
    )
    mine = set(Membership.objects.filter(user=request.user).values_list("iscm", flat=True))
    iscm = next(i for i in written_input.participating_iscms() if i.pk in mine)
    return redirect("submissions:compare", slug=iscm.slug)


@login_required
def iscm_compare(request, slug):
    iscm = _own_iscm(request, slug)
    subjects = crosscycle_subjects.subjects_reported(_inputs(request), iscm=iscm, source=SOURCE)
    return render(request, "submissions/compare_index.html", {"iscm": iscm, "subjects": subjects})


def _compare(request, iscm, *, kind, key, subject):
    comparison = crosscycle.compare_across_cycles(
        _inputs(request),
        iscm=iscm,
        kind=kind,
        key=key,
        source=SOURCE,
        from_slug=request.GET.get("from", ""),
        to_slug=request.GET.get("to", ""),
    )
    return render(
        request,
        "submissions/compare.html",
        {"iscm": iscm, "kind": kind, "subject": subject, "comparison": comparison},
    )


@login_required
def iscm_compare_objective(request, slug, number):
    iscm = _own_iscm(request, slug)
    objective = get_object_or_404(GCMObjective, number=number)
    return _compare(
        request, iscm, kind=crosscycle.OBJECTIVE, key=objective.number, subject=objective
    )


@login_required
def iscm_compare_section(request, slug, key):
    iscm = _own_iscm(request, slug)
    section = crosscycle_subjects.section_for_key(key)
    if section is None:
        raise Http404("No section of text has this key")
    return _compare(request, iscm, kind=crosscycle.SECTION, key=section.key, subject=section)
