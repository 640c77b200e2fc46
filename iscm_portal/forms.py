from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from accounts.passwords import request_reset


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
        request_reset(self.cleaned_data["email"], language=translation.get_language())
