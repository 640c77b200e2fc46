"""Pages anyone may read, signed in or not."""

from itertools import groupby

from django.shortcuts import get_object_or_404, render

from ..filters import ISCMFilter
from ..models import ISCM, GCMObjective, RoundTable


def iscm_list(request):
    filterset = ISCMFilter(request.GET, queryset=ISCM.objects.prefetch_related("regions"))
    return render(
        request,
        "submissions/iscm_list.html",
        {"filter": filterset, "iscms": filterset.qs, "total": ISCM.objects.count()},
    )


def iscm_detail(request, slug):
    iscm = get_object_or_404(ISCM.objects.prefetch_related("regions"), slug=slug)
    return render(request, "submissions/iscm_detail.html", {"iscm": iscm})


def _by_round_table(objectives):
    """[(RoundTable, [objective, …]), …] in round-table order."""
    ordered = sorted(objectives, key=lambda o: (o.round_table, o.number))
    return [
        (RoundTable(number), list(group))
        for number, group in groupby(ordered, key=lambda o: o.round_table)
    ]


def objective_list(request):
    objectives = GCMObjective.objects.all()
    return render(
        request,
        "submissions/objective_list.html",
        {"round_tables": _by_round_table(objectives), "total": len(objectives)},
    )


def objective_detail(request, number):
    objective = get_object_or_404(GCMObjective, number=number)
    neighbours = {
        o.number: o for o in GCMObjective.objects.filter(number__in=[number - 1, number + 1])
    }
    return render(
        request,
        "submissions/objective_detail.html",
        {
            "objective": objective,
            "round_table": RoundTable(objective.round_table),
            "previous": neighbours.get(number - 1),
            "next": neighbours.get(number + 1),
        },
    )
