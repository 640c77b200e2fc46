"""Comparing two submitted versions of an input: shared by the secretariat's pages and
the reviewers' (each checks access before calling)."""

from django.http import Http404
from django.shortcuts import render

from ..diffs import diff_snapshots
from ..models import InputVersion


def render_version_diff(request, written_input, template):
    """Word-level differences between two versions (`?from=N&to=M`; by default the
    latest version against the one before it)."""
    numbers = sorted(
        InputVersion.objects.filter(input=written_input).values_list("number", flat=True)
    )
    if len(numbers) < 2:
        raise Http404("Only one version")
    try:
        new = int(request.GET.get("to") or numbers[-1])
        old = int(request.GET.get("from") or max([n for n in numbers if n < new], default=0))
    except (TypeError, ValueError):
        raise Http404("Bad version numbers") from None
    if old not in numbers or new not in numbers or old >= new:
        raise Http404("No such pair of versions")
    # Only the two snapshots compared are loaded.
    versions = {
        v.number: v
        for v in InputVersion.objects.filter(input=written_input, number__in=[old, new])
    }
    return render(
        request,
        template,
        {
            "input": written_input,
            "old": versions[old],
            "new": versions[new],
            "numbers": numbers,
            "blocks": diff_snapshots(versions[old].snapshot, versions[new].snapshot),
            "language": versions[new].snapshot["language"],
            "direction": versions[new].snapshot["direction"],
        },
    )
