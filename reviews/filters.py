import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from submissions.models import ISCM, Region, ReviewCycle, Status, WrittenInput

SELECT = forms.Select(attrs={"class": "form-select"})


class QueueFilter(django_filters.FilterSet):
    """Filters of the reviewer queue; kept in the query string so a view can be shared."""

    status = django_filters.ChoiceFilter(
        choices=Status.choices, label=_("Status"), empty_label=_("Any status"), widget=SELECT
    )
    region = django_filters.ModelChoiceFilter(
        field_name="target_reviews__region",
        queryset=Region.objects.all(),
        to_field_name="code",
        label=_("Region"),
        empty_label=_("All my regions"),
        widget=SELECT,
        distinct=True,
    )
    cycle = django_filters.ModelChoiceFilter(
        queryset=ReviewCycle.objects.all(),
        to_field_name="slug",
        label=_("Round"),
        empty_label=_("All rounds"),
        widget=SELECT,
    )
    iscm = django_filters.ModelChoiceFilter(
        queryset=ISCM.objects.all(),
        to_field_name="slug",
        label=_("ISCM (lead or partner)"),
        empty_label=_("All ISCMs"),
        method="filter_iscm",
        widget=SELECT,
    )
    joint = django_filters.ChoiceFilter(
        choices=[("yes", _("Joint inputs")), ("no", _("Direct inputs"))],
        label=_("Joint or direct"),
        empty_label=_("Both"),
        method="filter_joint",
        widget=SELECT,
    )

    class Meta:
        model = WrittenInput
        fields = ["status", "region", "cycle", "iscm", "joint"]

    def __init__(self, *args, regions=None, **kwargs):
        super().__init__(*args, **kwargs)
        if regions is not None:
            self.filters["region"].queryset = regions

    def filter_iscm(self, queryset, name, iscm):
        partner_links = WrittenInput.partner_iscms.through.objects.filter(iscm=iscm)
        return queryset.filter(Q(lead_iscm=iscm) | Q(pk__in=partner_links.values("writteninput")))

    def filter_joint(self, queryset, name, value):
        joint = WrittenInput.partner_iscms.through.objects.values("writteninput")
        if value == "yes":
            return queryset.filter(pk__in=joint)
        return queryset.exclude(pk__in=joint)
