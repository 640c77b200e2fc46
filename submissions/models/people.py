"""Who works on what: secretariat memberships (user × ISCM) and IOM staff
assignments (user × region, as reviewer or compiler).

These rows are the single source of a person's scope. `submissions.roles` derives
roles from them and keeps the matching auth groups in step.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .reference import ISCM, Region


class Membership(models.Model):
    """A person on the secretariat of an ISCM."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("user"),
    )
    iscm = models.ForeignKey(
        ISCM, on_delete=models.PROTECT, related_name="memberships", verbose_name=_("ISCM")
    )
    is_lead = models.BooleanField(
        _("lead"),
        default=False,
        help_text=_(
            "A lead manages the ISCM's team: invites colleagues, removes members and "
            "hands the lead role on. A team keeps at least one lead."
        ),
    )
    created_at = models.DateTimeField(_("since"), auto_now_add=True)

    class Meta:
        verbose_name = _("secretariat membership")
        verbose_name_plural = _("secretariat memberships")
        ordering = ["iscm__acronym", "user__email"]
        constraints = [
            models.UniqueConstraint(fields=["user", "iscm"], name="one_membership_per_iscm"),
        ]

    def __str__(self):
        return f"{self.user} — {self.iscm}"


class ReviewerAssignment(models.Model):
    """An IOM staff member assigned to a region, as reviewer or as compiler (regional
    focal point). A person may hold both roles for a region: two rows."""

    class Role(models.TextChoices):
        REVIEWER = "reviewer", _("Reviewer")
        COMPILER = "compiler", _("Compiler")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="region_assignments",
        verbose_name=_("user"),
    )
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="assignments", verbose_name=_("region")
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.REVIEWER)
    created_at = models.DateTimeField(_("since"), auto_now_add=True)

    class Meta:
        verbose_name = _("region assignment")
        verbose_name_plural = _("region assignments")
        ordering = ["region__code", "role", "user__email"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "region", "role"], name="one_assignment_per_region_role"
            ),
        ]

    def __str__(self):
        return f"{self.user} — {self.get_role_display()} for {self.region.code}"
