from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.contrib.auth.models import Group
from django.utils.translation import gettext_lazy as _

# django-otp's own admin page shows and edits authenticator keys. Import it so it is
# registered now, whatever the app order, and take it out again: a person's second
# factor is reset on the staff pages, which record it in the audit trail
# (accounts.twofactor.remove_second_factor).
from django_otp.plugins.otp_totp import admin as _otp_totp_admin  # noqa: F401
from django_otp.plugins.otp_totp.models import TOTPDevice

from submissions.admin import ReadOnlyAccess
from submissions.models import Membership, ReviewerAssignment

from .models import AuditEntry, Invitation, RecoveryCodeDevice, User

if admin.site.is_registered(TOTPDevice):
    admin.site.unregister(TOTPDevice)


class ReadOnly(admin.ModelAdmin):
    """Shown for reference only: invitations and the audit trail change through the
    staff pages (/staff/), whose domain functions check the rules and record them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Invitation)
class InvitationAdmin(ReadOnly):
    list_display = [
        "email",
        "role",
        "invited_by",
        "created_at",
        "expires_at",
        "accepted_at",
        "revoked_at",
    ]
    list_filter = ["role"]
    search_fields = ["email"]
    exclude = ["token_digest"]


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnly):
    list_display = ["created_at", "action", "person", "email", "iscm", "region", "actor"]
    list_filter = ["action"]
    search_fields = ["email", "person__email", "actor__email", "detail"]


@admin.register(TOTPDevice)
class AuthenticatorAdmin(ReadOnly):
    """Who has an authenticator, for reference: never its key."""

    list_display = ["user", "name", "confirmed", "created_at", "last_used_at"]
    list_filter = ["confirmed"]
    search_fields = ["user__email", "user__full_name"]
    fields = ["user", "name", "confirmed", "created_at", "last_used_at"]


@admin.register(RecoveryCodeDevice)
class RecoveryCodesAdmin(ReadOnly):
    """Who has recovery codes, for reference: only digests are stored, none shown."""

    list_display = ["user", "name", "confirmed", "created_at", "last_used_at"]
    search_fields = ["user__email", "user__full_name"]
    fields = ["user", "name", "confirmed", "created_at", "last_used_at"]


class UserMembershipInline(ReadOnlyAccess, admin.TabularInline):
    model = Membership
    extra = 0
    fields = ["iscm", "is_lead", "created_at"]
    readonly_fields = ["created_at"]


class UserAssignmentInline(ReadOnlyAccess, admin.TabularInline):
    model = ReviewerAssignment
    extra = 0
    fields = ["region", "role", "created_at"]
    readonly_fields = ["created_at"]


class UserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ["email", "full_name"]


class UserEditForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Users by e-mail; their ISCM memberships and region assignments inline, shown
    but not changed here (see `ReadOnlyAccess`). Role groups mirror those rows and
    deactivation has its own rules (`accounts.staffing`), so groups and `is_active` are
    read-only too, and so are single permissions (the portal gives none: rights come
    from roles, and a permission given here would be in no audit trail). Nobody is
    deleted here: deleting would take their memberships and second factor with it,
    past the last-lead rule and the audit trail; the staff pages deactivate people
    instead. Administrator rights (`is_staff`, `is_superuser`) are given here and
    recorded in the portal's audit trail."""

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
    readonly_fields = ["is_active", "groups", "user_permissions", "last_login", "date_joined"]

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        changed = [f for f in ("is_staff", "is_superuser") if f in form.changed_data]
        if changed and (change or any(getattr(obj, f) for f in changed)):
            AuditEntry.record(
                AuditEntry.Action.ADMINISTRATOR_RIGHTS,
                actor=request.user,
                person=obj,
                detail=", ".join(f"{f}={getattr(obj, f)}" for f in changed),
            )


# The role groups (`submissions.roles.ROLE_GROUPS`) are kept in step with memberships
# and assignments by the staff pages; renaming or deleting one here would silently
# take people's roles away, and a permission added to one would be given to everyone
# in the role with no audit entry. Shown for reference only.
admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(DjangoGroupAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
