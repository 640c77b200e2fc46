from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from submissions.models import InputVersion, RegionalReview, Status


class RegionalPackageQuerySet(models.QuerySet):
    def publishable(self):
        """Done packages whose public edition exists, was never taken offline, and
        carries only inputs that are still published at the version it carries, with
        consent."""
        no_longer_public = InputVersion.objects.filter(
            public_packages=models.OuterRef("pk")
        ).exclude(
            input__status=Status.PUBLISHED,
            input__publication_consent=True,
            input__published_version=models.F("number"),
        )
        return (
            self.filter(status=RegionalPackage.Status.DONE, taken_offline_at__isnull=True)
            .exclude(public_file="")
            .exclude(models.Exists(no_longer_public))
        )

    def readable_by(self, user):
        """Packages whose review edition `user` may download: IOM staff of the review's
        region (reviewers and compilers) and administrators."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_staff:
            return self.all()
        return self.filter(review__region__assignments__user=user).distinct()

    def publicly_available(self):
        """Packages whose public edition anyone may download: published and
        `publishable`. The last condition is read at every request, so whatever takes
        an input off the public portal (unpublished, consent withdrawn, withdrawn)
        takes every public edition carrying it offline in the same commit."""
        return self.filter(published=True).publishable()


class RegionalPackage(models.Model):
    """One compiled version of a regional review's submission package in one language,
    in two editions rendered by the same compile: the review edition (every input the
    review accepted, at its accepted version; for IOM staff and the review's organisers,
    marked "not for publication") and the public edition (only the inputs among them
    that are published, with consent). Numbered 1, 2, … per review; the same version
    may exist in several of the six languages, one row and one file each, with the same
    input versions (the portal's words are in `language`, the inputs in their own). A
    done package never changes, a new compile makes a new version (see
    reviews/packages.py). Publishing a package publishes its public edition only.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Compiling")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    class Edition(models.TextChoices):
        REVIEW = "review", _("Review edition")
        PUBLIC = "public", _("Public edition")

    review = models.ForeignKey(
        RegionalReview, on_delete=models.PROTECT, related_name="packages", verbose_name=_("review")
    )
    number = models.PositiveIntegerField(_("version"))
    # The language of the cover, contents, overview, headings, running header and
    # metadata; each input keeps its own.
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    stage = models.CharField(_("stage"), max_length=80, blank=True)
    percent = models.PositiveSmallIntegerField(_("progress"), default=0)
    input_versions = models.ManyToManyField(
        InputVersion, related_name="packages", verbose_name=_("input versions included")
    )
    # The public edition's contents: the published input versions among the above.
    public_input_versions = models.ManyToManyField(
        InputVersion,
        related_name="public_packages",
        blank=True,
        verbose_name=_("input versions in the public edition"),
    )
    template_version = models.CharField(_("layout version"), max_length=20)
    file = models.FileField(_("file"), max_length=255, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    page_count = models.PositiveIntegerField(_("pages"), null=True, blank=True)
    size = models.PositiveBigIntegerField(_("size in bytes"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    public_file = models.FileField(_("public edition"), max_length=255, blank=True)
    public_sha256 = models.CharField(_("SHA-256 of the public edition"), max_length=64, blank=True)
    public_page_count = models.PositiveIntegerField(
        _("pages of the public edition"), null=True, blank=True
    )
    public_size = models.PositiveBigIntegerField(
        _("size of the public edition in bytes"), null=True, blank=True
    )
    published = models.BooleanField(_("published"), default=False)
    # Set when an input of the public edition left the public portal: the edition is
    # offline for good (its URL answers 410) and a new version was queued without it.
    taken_offline_at = models.DateTimeField(_("taken offline"), null=True, blank=True)
    taken_offline_reason = models.TextField(_("why it was taken offline"), blank=True)
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
    # Which attempt the current compile is: 1, or 2 once the workers' recovery compiled
    # it again after its worker died (reviews/packages.py::recover_stale_packages); a
    # person's "Try again" starts at 1.
    attempt = models.PositiveSmallIntegerField(_("attempt"), default=1)

    objects = RegionalPackageQuerySet.as_manager()

    class Meta:
        verbose_name = _("regional package")
        verbose_name_plural = _("regional packages")
        ordering = ["review", "-number", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["review", "number", "language"], name="one_package_number_per_language"
            ),
            models.CheckConstraint(
                condition=models.Q(published=False) | models.Q(status="done"),
                name="only_done_packages_published",
            ),
        ]

    def __str__(self):
        return f"{self.review} — package version {self.number} ({self.language})"

    def get_absolute_url(self):
        return reverse("reviews:package", args=[self.pk])

    @property
    def in_progress(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)


class PackageEvent(models.Model):
    """One line of a package's history that its status alone does not tell: its worker
    died and it was compiled again automatically, or failed after that retry (written by
    reviews/packages.py::recover_stale_packages; shown on the package's page)."""

    package = models.ForeignKey(
        RegionalPackage,
        on_delete=models.CASCADE,
        related_name="events",
        verbose_name=_("package"),
    )
    at = models.DateTimeField(_("when"))
    attempt = models.PositiveSmallIntegerField(_("attempt"))
    message = models.TextField(_("what happened"))

    class Meta:
        verbose_name = _("package event")
        verbose_name_plural = _("package events")
        ordering = ["package", "at", "pk"]

    def __str__(self):
        return f"{self.package} — {self.at:%Y-%m-%d %H:%M:%S}: {self.message}"


class SynthesisDraft(models.Model):
    """A synthesis draft of one regional review, for the IOM staff who write the
    review's synthesis: what each accepted input reports per round table and objective,
    each excerpt cited, with the synthesis dashboard's counts and an annex of the inputs,
    as an editable .docx (the Word template's house style) and a PDF, both built by one
    background task (reviews/synthesis_pdf.py). The portal's words are in `language`,
    each excerpt in its own. A done draft never changes; asking again makes a new one.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Drafting")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    review = models.ForeignKey(
        RegionalReview,
        on_delete=models.PROTECT,
        related_name="synthesis_drafts",
        verbose_name=_("review"),
    )
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("requested by"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    stage = models.CharField(_("stage"), max_length=80, blank=True)
    percent = models.PositiveSmallIntegerField(_("progress"), default=0)
    docx = models.FileField(_("Word document"), max_length=255, blank=True)
    docx_size = models.PositiveBigIntegerField(
        _("size of the Word document"), null=True, blank=True
    )
    pdf = models.FileField(_("PDF"), max_length=255, blank=True)
    pdf_size = models.PositiveBigIntegerField(_("size of the PDF"), null=True, blank=True)
    page_count = models.PositiveIntegerField(_("pages of the PDF"), null=True, blank=True)
    # The accepted versions it quotes: the review's accepted inputs when it was asked for.
    input_versions = models.ManyToManyField(
        InputVersion,
        related_name="synthesis_drafts",
        blank=True,
        verbose_name=_("input versions quoted"),
    )
    error = models.TextField(_("error"), blank=True)
    queued_at = models.DateTimeField(_("queued"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    # Written every few seconds by the drafting worker: a running draft whose heartbeat
    # stops is one whose worker died (reviews/synthesis_drafts.py::fail_stale_drafts).
    heartbeat_at = models.DateTimeField(_("last sign of life"), null=True, blank=True)

    class Meta:
        verbose_name = _("synthesis draft")
        verbose_name_plural = _("synthesis drafts")
        ordering = ["review", "-queued_at", "-pk"]

    def __str__(self):
        return f"{self.review} — synthesis draft {self.pk} ({self.language})"

    def get_absolute_url(self):
        return reverse("reviews:synthesis", args=[self.pk])

    @property
    def in_progress(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)
