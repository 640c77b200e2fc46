"""What happened to a written input: its immutable versions (one per submission),
its append-only history (`ReviewEvent`), reviewers' comments, and the deadline
reminders sent to its ISCMs' secretariats."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .inputs import Decision, Status, WrittenInput
from .reference import ISCM, GCMObjective, OutlineSection, RegionalReview


class InputVersion(models.Model):
    """An immutable snapshot (JSON) of an input, taken at every submission and numbered
    1, 2, … per input. Reviewers read versions, never the live draft; packages
    include the accepted version."""

    input = models.ForeignKey(WrittenInput, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    snapshot = models.JSONField(_("snapshot"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("taken"), auto_now_add=True)

    class Meta:
        verbose_name = _("input version")
        verbose_name_plural = _("input versions")
        ordering = ["input", "number"]
        constraints = [
            models.UniqueConstraint(fields=["input", "number"], name="one_version_number"),
        ]

    def __str__(self):
        return f"{self.input} — version {self.number}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("An input version is immutable once taken.")
        super().save(*args, **kwargs)


class ReviewEvent(models.Model):
    """One line of an input's history: a state change, a consent change or a comment.
    Append-only."""

    class Visibility(models.TextChoices):
        SECRETARIAT = "secretariat", _("Visible to the secretariat")
        INTERNAL = "internal", _("Internal note (IOM staff only)")

    class Kind(models.TextChoices):
        TRANSITION = "transition", _("Status change")
        CONSENT_GIVEN = "consent_given", _("Consent to publication given")
        CONSENT_WITHDRAWN = "consent_withdrawn", _("Consent to publication withdrawn")
        EXTENSION = "extension", _("Deadline extended")
        COMMENT = "comment", _("Comment")

    input = models.ForeignKey(WrittenInput, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    from_status = models.CharField(_("from"), max_length=20, choices=Status.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=20, choices=Status.choices, blank=True)
    message = models.TextField(_("message"), blank=True)
    visibility = models.CharField(
        _("visibility"),
        max_length=12,
        choices=Visibility.choices,
        default=Visibility.SECRETARIAT,
    )
    version_number = models.PositiveIntegerField(_("input version"), null=True, blank=True)
    # A reviewer's decision is taken for the regional reviews of their regions: the
    # decision and the reviews it was taken for (the status above is the input's,
    # derived from every review's decision).
    decision = models.CharField(_("decision"), max_length=20, choices=Decision.choices, blank=True)
    reviews = models.ManyToManyField(
        RegionalReview, blank=True, related_name="+", verbose_name=_("for the regional reviews")
    )
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("review event")
        verbose_name_plural = _("review events")
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"{self.input}: {self.get_kind_display()} {self.to_status}".strip()

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("The history is append-only: events are never changed.")
        super().save(*args, **kwargs)


class ReviewCommentQuerySet(models.QuerySet):
    def for_secretariat(self):
        """What secretariats may read: messages to them, once sent with a decision.
        Internal notes never; a reviewer's draft comments not yet either."""
        return self.filter(
            visibility=ReviewEvent.Visibility.SECRETARIAT, released_at__isnull=False
        )

    def pending(self):
        return self.filter(visibility=ReviewEvent.Visibility.SECRETARIAT, released_at__isnull=True)


class ReviewComment(models.Model):
    """A reviewer's comment on one version of an input, anchored to an outline section,
    an objective, or the input as a whole. A message to the secretariat waits until the
    reviewer sends a decision (changes requested, accepted, declined), which releases
    it; an internal note stays with IOM staff."""

    input = models.ForeignKey(WrittenInput, on_delete=models.PROTECT, related_name="comments")
    version_number = models.PositiveIntegerField(_("input version"))
    section = models.ForeignKey(
        OutlineSection, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    objective = models.ForeignKey(
        GCMObjective, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    body = models.TextField(_("comment"))
    visibility = models.CharField(
        _("visibility"),
        max_length=12,
        choices=ReviewEvent.Visibility.choices,
        default=ReviewEvent.Visibility.SECRETARIAT,
    )
    created_at = models.DateTimeField(_("written"), auto_now_add=True)
    released_at = models.DateTimeField(_("sent to the secretariat"), null=True, blank=True)
    # The decision that sent it (its e-mail lists the comments); empty for a comment
    # sent at once because the input was already back with the secretariat.
    released_with = models.ForeignKey(
        ReviewEvent, on_delete=models.PROTECT, null=True, blank=True, related_name="comments"
    )

    objects = ReviewCommentQuerySet.as_manager()

    class Meta:
        verbose_name = _("review comment")
        verbose_name_plural = _("review comments")
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(section__isnull=True) | Q(objective__isnull=True),
                name="comment_one_anchor",
            ),
        ]

    def __str__(self):
        return f"{self.input}: {self.body[:40]}"

    @property
    def anchor(self) -> str:
        """The element of the edit page and of the document it belongs beside."""
        if self.objective_id:
            return f"objective-{self.objective.number}"
        if self.section_id:
            return f"section-{self.section.number}"
        return "general"


class DeadlineReminder(models.Model):
    """A deadline reminder sent to an ISCM's secretariat for one regional review, kept
    so the daily command never sends the same reminder twice."""

    review = models.ForeignKey(RegionalReview, on_delete=models.CASCADE, related_name="+")
    iscm = models.ForeignKey(ISCM, on_delete=models.CASCADE, related_name="+")
    days_before = models.PositiveSmallIntegerField(_("days before the deadline"))
    sent_at = models.DateTimeField(_("sent"), auto_now_add=True)
    recipients = models.PositiveIntegerField(_("recipients"), default=0)

    class Meta:
        verbose_name = _("deadline reminder")
        verbose_name_plural = _("deadline reminders")
        constraints = [
            models.UniqueConstraint(
                fields=["review", "iscm", "days_before"], name="one_reminder_per_step"
            ),
        ]

    def __str__(self):
        return f"{self.iscm} — {self.review}, {self.days_before} days before"
