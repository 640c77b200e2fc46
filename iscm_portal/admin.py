from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.utils.translation import gettext_lazy as _

from submissions.admin import SyncsRoleGroups
from submissions.models import Membership, ReviewerAssignment

from .models import User


class UserMembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["iscm"]


class UserAssignmentInline(admin.TabularInline):
    model = ReviewerAssignment
    extra = 0


class UserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ["email", "full_name"]


class UserEditForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(SyncsRoleGroups, DjangoUserAdmin):
    """Users by e-mail; their ISCM memberships and region assignments inline."""

    form = UserEditForm
    add_form = UserCreationForm
    ordering = ["email"]
    list_display = ["email", "full_name", "is_staff", "is_active", "last_login"]
    list_filter = ["is_staff", "is_superuser", "is_active", "groups"]
    search_fields = ["email", "full_name"]
    inlines = [UserMembershipInline, UserAssignmentInline]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("Person"), {"fields": ["full_name"]}),
        (
            _("Permissions"),
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        (_("Dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (
            None,
            {
                "classes": ["wide"],
                "fields": ["email", "full_name", "usable_password", "password1", "password2"],
            },
        ),
    ]
    filter_horizontal = ["groups", "user_permissions"]
