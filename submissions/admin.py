from django.contrib import admin
from django.db import transaction
from django.db.models import Count
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationAdmin, TranslationStackedInline

from . import tallies
from .models import (
    ISCM,
    Challenge,
    ContributionFormat,
    GCMObjective,
    GuidingPrinciple,
    Membership,
    Outline,
    OutlineSection,
    Priority,
    Region,
    RegionalReview,
    ReviewCycle,
    ReviewerAssignment,
)


class ReadOnlyAccess:
    """Memberships and reviewer assignments are shown in the admin, never changed
    there: the staff pages (/staff/, the `accounts` app) change them through domain
    functions that keep a team's last lead, keep the role groups in step and write the
    audit trail. The admin would do none of that."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def _count_again_after_commit() -> None:
    transaction.on_commit(tallies.count_everything_again)


class CountedValues:
    """Reference data that published inputs are counted under (the dashboards', the
    public lists' numbers and the inputs' facet keys): when one of `counted_fields`
    changes, or a row is deleted, every kept number is counted again once the change
    is committed (`tallies.count_everything_again`; no workflow step sees such a
    change). Rare and done by staff: a recount of the whole archive is affordable."""

    counted_fields = ()

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and set(form.changed_data) & set(self.counted_fields):
            _count_again_after_commit()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        _count_again_after_commit()

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        _count_again_after_commit()


class ReviewerAssignmentInline(ReadOnlyAccess, admin.TabularInline):
    model = ReviewerAssignment
    extra = 0
    fields = ["user", "role", "created_at"]
    readonly_fields = ["created_at"]


class MembershipInline(ReadOnlyAccess, admin.TabularInline):
    model = Membership
    extra = 0
    fields = ["user", "is_lead", "created_at"]
    readonly_fields = ["created_at"]


# The translated fields (submissions/translation.py) show one box per language; an
# empty box falls back to English on the pages, marked as English.
@admin.register(Region)
class RegionAdmin(CountedValues, TranslationAdmin):
    list_display = ["code", "name", "commission", "iscm_count"]
    search_fields = ["code", "name", "commission"]
    inlines = [ReviewerAssignmentInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(iscm_total=Count("iscms"))

    @admin.display(description=_("ISCMs"), ordering="iscm_total")
    def iscm_count(self, obj):
        return obj.iscm_total


@admin.register(ISCM)
class ISCMAdmin(CountedValues, TranslationAdmin):
    counted_fields = ("kind",)
    list_display = ["acronym", "name", "kind", "region_codes", "year_established"]
    list_filter = ["kind", "regions"]
    search_fields = ["acronym", "name", "secretariat_host"]
    prepopulated_fields = {"slug": ["acronym"]}
    filter_horizontal = ["regions"]
    inlines = [MembershipInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("regions")

    @admin.display(description=_("regions"))
    def region_codes(self, obj):
        return ", ".join(region.code for region in obj.regions.all())


@admin.register(GCMObjective)
class GCMObjectiveAdmin(CountedValues, TranslationAdmin):
    counted_fields = ("round_table",)
    list_display = ["number", "short_title", "title", "round_table"]
    list_filter = ["round_table"]
    search_fields = ["title", "short_title"]


@admin.register(GuidingPrinciple)
class GuidingPrincipleAdmin(CountedValues, TranslationAdmin):
    list_display = ["letter", "title"]
    search_fields = ["title"]


@admin.register(ContributionFormat, Priority, Challenge)
class ChoiceListAdmin(CountedValues, TranslationAdmin):
    list_display = ["name", "position"]
    list_editable = ["position"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name_en"]}


class OutlineSectionInline(TranslationStackedInline):
    model = OutlineSection
    extra = 0


@admin.register(Outline)
class OutlineAdmin(TranslationAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name_en"]}
    inlines = [OutlineSectionInline]


class RegionalReviewInline(admin.TabularInline):
    model = RegionalReview
    extra = 0


@admin.register(ReviewCycle)
class ReviewCycleAdmin(TranslationAdmin):
    list_display = ["name", "years", "outline", "active"]
    list_filter = ["active"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name_en"]}
    inlines = [RegionalReviewInline]

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        # A review moved to another region, or deleted, here: see CountedValues.
        moved = any(
            "region" in inline.changed_data for inline in formset.forms if inline.instance.pk
        )
        if formset.deleted_objects or moved:
            _count_again_after_commit()


@admin.register(RegionalReview)
class RegionalReviewAdmin(CountedValues, admin.ModelAdmin):
    counted_fields = ("region", "cycle")
    list_display = [
        "cycle",
        "region",
        "submission_opens",
        "deadline",
        "meeting_date",
        "package_language",
        "note",
    ]
    list_filter = ["cycle", "region"]
    list_select_related = ["cycle", "region"]
    search_fields = ["region__code", "region__name", "cycle__name"]


@admin.register(Membership)
class MembershipAdmin(ReadOnlyAccess, admin.ModelAdmin):
    list_display = ["user", "iscm", "is_lead", "created_at"]
    list_filter = ["iscm"]
    list_select_related = ["user", "iscm"]
    search_fields = ["user__email", "user__full_name", "iscm__acronym", "iscm__name"]
    autocomplete_fields = ["user", "iscm"]


@admin.register(ReviewerAssignment)
class ReviewerAssignmentAdmin(ReadOnlyAccess, admin.ModelAdmin):
    list_display = ["user", "region", "role", "created_at"]
    list_filter = ["role", "region"]
    list_select_related = ["user", "region"]
    search_fields = ["user__email", "user__full_name", "region__code"]
    autocomplete_fields = ["user"]
