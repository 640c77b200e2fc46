"""Forms of the accounts pages. Rules (who may grant what) are checked by the domain
functions, not here; forms check the shape of what was typed."""

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from submissions.forms import IdChoiceField, IdMultipleChoiceField
from submissions.languages import plain
from submissions.models import ISCM, Region, ReviewerAssignment

from .models import Invitation
from .tasks import send_password_reset

CHECKBOXES = forms.CheckboxSelectMultiple


class EmailAuthenticationForm(AuthenticationForm):
    """Django's sign-in form, asking for the e-mail address by its name."""

    username = forms.EmailField(
        label=_("E-mail address"),
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _(
            "That e-mail address and password do not match an account. Check both and "
            "try again; the password is case-sensitive."
        ),
    }


class PersonalPasswordResetForm(PasswordResetForm):
    """Django's password reset form; saving it only queues the e-mail (see
    accounts.passwords): the same work for every address, the link built from
    SITE_URL, the message in the person's own language (the page's when they chose
    none)."""

    def save(self, *args, **kwargs):
        # The queue holds the typed address only: the task looks the account up and
        # makes the token when it runs (accounts.passwords.send_reset_link).
        send_password_reset.enqueue(
            email=self.cleaned_data["email"], language=translation.get_language()
        )


class InvitationForm(forms.Form):
    """An administrator's invitation: address, one role and its scope."""

    email = forms.EmailField(label=_("E-mail address"), max_length=254)
    role = forms.ChoiceField(
        label=_("Role"), choices=Invitation.Role.choices, widget=forms.RadioSelect
    )
    iscms = IdMultipleChoiceField(
        label=_("ISCMs (for a secretariat role)"),
        queryset=ISCM.objects.order_by("acronym"),
        required=False,
        widget=CHECKBOXES,
    )
    as_lead = forms.BooleanField(
        label=_("Make them team lead of these ISCMs"),
        required=False,
        help_text=_("The first member of a team without a lead leads it in any case."),
    )
    regions = IdMultipleChoiceField(
        label=_("Regions (for a reviewer or compiler role)"),
        queryset=Region.objects.order_by("code"),
        required=False,
        widget=CHECKBOXES,
    )
    language = forms.ChoiceField(
        label=_("Language of the invitation e-mail"), choices=settings.LANGUAGES
    )

    def clean(self):
        data = super().clean()
        role = data.get("role")
        if role == Invitation.Role.SECRETARIAT and not data.get("iscms"):
            self.add_error("iscms", _("Choose at least one ISCM for a secretariat role."))
        if role in (Invitation.Role.REVIEWER, Invitation.Role.COMPILER) and not data.get(
            "regions"
        ):
            self.add_error("regions", _("Choose at least one region for this role."))
        return data


class TeamInvitationForm(forms.Form):
    """A lead invites a colleague to their ISCM: the address is all they choose."""

    email = forms.EmailField(label=_("Colleague's e-mail address"), max_length=254)


class NewAccountForm(forms.Form):
    """Accepting an invitation without an account: a name and a password."""

    full_name = forms.CharField(label=_("Your full name"), max_length=150)
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, email: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.email = email

    def clean_full_name(self):
        name = self.cleaned_data["full_name"].strip()
        if not name:
            raise forms.ValidationError(_("Enter your name."))
        if "\x00" in name:
            raise forms.ValidationError(_("The name holds a character that cannot be stored."))
        return name

    def clean(self):
        data = super().clean()
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("The two passwords differ. Type the same one twice."))
        elif first:
            user = get_user_model()(email=self.email, full_name=data.get("full_name", ""))
            try:
                password_validation.validate_password(first, user)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return data


class ProfileForm(forms.ModelForm):
    class Meta:
        model = get_user_model()
        fields = [
            "full_name",
            "language",
            "notify_colleague_actions",
            "notify_deadline_reminders",
            "notify_new_inputs",
        ]

    def __init__(self, *args, roles, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["full_name"].required = True
        self.fields["language"].choices = [("", _("As my browser asks")), *settings.LANGUAGES]
        # Only the notifications that can reach the person are offered.
        if not roles.secretariat:
            del self.fields["notify_colleague_actions"]
            del self.fields["notify_deadline_reminders"]
        if not roles.reviewer:
            del self.fields["notify_new_inputs"]

    def clean_full_name(self):
        name = self.cleaned_data["full_name"].strip()
        if "\x00" in name:
            raise forms.ValidationError(_("The name holds a character that cannot be stored."))
        return name


class EmailChangeForm(forms.Form):
    email = forms.EmailField(label=_("New e-mail address"), max_length=254)
    password = forms.CharField(
        label=_("Your current password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("That is not your current password."))
        return password

    def clean_email(self):
        email = get_user_model().objects.normalize_email(self.cleaned_data["email"]).strip()
        if email.lower() == self.user.email.lower():
            raise forms.ValidationError(_("That is already your address."))
        # An address another account uses is not refused here: saying so would tell
        # anyone signed in which addresses have accounts. The owner of that address
        # gets a notice instead (accounts.profile.request_email_change).
        return email


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=40,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}
        ),
    )


class MembershipAddForm(forms.Form):
    iscm = IdChoiceField(label=_("ISCM"), queryset=ISCM.objects.order_by("acronym"))
    as_lead = forms.BooleanField(label=_("As team lead"), required=False)


class AssignmentAddForm(forms.Form):
    region = IdChoiceField(label=_("Region"), queryset=Region.objects.order_by("code"))
    role = forms.ChoiceField(label=_("Role"), choices=ReviewerAssignment.Role.choices)


class HandOverForm(forms.Form):
    member = IdChoiceField(label=_("New lead"), queryset=None)

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = members
        self.fields["member"].label_from_instance = lambda m: (
            f"{plain(m.user.get_full_name())} <{m.user.email}>"
        )


class ExistingAccountField(forms.EmailField):
    """An e-mail address that must belong to an active account; cleans to the User."""

    default_error_messages = {
        "unknown": _("No account uses this address. Invite the person instead."),
        "inactive": _("This account is deactivated. Reactivate it first."),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 254)
        super().__init__(**kwargs)

    def clean(self, value):
        email = super().clean(value)
        if not email:
            return None
        user = get_user_model().objects.with_email(email)
        if user is None:
            raise forms.ValidationError(self.error_messages["unknown"], code="unknown")
        if not user.is_active:
            raise forms.ValidationError(self.error_messages["inactive"], code="inactive")
        return user


class AssignByEmailForm(forms.Form):
    """Staff's region page: assign an existing account to the region."""

    person = ExistingAccountField(label=_("E-mail address of the person"))
    role = forms.ChoiceField(label=_("Role"), choices=ReviewerAssignment.Role.choices)


class MemberByEmailForm(forms.Form):
    """An administrator on a team page: put an existing account on the team."""

    person = ExistingAccountField(label=_("E-mail address of the person"))
    as_lead = forms.BooleanField(label=_("As team lead"), required=False)
