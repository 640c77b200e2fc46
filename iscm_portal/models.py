from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


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
