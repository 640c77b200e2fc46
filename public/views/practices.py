"""Practices worth sharing (`public/practices.py`): the list with facets and a text
search, and a practice's page at its stable address. Only published contributions
whose lead ISCM consents appear."""

from functools import partial

from django.conf import settings
from django.shortcuts import render

from .. import practices


def practice_list(request):
    results = practices.browse_practices(request.GET, page_number=request.GET.get("page"))
    return render(
        request,
        "public/practice_list.html",
        {
            "results": results,
            # Called by the template only when its cached facet panel is missing.
            "facets": partial(practices.facets, results),
            "form": results.filterset.form,
            "cache_seconds": settings.PUBLIC_CACHE_SECONDS,
        },
    )


def practice_detail(request, slug, number):
    practice = practices.published_practice(slug, number)
    return render(
        request,
        "public/practice_detail.html",
        {
            "practice": practice,
            "doc": practice.doc,
            "objective": practice.objective,
            "input": practice.input,
            "version": practice.version,
            "elsewhere": practices.in_other_cycles(practice),
            "citation": practices.citation(practice),
        },
    )
