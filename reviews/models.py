from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from submissions.models import InputVersion, RegionalReview


class RegionalPackage(models.Model):
    """One compiled version of a regional review's submission package: the accepted
    inputs at their accepted versions, as one PDF. Numbered 1, 2, … per review; a done
    package never changes, a new compile makes a new version (see reviews/packages.py).
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Compiling")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    review = models.ForeignKey(
        RegionalReview, on_delete=models.PROTECT, related_name="packages", verbose_name=_("review")
    )
    number = models.PositiveIntegerField(_("version"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    stage = models.CharField(_("stage"), max_length=80, blank=True)
    percent = models.PositiveSmallIntegerField(_("progress"), default=0)
    input_versions = models.ManyToManyField(
        InputVersion, related_name="packages", verbose_name=_("input versions included")
    )
    template_version = models.CharField(_("layout version"), max_length=20)
    file = models.FileField(_("file"), max_length=255, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    page_count = models.PositiveIntegerField(_("pages"), null=True, blank=True)
    size = models.PositiveBigIntegerField(_("size in bytes"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    published = models.BooleanField(_("published"), default=False)
    # Empty when an operator compiled it with `manage.py compile_package`.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    queued_at = models.DateTimeField(_("queued"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    # Written every few seconds by the compiling worker (reviews/packages.py): a running
    # package whose heartbeat stops is one whose worker died.
    heartbeat_at = models.DateTimeField(_("last sign of life"), null=True, blank=True)

    class Meta:
        verbose_name = _("regional package")
        verbose_name_plural = _("regional packages")
        ordering = ["review", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["review", "number"], name="one_package_number"),
            models.CheckConstraint(
                condition=models.Q(published=False) | models.Q(status="done"),
                name="only_done_packages_published",
            ),
        ]

    def __str__(self):
        return f"{self.review} — package version {self.number}"

    def get_absolute_url(self):
        return reverse("reviews:package", args=[self.pk])

    @property
    def in_progress(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)
