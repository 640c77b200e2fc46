import django_filters
from django import forms
from django.db.models import IntegerField, Q
from django.utils.translation import gettext_lazy as _

from submissions import search
from submissions.models import (
    ISCM,
    ContentLanguage,
    ContributionFormat,
    GCMObjective,
    GuidingPrinciple,
    ObjectiveResponse,
    Region,
    ReviewCycle,
    RoundTable,
    WrittenInput,
)
from submissions.querystrings import LARGEST_NUMBER, parse_id

# The largest value a filter looks up in an integer column (objective numbers): beyond
# it SQLite cannot compare (OverflowError) and no number of ours is that long.
LARGEST_LOOKUP = LARGEST_NUMBER
MAX_VALUE_LENGTH = 100


class _BoundedChoices(django_filters.fields.ModelMultipleChoiceField):
    """Refuses values no row can have before they reach the database: an overlong
    string, or for an integer column anything but a number of ASCII digits in range
    (`querystrings.parse_id`: "²", "①" or a 5,000-digit number were a 500)."""

    def _check_values(self, value):
        model = self.queryset.model
        column = model._meta.get_field(self.to_field_name) if self.to_field_name else None
        numeric = isinstance(column or model._meta.pk, IntegerField)
        for item in value:
            text = str(item)
            usable = len(text) <= MAX_VALUE_LENGTH and (
                not numeric or parse_id(text, largest=LARGEST_LOOKUP) is not None
            )
            if not usable:
                raise forms.ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": text[:MAX_VALUE_LENGTH]},
                )
        return super()._check_values(value)


class BoundedModelMultipleChoiceFilter(django_filters.ModelMultipleChoiceFilter):
    field_class = _BoundedChoices


JOINT, DIRECT = "joint", "direct"
JOINT_CHOICES = [(JOINT, _("Joint inputs")), (DIRECT, _("Direct inputs"))]
NEWEST, RELEVANCE = "newest", "relevance"
SORT_CHOICES = [(NEWEST, _("Newest first")), (RELEVANCE, _("Relevance"))]


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


def _partner_inputs(**iscm_lookup):
    return WrittenInput.partner_iscms.through.objects.filter(**iscm_lookup).values("writteninput")


def _through(relation: str, **lookup):
    return getattr(WrittenInput, relation).through.objects.filter(**lookup).values("writteninput")


class ReferenceFilters(django_filters.FilterSet):
    """The filters the contributions list and the practices list share: by review
    cycle, region, ISCM, GCM objective and guiding principle. Each subclass says how in
    its `filter_<name>` methods (the same value narrows inputs or practices)."""

    cycle = BoundedModelMultipleChoiceFilter(
        queryset=ReviewCycle.objects.all(),
        to_field_name="slug",
        label=_("Review cycle"),
        method="filter_cycle",
    )

    region = BoundedModelMultipleChoiceFilter(
        queryset=Region.objects.all(),
        to_field_name="code",
        label=_("Region"),
        method="filter_region",
    )

    iscm = BoundedModelMultipleChoiceFilter(
        queryset=ISCM.objects.all(), to_field_name="slug", label=_("ISCM"), method="filter_iscm"
    )

    objective = BoundedModelMultipleChoiceFilter(
        queryset=GCMObjective.objects.all(),
        to_field_name="number",
        label=_("GCM objective"),
        method="filter_objective",
    )

    principle = BoundedModelMultipleChoiceFilter(
        queryset=GuidingPrinciple.objects.all(),
        to_field_name="letter",
        label=_("Guiding principle"),
        method="filter_principle",
    )


class ContributionFilter(ReferenceFilters):
    """Filters of the public list of contributions, the open data and the feed. The
    query string keeps them shareable (`?objective=5&region=ECA&q=recruitment`).

    Several values of one filter widen the selection (any of them); different filters
    narrow it (all of them). Every relation is filtered through a subquery, so no
    filter multiplies rows and no DISTINCT is needed over the whole table.
    """

    FACETS = (
        "cycle",
        "region",
        "iscm",
        "kind",
        "objective",
        "round_table",
        "principle",
        "format",
        "language",
        "joint",
    )

    q = django_filters.CharFilter(
        label=_("Search"), max_length=search.MAX_QUERY_LENGTH, method="filter_search"
    )
    kind = django_filters.MultipleChoiceFilter(
        choices=ISCM.Kind.choices, label=_("Kind of ISCM"), method="filter_kind"
    )
    round_table = django_filters.MultipleChoiceFilter(
        choices=RoundTable.choices, label=_("Round table"), method="filter_round_table"
    )
    format = BoundedModelMultipleChoiceFilter(
        queryset=ContributionFormat.objects.all(),
        to_field_name="slug",
        label=_("Contribution format"),
        method="filter_format",
    )
    language = django_filters.MultipleChoiceFilter(
        choices=ContentLanguage.choices, label=_("Language"), method="filter_language"
    )
    joint = django_filters.ChoiceFilter(
        choices=JOINT_CHOICES, label=_("Joint or direct"), method="filter_joint"
    )
    sort = django_filters.ChoiceFilter(
        choices=SORT_CHOICES, label=_("Sort by"), method="keep", empty_label=None
    )

    class Meta:
        model = WrittenInput
        fields = []

    def keep(self, queryset, name, value):
        return queryset  # the view orders; a filter only validates the choice

    def filter_search(self, queryset, name, value):
        return search.matching(queryset, value)

    def filter_cycle(self, queryset, name, value):
        return queryset.filter(cycle__in=value) if value else queryset

    def filter_region(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(pk__in=_through("target_reviews", regionalreview__region__in=value))

    def filter_iscm(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(Q(lead_iscm__in=value) | Q(pk__in=_partner_inputs(iscm__in=value)))

    def filter_kind(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(
            Q(lead_iscm__kind__in=value) | Q(pk__in=_partner_inputs(iscm__kind__in=value))
        )

    def filter_objective(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(
            pk__in=ObjectiveResponse.objects.filter(objective__in=value).values("input")
        )

    def filter_round_table(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(
            pk__in=ObjectiveResponse.objects.filter(objective__round_table__in=value).values(
                "input"
            )
        )

    def filter_principle(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(pk__in=_through("principles", guidingprinciple__in=value))

    def filter_format(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(pk__in=_through("formats", contributionformat__in=value))

    def filter_language(self, queryset, name, value):
        return queryset.filter(language__in=value) if value else queryset

    def filter_joint(self, queryset, name, value):
        if value == JOINT:
            return queryset.filter(pk__in=_partner_inputs())
        if value == DIRECT:
            return queryset.exclude(pk__in=_partner_inputs())
        return queryset

    def selection(self, *, without: str | None = None):
        """The published inputs matching every valid filter except `without` (the
        selection a facet counts over). Call after `is_valid()`."""
        queryset = self.queryset
        data = self.form.cleaned_data
        for name, filter_ in self.filters.items():
            if name != without and name in data and data[name] not in (None, "", []):
                queryset = filter_.filter(queryset, data[name])
        return queryset
