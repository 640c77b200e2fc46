from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

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
from .roles import sync_role_groups


class SyncsRoleGroups:
    """Admin mixin: after memberships or assignments change — directly or through an
    inline — bring the role groups of everyone touched in step (see `roles`). The
    previous user of an edited row counts too: moving a row between people changes
    both."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if isinstance(obj, Membership | ReviewerAssignment):
            self._sync({form.initial.get("user"), obj.user_id})

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        if isinstance(obj, Membership | ReviewerAssignment):
            self._sync({obj.user_id})

    def delete_queryset(self, request, queryset):
        if queryset.model not in (Membership, ReviewerAssignment):
            return super().delete_queryset(request, queryset)
        user_ids = set(queryset.values_list("user_id", flat=True))
        super().delete_queryset(request, queryset)
        self._sync(user_ids)

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        if formset.model in (Membership, ReviewerAssignment):
            self._sync(
                {f.initial.get("user") for f in formset.forms}
                | {f.instance.user_id for f in formset.forms}
            )

    @staticmethod
    def _sync(user_ids):
        for user in get_user_model().objects.filter(pk__in={i for i in user_ids if i}):
            sync_role_groups(user)


class ReviewerAssignmentInline(admin.TabularInline):
    model = ReviewerAssignment
    extra = 0
    autocomplete_fields = ["user"]


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Region)
class RegionAdmin(SyncsRoleGroups, admin.ModelAdmin):
    list_display = ["code", "name", "commission", "iscm_count"]
    search_fields = ["code", "name", "commission"]
    inlines = [ReviewerAssignmentInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(iscm_total=Count("iscms"))

    @admin.display(description=_("ISCMs"), ordering="iscm_total")
    def iscm_count(self, obj):
        return obj.iscm_total


@admin.register(ISCM)
class ISCMAdmin(SyncsRoleGroups, admin.ModelAdmin):
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
class GCMObjectiveAdmin(admin.ModelAdmin):
    list_display = ["number", "short_title", "title", "round_table"]
    list_filter = ["round_table"]
    search_fields = ["title", "short_title"]


@admin.register(GuidingPrinciple)
class GuidingPrincipleAdmin(admin.ModelAdmin):
    list_display = ["letter", "title"]
    search_fields = ["title"]


@admin.register(ContributionFormat, Priority, Challenge)
class ChoiceListAdmin(admin.ModelAdmin):
    list_display = ["name", "position"]
    list_editable = ["position"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


class OutlineSectionInline(admin.StackedInline):
    model = OutlineSection
    extra = 0


@admin.register(Outline)
class OutlineAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [OutlineSectionInline]


class RegionalReviewInline(admin.TabularInline):
    model = RegionalReview
    extra = 0


@admin.register(ReviewCycle)
class ReviewCycleAdmin(admin.ModelAdmin):
    list_display = ["name", "years", "outline", "active"]
    list_filter = ["active"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [RegionalReviewInline]


@admin.register(RegionalReview)
class RegionalReviewAdmin(admin.ModelAdmin):
    list_display = ["cycle", "region", "submission_opens", "deadline", "meeting_date", "note"]
    list_filter = ["cycle", "region"]
    list_select_related = ["cycle", "region"]
    search_fields = ["region__code", "region__name", "cycle__name"]


@admin.register(Membership)
class MembershipAdmin(SyncsRoleGroups, admin.ModelAdmin):
    list_display = ["user", "iscm", "created_at"]
    list_filter = ["iscm"]
    list_select_related = ["user", "iscm"]
    search_fields = ["user__email", "user__full_name", "iscm__acronym", "iscm__name"]
    autocomplete_fields = ["user", "iscm"]


@admin.register(ReviewerAssignment)
class ReviewerAssignmentAdmin(SyncsRoleGroups, admin.ModelAdmin):
    list_display = ["user", "region", "role", "created_at"]
    list_filter = ["role", "region"]
    list_select_related = ["user", "region"]
    search_fields = ["user__email", "user__full_name", "region__code"]
    autocomplete_fields = ["user"]
