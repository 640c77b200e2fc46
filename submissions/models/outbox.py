"""E-mail waiting to be sent, and what became of it (`submissions.outbox` sends it)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class OutgoingEmail(models.Model):
    """One message to one recipient, rendered once in the recipient's language when it
    was queued, so every attempt sends the same message. Kept after it is sent (the
    record of what went out); a message the mail server keeps refusing ends `failed`
    and waits for an administrator's "send again".

    A message that carries a secret the database must not hold (a password-reset
    link) keeps no body: `render_args` name what to make it from at each attempt
    (`submissions.outbox.MADE_WHEN_SENT`)."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("waiting to be sent")
        SENDING = "sending", _("being sent")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")

    template = models.CharField(_("e-mail"), max_length=100)
    to = models.EmailField(_("recipient"), max_length=254)
    language = models.CharField(_("language"), max_length=10, blank=True)
    subject = models.TextField(_("subject"))
    text_body = models.TextField(_("text"), blank=True)
    html_body = models.TextField(_("HTML"), blank=True)
    render_args = models.JSONField(_("made when sent from"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    # Which delivery run holds the message while it is `sending` (see outbox._claim).
    claim = models.UUIDField(null=True, blank=True, editable=False)
    claimed_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("queued"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("outgoing e-mail")
        verbose_name_plural = _("outgoing e-mails")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="outgoing_email_due"),
        ]

    def __str__(self):
        return f"{self.template} → {self.to} ({self.status})"
