from django.contrib import admin

from .models import AuditEntry, Invitation


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
