"""Written inputs of ISCMs to the regional reviews: the input, its partners and target
reviews (with each review's decision), its content and attachments. What happened to
it — versions, history events, comments, reminders — is in `history.py`.

Who may see or change an input is decided in one place: the query set methods of
`WrittenInput.objects` (`visible_to`, `editable_by`, `led_by`). Views go through them
and answer 404 for anything outside.
"""

import enum
import secrets

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from .people import Membership, ReviewerAssignment
from .reference import (
    ISCM,
    Challenge,
    ContributionFormat,
    GCMObjective,
    GuidingPrinciple,
    OutlineSection,
    Priority,
    RegionalReview,
    ReviewCycle,
)


class ContentLanguage(models.TextChoices):
    """Languages an input may be written in (the UN's six and Portuguese)."""

    ENGLISH = "en", _("English")
    FRENCH = "fr", _("French")
    SPANISH = "es", _("Spanish")
    ARABIC = "ar", _("Arabic")
    RUSSIAN = "ru", _("Russian")
    CHINESE = "zh", _("Chinese")
    PORTUGUESE = "pt", _("Portuguese")


RIGHT_TO_LEFT = {ContentLanguage.ARABIC}


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    CHANGES_REQUESTED = "changes_requested", _("Changes requested")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    PUBLISHED = "published", _("Published")
    WITHDRAWN = "withdrawn", _("Withdrawn")

    # Named groups of states (the transitions are in submissions/workflow.py). Values,
    # not members, since the class body cannot name its members yet; a member equals its
    # value, so `status in Status.EDITABLE` holds for both.
    # The secretariat may change the input.
    EDITABLE = enum.nonmember(frozenset({"draft", "changes_requested"}))
    # A regional review's acceptance still stands: a withdrawn input is in no package,
    # a draft was never decided on.
    DECIDED_ON = enum.nonmember(
        frozenset({"submitted", "changes_requested", "accepted", "published"})
    )
    # The way to publication, least to most advanced; where an ISCM stands for a review
    # is its input with the most progress (`progress`).
    PROGRESS_ORDER = enum.nonmember(
        ("draft", "declined", "changes_requested", "submitted", "accepted", "published")
    )

    @property
    def progress(self) -> int:
        """This state's place in PROGRESS_ORDER (withdrawn: -1, nowhere)."""
        order = Status.PROGRESS_ORDER
        return order.index(self.value) if self.value in order else -1


class Decision(models.TextChoices):
    """What one target regional review decided on an input (see `InputTarget`)."""

    PENDING = "pending", _("Waiting for a decision")
    CHANGES_REQUESTED = "changes_requested", _("Changes requested")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")


class WrittenInputQuerySet(models.QuerySet):
    def _of_iscms(self, iscm_ids):
        partner_links = WrittenInput.partner_iscms.through.objects.filter(iscm__in=iscm_ids)
        return Q(lead_iscm__in=iscm_ids) | Q(pk__in=partner_links.values("writteninput"))

    def _targeting_regions_of(self, user, *, role=None):
        """Q for inputs targeting a review in a region `user` is assigned to (as `role`,
        or in any role when None)."""
        assignments = ReviewerAssignment.objects.filter(user=user)
        if role is not None:
            assignments = assignments.filter(role=role)
        targeting = WrittenInput.target_reviews.through.objects.filter(
            regionalreview__region__in=assignments.values("region")
        ).values("writteninput")
        return Q(pk__in=targeting)

    @staticmethod
    def _ever_submitted():
        # "Sent at least once" is having a version, not a status: a draft withdrawn
        # before it was ever submitted must stay invisible to reviewers.
        versions = WrittenInput._meta.get_field("versions").related_model  # history.py
        return Q(pk__in=versions.objects.values("input"))

    def for_secretariat(self, user):
        """Inputs of the ISCMs `user` is on the secretariat of, as lead or partner."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(self._of_iscms(Membership.objects.filter(user=user).values("iscm")))

    def visible_to(self, user):
        """Every input `user` may see: the single rule.

        - secretariat members: the inputs of their ISCMs, as lead or partner, any state;
        - reviewers and compilers: inputs that target a review of their regions, once
          submitted (never a draft nobody has sent yet);
        - administrators (staff): everything.
        Anonymous visitors see nothing here; public pages use `published()`.
        """
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_staff:
            return self.all()
        my_iscms = Membership.objects.filter(user=user).values("iscm")
        return self.filter(
            self._of_iscms(my_iscms) | (self._targeting_regions_of(user) & self._ever_submitted())
        )

    def reviewable_by(self, user):
        """Inputs `user` may decide on as a reviewer: submitted at least once, and
        targeting a review of a region they are assigned to as reviewer."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        reviewer = ReviewerAssignment.Role.REVIEWER
        return self.filter(
            self._targeting_regions_of(user, role=reviewer) & self._ever_submitted()
        )

    def extendable_by(self, user):
        """Inputs whose deadline `user` may extend: any input not withdrawn that targets
        a region they review, submitted or not (a late draft is who needs it). The page
        shows who and when, never the draft's content."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        reviewer = ReviewerAssignment.Role.REVIEWER
        return self.filter(self._targeting_regions_of(user, role=reviewer)).exclude(
            status=Status.WITHDRAWN
        )

    def editable_by(self, user):
        """Inputs `user` may change now: their ISCMs' inputs in an editable state."""
        return self.for_secretariat(user).filter(status__in=Status.EDITABLE)

    def led_by(self, user):
        """Inputs whose lead ISCM has `user` on its secretariat (submit, withdraw,
        consent are theirs alone)."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(lead_iscm__in=Membership.objects.filter(user=user).values("iscm"))

    def published(self):
        return self.filter(status=Status.PUBLISHED)

    def with_decisions(self):
        """Each input with its target reviews' decisions in region order
        (`target_links`, with review and region): one query for any number of inputs
        and targets (templates/includes/_review_decisions.html)."""
        return self.prefetch_related(
            models.Prefetch(
                "target_links",
                queryset=InputTarget.objects.select_related("regionalreview__region").order_by(
                    "regionalreview__region__code"
                ),
            )
        )


class WrittenInput(models.Model):
    """One ISCM input (direct, or joint with partner ISCMs) to one or more regional
    reviews of a cycle."""

    class Basis(models.TextChoices):
        WRITTEN_INPUT = "written_input", _("Written input following the indicative outline")
        MEETING_OUTCOME = (
            "meeting_outcome",
            _("Outcome of a dedicated ISCM meeting that reviewed GCM objectives or principles"),
        )

    Status = Status

    cycle = models.ForeignKey(
        ReviewCycle, on_delete=models.PROTECT, related_name="inputs", verbose_name=_("cycle")
    )
    lead_iscm = models.ForeignKey(
        ISCM, on_delete=models.PROTECT, related_name="led_inputs", verbose_name=_("lead ISCM")
    )
    # Explicit link tables only to PROTECT the other side: an ISCM that partners an
    # input, or a review an input targets, cannot be deleted (and silently dropped).
    partner_iscms = models.ManyToManyField(
        ISCM,
        blank=True,
        through="InputPartner",
        related_name="partner_inputs",
        verbose_name=_("partner ISCMs"),
    )
    target_reviews = models.ManyToManyField(
        RegionalReview,
        through="InputTarget",
        related_name="inputs",
        verbose_name=_("target regional reviews"),
    )
    title = models.CharField(_("title"), max_length=255)
    language = models.CharField(
        _("language of the content"),
        max_length=5,
        choices=ContentLanguage.choices,
        default=ContentLanguage.ENGLISH,
    )
    basis = models.CharField(
        _("basis"), max_length=20, choices=Basis.choices, default=Basis.WRITTEN_INPUT
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    publication_consent = models.BooleanField(_("consent to publication"), default=False)
    deadline_extension = models.DateField(
        _("deadline extension"),
        null=True,
        blank=True,
        help_text=_("Set by IOM staff: replaces the regional reviews' deadlines for this input."),
    )
    # Optimistic locking: every saved change increments it; a save that started from
    # an older number is refused instead of overwriting someone else's work.
    version = models.PositiveIntegerField(_("edit version"), default=1)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    principles = models.ManyToManyField(
        GuidingPrinciple, blank=True, related_name="inputs", verbose_name=_("guiding principles")
    )
    formats = models.ManyToManyField(
        ContributionFormat,
        blank=True,
        related_name="inputs",
        verbose_name=_("contribution formats"),
    )
    priorities = models.ManyToManyField(
        Priority, blank=True, related_name="inputs", verbose_name=_("priorities")
    )
    challenges = models.ManyToManyField(
        Challenge, blank=True, related_name="inputs", verbose_name=_("challenges")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("last changed by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)
    # Set by workflow.publish_input, cleared by unpublish_input: the public pages sort
    # and filter on them without reading the event history.
    published_at = models.DateTimeField(_("published"), null=True, blank=True, editable=False)
    published_version = models.PositiveIntegerField(
        _("published version"), null=True, blank=True, editable=False
    )
    # Kept by submissions/search.py (the only module that writes or reads them): the
    # plain text of title, sections and objectives, and on PostgreSQL its weighted
    # vector, GIN-indexed (see migration 0003). On SQLite the vector stays empty.
    search_document = models.TextField(_("search text"), blank=True, editable=False)
    search_vector = SearchVectorField(null=True, editable=False)
    # Set by submissions/carryover.py when the draft was started from the ISCM's input to
    # an earlier cycle: the version its text came from, and a digest of each field it
    # carried over ({"section:introduction": sha256, "objective:7:progress": sha256,
    # "principles": sha256, …}). A field whose text still has its digest has not been
    # reviewed yet: the edit page marks it and the checklist warns.
    started_from = models.ForeignKey(
        "submissions.InputVersion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("started from"),
    )
    carried_over = models.JSONField(_("carried over"), default=dict, blank=True, editable=False)
    # Kept by submissions/public_tallies.py (`keep_facet_keys`, in the transaction of
    # each publication, withdrawal or change of a published input): the values the
    # public list's facets count the input under, as "facet:value" ("total:",
    # "cycle:3", "objective:12", "language:fr", "joint:direct", …); empty unless it is
    # published. A filtered list counts its facets from them in one query.
    facet_keys = models.JSONField(_("facet values"), default=list, blank=True, editable=False)

    objects = WrittenInputQuerySet.as_manager()

    class Meta:
        verbose_name = _("written input")
        verbose_name_plural = _("written inputs")
        ordering = ["-updated_at"]
        indexes = [
            models.Index(fields=["status", "cycle"]),
            models.Index(fields=["status", "-published_at"], name="input_public_newest"),
            # The practices list, newest first, reads inputs in this order.
            models.Index(fields=["status", "-published_at", "-id"], name="input_public_newest_id"),
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = self._new_slug()
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("submissions:input-detail", args=[self.pk])

    def get_public_url(self):
        """The contribution's public page (answers 404 unless published)."""
        return reverse("public:contribution-detail", args=[self.slug])

    def _new_slug(self):
        # Readable and stable for public URLs; a short random tail keeps it unique
        # without a query loop and without revealing how many inputs exist.
        base = slugify(f"{self.lead_iscm.slug} {self.cycle.slug} {self.title}")[:80].strip("-")
        return f"{base or 'input'}-{secrets.token_hex(3)}"

    @property
    def is_joint(self) -> bool:
        return bool(self.partner_iscms.all())

    @property
    def is_editable(self) -> bool:
        return self.status in Status.EDITABLE

    @property
    def direction(self) -> str:
        return "rtl" if self.language in RIGHT_TO_LEFT else "ltr"

    def participating_iscms(self) -> list[ISCM]:
        return [self.lead_iscm, *self.partner_iscms.all()]

    def unstaffed_target_reviews(self) -> list[RegionalReview]:
        """The target reviews whose region has no active reviewer yet: nobody would
        hear of the input there until an administrator assigns one."""
        return list(
            self.target_reviews.without_reviewer()
            .select_related("region")
            .order_by("region__code")
        )

    def deadline_for(self, review: RegionalReview):
        """The deadline that applies to this input for `review`: the review's own, or
        the staff extension when that is later (an extension never shortens one).
        None when the review is not scheduled: it takes no inputs, extension or not."""
        if review.deadline is None:
            return None
        if self.deadline_extension and self.deadline_extension > review.deadline:
            return self.deadline_extension
        return review.deadline


class InputPartner(models.Model):
    """A partner ISCM of a joint input (the table Django made for `partner_iscms`)."""

    writteninput = models.ForeignKey(WrittenInput, on_delete=models.CASCADE)
    iscm = models.ForeignKey(ISCM, on_delete=models.PROTECT)

    class Meta:
        db_table = "submissions_writteninput_partner_iscms"
        unique_together = [("writteninput", "iscm")]

    def __str__(self):
        return f"{self.iscm} in {self.writteninput}"


class InputTargetQuerySet(models.QuerySet):
    def accepted_for(self, review):
        """The targets by which `review` accepted an input that is still in play (not
        withdrawn): what the review's package includes, at `decided_version`."""
        return self.filter(
            regionalreview=review,
            decision=Decision.ACCEPTED,
            writteninput__status__in=Status.DECIDED_ON,
        )


class InputTarget(models.Model):
    """A regional review an input is sent to (the table Django made for
    `target_reviews`), with that review's own decision on it. Decisions are taken by
    reviewers of the review's region through `submissions.workflow` only; the input's
    status is derived from them there."""

    writteninput = models.ForeignKey(
        WrittenInput, on_delete=models.CASCADE, related_name="target_links"
    )
    regionalreview = models.ForeignKey(RegionalReview, on_delete=models.PROTECT)
    decision = models.CharField(
        _("decision"), max_length=20, choices=Decision.choices, default=Decision.PENDING
    )
    # The InputVersion number the decision was taken on: a region's package includes
    # the version its reviewers accepted.
    decided_version = models.PositiveIntegerField(_("decided on version"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)

    objects = InputTargetQuerySet.as_manager()

    class Meta:
        db_table = "submissions_writteninput_target_reviews"
        unique_together = [("writteninput", "regionalreview")]
        verbose_name = _("target regional review")
        verbose_name_plural = _("target regional reviews")

    def __str__(self):
        return f"{self.writteninput} → {self.regionalreview}"


class SectionResponse(models.Model):
    """The text of one outline section (narrative, or the free text of the principles
    section) in one input. Markdown subset, rendered through the sanitiser."""

    input = models.ForeignKey(
        WrittenInput, on_delete=models.CASCADE, related_name="section_responses"
    )
    section = models.ForeignKey(OutlineSection, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("text"), blank=True)

    class Meta:
        verbose_name = _("section response")
        verbose_name_plural = _("section responses")
        ordering = ["section__number"]
        constraints = [
            models.UniqueConstraint(fields=["input", "section"], name="one_response_per_section"),
        ]

    def __str__(self):
        return f"{self.input} — {self.section}"


class ObjectiveResponse(models.Model):
    """What an input reports on one GCM objective."""

    input = models.ForeignKey(
        WrittenInput, on_delete=models.CASCADE, related_name="objective_responses"
    )
    objective = models.ForeignKey(GCMObjective, on_delete=models.PROTECT, related_name="responses")
    progress = models.TextField(_("progress"), blank=True)
    practices = models.TextField(_("practices worth sharing"), blank=True)
    challenges = models.TextField(_("challenges"), blank=True)

    TEXT_FIELDS = ("progress", "practices", "challenges")

    class Meta:
        verbose_name = _("objective response")
        verbose_name_plural = _("objective responses")
        ordering = ["objective__number"]
        constraints = [
            models.UniqueConstraint(
                fields=["input", "objective"], name="one_response_per_objective"
            ),
        ]

    def __str__(self):
        return f"{self.input} — {self.objective}"


class AttachmentQuerySet(models.QuerySet):
    def current(self):
        """Attachments of the live input (not removed)."""
        return self.filter(removed_at__isnull=True)


class Attachment(models.Model):
    """A file attached to an input. The type is decided from the bytes (see
    `submissions.uploads`); the stored name is random, never the uploaded one; the
    file is served only through a view that checks access."""

    input = models.ForeignKey(WrittenInput, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("file"), max_length=255)
    title = models.CharField(_("title"), max_length=255)
    display_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("type"), max_length=120)
    size = models.PositiveBigIntegerField(_("size in bytes"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    # Removing an attachment hides it from the draft but keeps the file: a submitted
    # version may refer to it, and versions never change.
    removed_at = models.DateTimeField(_("removed"), null=True, blank=True)

    objects = AttachmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["uploaded_at", "pk"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("submissions:attachment-download", args=[self.pk])
