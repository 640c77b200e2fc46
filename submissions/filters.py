import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from .models import ISCM, Region


class ISCMFilter(django_filters.FilterSet):
    """Filters of the ISCM directory; the query string keeps them shareable
    (`?kind=IRF&region=ECLAC`)."""

    kind = django_filters.ChoiceFilter(
        choices=ISCM.Kind.choices,
        label=_("Kind"),
        empty_label=_("All kinds"),
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    region = django_filters.ModelChoiceFilter(
        field_name="regions",
        queryset=Region.objects.all(),
        to_field_name="code",
        label=_("Region"),
        empty_label=_("All regions"),
        widget=forms.Select(attrs={"class": "form-select"}),
    )

    class Meta:
        model = ISCM
        fields = ["kind", "region"]
