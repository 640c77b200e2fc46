"""People: the `User` who signs in, invitations and the audit trail of access changes.

Who may do what is in `submissions.models.Membership` / `ReviewerAssignment` (see
`submissions.roles`); these models record who people are, how they got there and who
changed it.
"""

import hashlib
import hmac

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device, ThrottlingMixin, TimestampMixin

from submissions.models import ISCM, Region


class UserManager(BaseUserManager):
    use_in_migrations = True

    def get_by_natural_key(self, email):
        # People type their address with whatever capitals they like; one account per
        # address regardless of case (enforced by the constraint on the model too).
        return self.get(email__iexact=email)

    def with_email(self, email):
        """The account of `email` whatever its capitals, or None."""
        return self.filter(email__iexact=email).first()

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).strip(), **extra_fields)
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        if not extra_fields["is_staff"] or not extra_fields["is_superuser"]:
            raise ValueError("A superuser must have is_staff and is_superuser set.")
        return self._create_user(email, password, **extra_fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in. The e-mail address is the login name.

    What a person may do follows from their ISCM memberships and region assignments
    (see `submissions.roles`), not from fields here; `is_staff` marks IOM portal
    administrators, who may use the Django admin.
    """

    email = models.EmailField(_("e-mail address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=150, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(
        _("administrator"),
        default=False,
        help_text=_("May sign in to the Django admin."),
    )
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)
    language = models.CharField(
        _("interface language"),
        max_length=10,
        choices=settings.LANGUAGES,
        blank=True,
        help_text=_(
            "The language of the portal's pages and of the e-mails you receive. Empty: "
            "your browser's choice for pages, English for e-mails."
        ),
    )
    # Notifications a person may turn off. The ones the workflow needs cannot be: the
    # decisions on your ISCMs' inputs (changes requested, accepted, declined), their
    # publication and unpublication, and account mail (invitations, e-mail
    # confirmation, password reset). `submissions.emails.OPTIONAL_NOTIFICATIONS` maps
    # each e-mail to the field that governs it.
    notify_colleague_actions = models.BooleanField(
        _("when a colleague submits or withdraws an input of my ISCMs"), default=True
    )
    notify_deadline_reminders = models.BooleanField(
        _("reminders before the deadline of a regional review"), default=True
    )
    notify_new_inputs = models.BooleanField(
        _("when an input reaches my regions for review, or is withdrawn from it"),
        default=True,
    )

    objects = UserManager()

    EMAIL_FIELD = "email"
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["email"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_unique_ci"),
        ]

    def __str__(self):
        return self.full_name or self.email

    def clean(self):
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email).strip()

    def get_full_name(self):
        return self.full_name or self.email

    def get_short_name(self):
        return self.full_name.split(" ")[0] if self.full_name else self.email


def token_digest(token: str) -> str:
    """What is stored of a link's token: its SHA-256. The token itself is only in the
    e-mail, so a copy of the database cannot be turned into working links."""
    return hashlib.sha256(token.encode()).hexdigest()


class InvitationQuerySet(models.QuerySet):
    def pending(self, now=None):
        now = now or timezone.now()
        return self.filter(accepted_at=None, revoked_at=None, expires_at__gt=now)

    def with_status(self, status: str, now=None):
        now = now or timezone.now()
        Status = Invitation.Status
        if status == Status.ACCEPTED:
            return self.exclude(accepted_at=None)
        if status == Status.REVOKED:
            return self.filter(accepted_at=None).exclude(revoked_at=None)
        if status == Status.EXPIRED:
            return self.filter(accepted_at=None, revoked_at=None, expires_at__lte=now)
        if status == Status.PENDING:
            return self.pending(now)
        return self

    def managed_by(self, user):
        """The invitations `user` may see, resend and revoke: all of them for an
        administrator; for a team lead, the secretariat invitations to their led ISCMs
        only (an invitation to several ISCMs needs the lead of each)."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_staff:
            return self
        led = ISCM.objects.filter(memberships__user=user, memberships__is_lead=True)
        return (
            self.filter(role=Invitation.Role.SECRETARIAT, iscms__in=led)
            .exclude(iscms__in=ISCM.objects.exclude(pk__in=led))
            .distinct()
        )


class Invitation(models.Model):
    """An invitation to the portal with one role, sent by e-mail as a single-use link
    that expires. Accepting it creates the account (or, for an existing account, just
    adds the role)."""

    class Role(models.TextChoices):
        SECRETARIAT = "secretariat", _("Secretariat of ISCMs")
        REVIEWER = "reviewer", _("Reviewer for regions")
        COMPILER = "compiler", _("Compiler for regions")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        ACCEPTED = "accepted", _("Accepted")
        EXPIRED = "expired", _("Expired")
        REVOKED = "revoked", _("Revoked")

    email = models.EmailField(_("e-mail address"))
    role = models.CharField(_("role"), max_length=12, choices=Role.choices)
    iscms = models.ManyToManyField(ISCM, blank=True, related_name="+", verbose_name=_("ISCMs"))
    regions = models.ManyToManyField(
        Region, blank=True, related_name="+", verbose_name=_("regions")
    )
    as_lead = models.BooleanField(_("as team lead"), default=False)
    language = models.CharField(
        _("language of the invitation"), max_length=10, choices=settings.LANGUAGES
    )
    token_digest = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="invitations_sent",
        verbose_name=_("invited by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    sent_at = models.DateTimeField(_("last sent"))
    send_count = models.PositiveSmallIntegerField(_("times sent"), default=1)
    expires_at = models.DateTimeField(_("expires"))
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("accepted by"),
    )
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("revoked by"),
    )

    objects = InvitationQuerySet.as_manager()

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["email"], name="invitation_email")]

    def __str__(self):
        return f"{self.email} ({self.get_role_display()})"

    def status_at(self, now) -> str:
        if self.accepted_at:
            return self.Status.ACCEPTED
        if self.revoked_at:
            return self.Status.REVOKED
        if self.expires_at <= now:
            return self.Status.EXPIRED
        return self.Status.PENDING

    @property
    def status(self) -> str:
        return self.status_at(timezone.now())

    def get_status_display(self) -> str:
        return self.Status(self.status).label

    @property
    def is_open(self) -> bool:
        """Neither accepted nor revoked: it can be sent again (an expired one too)."""
        return self.accepted_at is None and self.revoked_at is None

    def scope(self) -> list:
        """The ISCMs or regions the role is for (from prefetched rows where present)."""
        if self.role == self.Role.SECRETARIAT:
            return list(self.iscms.all())
        return list(self.regions.all())


class AuditEntry(models.Model):
    """One change to who may do what: who did it, to whom, where, when. Written by the
    domain functions of `accounts` (invitations, teams, staffing, twofactor), never
    updated or deleted by the portal."""

    class Action(models.TextChoices):
        INVITED = "invited", _("Invitation sent")
        INVITATION_RESENT = "invitation_resent", _("Invitation sent again")
        INVITATION_REVOKED = "invitation_revoked", _("Invitation revoked")
        INVITATION_ACCEPTED = "invitation_accepted", _("Invitation accepted")
        ACCOUNT_CREATED = "account_created", _("Account created")
        MEMBER_ADDED = "member_added", _("Added to a secretariat")
        MEMBER_REMOVED = "member_removed", _("Removed from a secretariat")
        LEAD_GIVEN = "lead_given", _("Made team lead")
        LEAD_TAKEN = "lead_taken", _("No longer team lead")
        ASSIGNMENT_ADDED = "assignment_added", _("Assigned to a region")
        ASSIGNMENT_REMOVED = "assignment_removed", _("Assignment to a region removed")
        DEACTIVATED = "deactivated", _("Account deactivated")
        REACTIVATED = "reactivated", _("Account reactivated")
        EMAIL_CHANGED = "email_changed", _("E-mail address changed")
        SECOND_FACTOR_ENROLLED = "second_factor_enrolled", _("Second factor enrolled")
        SECOND_FACTOR_REMOVED = "second_factor_removed", _("Second factor removed")
        RECOVERY_CODES_RENEWED = "recovery_codes_renewed", _("Recovery codes renewed")
        ADMINISTRATOR_RIGHTS = "administrator_rights", _("Administrator rights changed")

    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    action = models.CharField(_("what"), max_length=32, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="audit_entries",
        verbose_name=_("person"),
    )
    email = models.EmailField(_("e-mail address"), blank=True)
    iscm = models.ForeignKey(
        ISCM, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    detail = models.CharField(_("detail"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit trail")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.get_action_display()}"

    @classmethod
    def record(
        cls, action, *, actor=None, person=None, email="", iscm=None, region=None, detail=""
    ):
        return cls.objects.create(
            action=action,
            actor=actor,
            person=person,
            email=email or (person.email if person is not None else ""),
            iscm=iscm,
            region=region,
            detail=detail[:300],
        )


RECOVERY_CODE_KEY_SALT = "accounts.recovery-code"


def recovery_code_digest(code: str, *, secret=None) -> str:
    """What is stored of a recovery code: an HMAC-SHA256 of its normalised form (no
    spaces or hyphens, lower case), keyed with a key derived from SECRET_KEY (or from
    `secret`, one of SECRET_KEY_FALLBACKS). Keyed because a plain hash of a short code
    can be reversed by trying every code: a copy of the database without the secret
    key gives nothing to try codes against. A slow password hasher would only make
    every sign-in with a code slower."""
    return salted_hmac(
        RECOVERY_CODE_KEY_SALT, normalise_code(code), secret=secret, algorithm="sha256"
    ).hexdigest()


def recovery_code_digests(code: str) -> list[str]:
    """The digests `code` may be stored under: with the current secret key first,
    then with each of SECRET_KEY_FALLBACKS, so codes outlive a key rotation for as
    long as the old key stays among the fallbacks."""
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return [recovery_code_digest(code, secret=secret) for secret in secrets]


def normalise_code(code: str) -> str:
    return "".join(str(code).split()).replace("-", "").lower()


class RecoveryCodeDevice(TimestampMixin, ThrottlingMixin, Device):
    """A person's recovery codes, as one django-otp device: each code works once, in
    place of a code from the authenticator. Only digests are stored (`RecoveryCode`);
    the codes themselves are shown once, when they are made. Replaces django-otp's
    `StaticDevice`, which keeps its tokens in plain text."""

    class Meta:
        verbose_name = _("recovery codes")
        verbose_name_plural = _("recovery codes")

    def get_throttle_factor(self):
        return getattr(settings, "OTP_STATIC_THROTTLE_FACTOR", 1)

    def verify_token(self, token) -> bool:
        """Whether `token` is one of the unused codes; if so it is used up.

        Every stored digest is compared in constant time (no early exit that would
        time which one matched), and the match is spent by a conditional DELETE: of
        two sign-ins with the same code at the same moment, only the one whose DELETE
        removed the row succeeds."""
        allowed, _details = self.verify_is_allowed()
        if not allowed:
            return False
        digests = recovery_code_digests(token)
        match = None
        for pk, stored in self.codes.values_list("pk", "digest"):
            for digest in digests:
                if hmac.compare_digest(stored, digest):
                    match = pk
        if match is not None and RecoveryCode.objects.filter(pk=match).delete()[0]:
            self.throttle_reset(commit=False)
            self.set_last_used_timestamp(commit=False)
            self.save()
            return True
        self.throttle_increment()
        return False


class RecoveryCode(models.Model):
    """One unused recovery code of a person, as its keyed digest
    (`recovery_code_digest`)."""

    device = models.ForeignKey(RecoveryCodeDevice, on_delete=models.CASCADE, related_name="codes")
    digest = models.CharField(max_length=64, editable=False)

    class Meta:
        verbose_name = _("recovery code")
        verbose_name_plural = _("recovery codes")

    def __str__(self):
        return f"{self.device} #{self.pk}"
