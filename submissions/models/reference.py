"""Reference data: regions, ISCMs, the GCM's objectives and principles, the lists
inputs choose from, and the review cycles with their outlines.

Loaded from `fixtures/reference.json` by `manage.py load_reference_data` and edited in
the admin afterwards. Every model has a natural key so the fixture names rows by
their codes, never by database ids.
"""

import datetime

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class NaturalKeyManager(models.Manager):
    """Finds a row by the fields its model lists in NATURAL_KEY (fixtures use it)."""

    def get_by_natural_key(self, *key):
        return self.get(**dict(zip(self.model.NATURAL_KEY, key, strict=True)))


class NaturalKeyModel(models.Model):
    """A model named in fixtures and exports by codes, never by database ids.

    NATURAL_KEY lists lookups such as "code" or "cycle__slug"; the same paths serve
    both to find a row and to write its key.
    """

    NATURAL_KEY: tuple[str, ...] = ()

    objects = NaturalKeyManager()

    class Meta:
        abstract = True

    def natural_key(self):
        values = []
        for path in self.NATURAL_KEY:
            value = self
            for part in path.split("__"):
                value = getattr(value, part)
            values.append(value)
        return tuple(values)


class RegionQuerySet(models.QuerySet):
    def for_regions_of(self, user, *, role: str):
        """The regions `user` is assigned to as `role` ("reviewer" or "compiler")."""
        return self.filter(assignments__user=user, assignments__role=role).distinct()


class Region(NaturalKeyModel):
    """A UN regional commission region; the regional reviews are held per region."""

    code = models.CharField(
        _("code"),
        max_length=8,
        unique=True,
        validators=[RegexValidator(r"^[A-Z]+$", _("Use capital letters only, e.g. ECLAC."))],
    )
    name = models.CharField(_("name"), max_length=200)
    commission = models.CharField(_("regional commission"), max_length=200)
    package_language = models.CharField(
        _("language of the package"),
        max_length=10,
        choices=settings.LANGUAGES,
        default="en",
        help_text=_("The language its regional packages are compiled in unless a review says."),
    )

    NATURAL_KEY = ("code",)

    objects = NaturalKeyManager.from_queryset(RegionQuerySet)()

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["code"]

    def __str__(self):
        return f"{self.code} — {self.name}"


class ISCM(NaturalKeyModel):
    """An inter-State consultation mechanism on migration."""

    class Kind(models.TextChoices):
        RCP = "RCP", _("Regional consultative process")
        IRF = "IRF", _("Interregional forum")
        GLOBAL = "GLOBAL", _("Global process")

    name = models.CharField(_("name"), max_length=255)
    # Where the ISCM has no official name in the page's language, the page shows its
    # name in this language (its own), marked with it; English when it has none.
    original_language = models.CharField(
        _("language of its own name"),
        max_length=10,
        choices=settings.LANGUAGES,
        default="en",
        help_text=_("Shown where it has no official name in the page's language."),
    )
    acronym = models.CharField(_("acronym"), max_length=50, unique=True)
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    regions = models.ManyToManyField(
        Region,
        related_name="iscms",
        verbose_name=_("regions"),
        help_text=_(
            "Derived from membership: an ISCM whose member States span several regions "
            "contributes to each region's review."
        ),
    )
    secretariat_host = models.CharField(_("secretariat"), max_length=255, blank=True)
    website = models.URLField(_("website"), blank=True)
    year_established = models.PositiveSmallIntegerField(
        _("year established"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1900), MaxValueValidator(2100)],
    )
    description = models.TextField(_("short description"), blank=True)
    note = models.CharField(
        _("note"),
        max_length=255,
        blank=True,
        help_text=_(
            "Caveats shown with the profile, e.g. 'dormant since 2016' or an unverified fact."
        ),
    )

    NATURAL_KEY = ("slug",)

    class Meta:
        verbose_name = _("ISCM")
        verbose_name_plural = _("ISCMs")
        ordering = ["acronym"]

    def __str__(self):
        return self.acronym

    def get_absolute_url(self):
        return reverse("public:iscm-detail", args=[self.slug])


class RoundTable(models.IntegerChoices):
    """The four thematic round tables of the regional reviews and the IMRF."""

    REGULAR = 1, _("Ensuring that migration is voluntary, orderly and regular")
    PROTECTION = 2, _("Protecting migrants through rights-based border governance measures")
    INTEGRATION = (
        3,
        _("Supporting the integration of migrants and their contribution to development"),
    )
    POLICYMAKING = (
        4,
        _(
            "Improving value- and evidence-based policymaking and public debate, and "
            "enhancing cooperation on migration"
        ),
    )


class GCMObjective(NaturalKeyModel):
    number = models.PositiveSmallIntegerField(
        _("number"), unique=True, validators=[MinValueValidator(1), MaxValueValidator(23)]
    )
    title = models.CharField(_("title"), max_length=255)
    short_title = models.CharField(_("short title"), max_length=80)
    round_table = models.PositiveSmallIntegerField(_("round table"), choices=RoundTable.choices)

    NATURAL_KEY = ("number",)

    class Meta:
        verbose_name = _("GCM objective")
        verbose_name_plural = _("GCM objectives")
        ordering = ["number"]
        constraints = [
            models.CheckConstraint(
                condition=Q(number__gte=1) & Q(number__lte=23), name="objective_number_1_23"
            ),
            models.CheckConstraint(
                condition=Q(round_table__gte=1) & Q(round_table__lte=4),
                name="objective_round_table_1_4",
            ),
        ]

    def __str__(self):
        return f"{self.number}. {self.short_title}"

    def get_absolute_url(self):
        return reverse("public:objective-detail", args=[self.number])


class GuidingPrinciple(NaturalKeyModel):
    """One of the ten cross-cutting guiding principles (GCM para. 15, a–j)."""

    letter = models.CharField(
        _("letter"),
        max_length=1,
        unique=True,
        validators=[RegexValidator(r"^[a-j]$", _("A letter from a to j."))],
    )
    title = models.CharField(_("title"), max_length=120)

    NATURAL_KEY = ("letter",)

    class Meta:
        verbose_name = _("guiding principle")
        verbose_name_plural = _("guiding principles")
        ordering = ["letter"]
        constraints = [
            models.CheckConstraint(
                condition=Q(letter__in=list("abcdefghij")), name="principle_letter_a_j"
            ),
        ]

    def __str__(self):
        return f"({self.letter}) {self.title}"


class ChoiceList(NaturalKeyModel):
    """A short list inputs tick from (formats, priorities, challenges)."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    NATURAL_KEY = ("slug",)

    class Meta:
        abstract = True
        ordering = ["position", "name"]

    def __str__(self):
        return self.name


class ContributionFormat(ChoiceList):
    class Meta(ChoiceList.Meta):
        verbose_name = _("contribution format")
        verbose_name_plural = _("contribution formats")


class Priority(ChoiceList):
    class Meta(ChoiceList.Meta):
        verbose_name = _("priority")
        verbose_name_plural = _("priorities")


class Challenge(ChoiceList):
    class Meta(ChoiceList.Meta):
        verbose_name = _("challenge")
        verbose_name_plural = _("challenges")


class Outline(NaturalKeyModel):
    """The Indicative outline as data. Input forms are generated from its sections, so
    a new round's outline needs no code change."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    description = models.TextField(_("description"), blank=True)

    NATURAL_KEY = ("slug",)

    class Meta:
        verbose_name = _("outline")
        verbose_name_plural = _("outlines")
        ordering = ["name"]

    def __str__(self):
        return self.name


class OutlineSection(NaturalKeyModel):
    class Kind(models.TextChoices):
        NARRATIVE = "narrative", _("Narrative text")
        OBJECTIVES = "objectives", _("GCM objectives")
        PRINCIPLES = "principles", _("Guiding principles")

    outline = models.ForeignKey(
        Outline, on_delete=models.CASCADE, related_name="sections", verbose_name=_("outline")
    )
    number = models.PositiveSmallIntegerField(_("number"))
    # The same part of the outline keeps its key from cycle to cycle, whatever its number
    # or title there: what an input wrote under it is carried over and compared by key.
    key = models.SlugField(
        _("key"),
        max_length=60,
        help_text=_(
            "Stays the same for the same part of the outline in every cycle "
            "(e.g. introduction), so texts are carried over and compared across cycles."
        ),
    )
    title = models.CharField(_("title"), max_length=255)
    guidance = models.TextField(_("guidance"), blank=True)
    required = models.BooleanField(_("required"), default=True)
    word_limit = models.PositiveIntegerField(
        _("word limit"),
        null=True,
        blank=True,
        help_text=_("For the objectives section, the limit applies to each objective."),
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.NARRATIVE)

    NATURAL_KEY = ("outline__slug", "number")

    class Meta:
        verbose_name = _("outline section")
        verbose_name_plural = _("outline sections")
        ordering = ["outline", "number"]
        constraints = [
            models.UniqueConstraint(fields=["outline", "number"], name="outline_section_number"),
            models.UniqueConstraint(fields=["outline", "key"], name="outline_section_key"),
        ]

    def __str__(self):
        return f"{self.number}. {self.title}"


class ReviewCycleQuerySet(models.QuerySet):
    def current(self):
        """The active cycle, or None when IOM has not opened one."""
        return self.filter(active=True).first()


class ReviewCycle(NaturalKeyModel):
    """A round of GCM regional reviews (2020–2021, 2024–2025, …)."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    start_year = models.PositiveSmallIntegerField(_("first year"))
    end_year = models.PositiveSmallIntegerField(_("last year"))
    outline = models.ForeignKey(
        Outline, on_delete=models.PROTECT, related_name="cycles", verbose_name=_("outline")
    )
    active = models.BooleanField(
        _("current round"),
        default=False,
        help_text=_("The round the portal presents as current. Only one may be current."),
    )

    NATURAL_KEY = ("slug",)
    objects = NaturalKeyManager.from_queryset(ReviewCycleQuerySet)()

    class Meta:
        verbose_name = _("review cycle")
        verbose_name_plural = _("review cycles")
        ordering = ["-start_year"]
        constraints = [
            models.UniqueConstraint(
                fields=["active"], condition=Q(active=True), name="one_current_cycle"
            ),
            models.CheckConstraint(
                condition=Q(end_year__gte=models.F("start_year")), name="cycle_years_in_order"
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.years})"

    @property
    def years(self):
        if self.start_year == self.end_year:
            return str(self.start_year)
        return f"{self.start_year}–{self.end_year}"


class RegionalReviewQuerySet(models.QuerySet):
    def open_on(self, day: datetime.date):
        """Reviews taking inputs on `day`: submission opened and deadline not passed."""
        return self.filter(submission_opens__lte=day, deadline__gte=day)

    def compilable_by(self, user):
        """The reviews whose packages `user` compiles: those of the regions they are
        compiler for (a review outside them is a 404 on the package pages)."""
        regions = self.model._meta.get_field("region").related_model.objects.for_regions_of(
            user, role="compiler"
        )
        return self.filter(region__in=regions)

    def without_reviewer(self):
        """Reviews whose region has no active reviewer: nobody there would hear of an
        input sent to them until an administrator assigns one."""
        assignments = self.model._meta.apps.get_model("submissions", "ReviewerAssignment")
        staffed = assignments.objects.filter(role="reviewer", user__is_active=True)
        return self.exclude(region__in=staffed.values("region"))


class RegionalReview(NaturalKeyModel):
    """One region's review in one cycle. Written inputs target regional reviews."""

    class Status(models.TextChoices):
        NOT_SCHEDULED = "not_scheduled", _("Not yet scheduled")
        UPCOMING = "upcoming", _("Opens soon")
        OPEN = "open", _("Open for inputs")
        CLOSED = "closed", _("Closed for inputs")
        HELD = "held", _("Review meeting held")

    cycle = models.ForeignKey(
        ReviewCycle,
        on_delete=models.PROTECT,
        related_name="regional_reviews",
        verbose_name=_("cycle"),
    )
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="reviews", verbose_name=_("region")
    )
    submission_opens = models.DateField(_("submission opens"), null=True, blank=True)
    deadline = models.DateField(_("submission deadline"), null=True, blank=True)
    meeting_date = models.DateField(_("review meeting"), null=True, blank=True)
    note = models.CharField(
        _("note"),
        max_length=255,
        blank=True,
        help_text=_("Shown with the dates, e.g. when a date is an example or not verified."),
    )
    package_language = models.CharField(
        _("language of the package"),
        max_length=10,
        choices=settings.LANGUAGES,
        blank=True,
        help_text=_("Empty: the region's language (ECLAC Spanish, ESCWA Arabic, others English)."),
    )

    NATURAL_KEY = ("cycle__slug", "region__code")
    objects = NaturalKeyManager.from_queryset(RegionalReviewQuerySet)()

    class Meta:
        verbose_name = _("regional review")
        verbose_name_plural = _("regional reviews")
        ordering = ["cycle", "region__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["cycle", "region"], name="one_review_per_region_cycle"
            ),
            models.CheckConstraint(
                condition=Q(submission_opens__isnull=True)
                | Q(deadline__isnull=True)
                | Q(submission_opens__lte=models.F("deadline")),
                name="review_opens_before_deadline",
            ),
        ]

    def __str__(self):
        return f"{self.region.code} review, {self.cycle.years}"

    @property
    def default_package_language(self) -> str:
        """The language a package is compiled in when the compiler does not choose."""
        return self.package_language or self.region.package_language

    def status_on(self, day: datetime.date) -> "RegionalReview.Status":
        """Derived from the dates, never stored, so it cannot go stale."""
        if self.meeting_date and day > self.meeting_date:
            return self.Status.HELD
        if self.deadline is None or self.submission_opens is None:
            return self.Status.NOT_SCHEDULED
        if day < self.submission_opens:
            return self.Status.UPCOMING
        if day <= self.deadline:
            return self.Status.OPEN
        return self.Status.CLOSED

    def days_left_on(self, day: datetime.date) -> int | None:
        """Whole days until the deadline (0 on the deadline day), None when unscheduled."""
        if self.deadline is None:
            return None
        return (self.deadline - day).days
