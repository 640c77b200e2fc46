from django.contrib import admin

# django-otp's own admin pages show and edit authenticator keys and (plain) recovery
# codes. Import them so they are registered now, whatever the app order, and take
# them out again: a person's second factor is reset on the staff pages, which record
# it in the audit trail (accounts.twofactor.remove_second_factor).
from django_otp.plugins.otp_static import admin as _otp_static_admin  # noqa: F401
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp import admin as _otp_totp_admin  # noqa: F401
from django_otp.plugins.otp_totp.models import TOTPDevice

from .models import AuditEntry, Invitation, RecoveryCodeDevice

for _model in (StaticDevice, TOTPDevice):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)


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
