from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.utils import translation
from django.utils.translation import gettext_lazy as _


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
    """Django's password reset, mailed in the person's own interface language (the
    page's language when they chose none)."""

    def send_mail(self, subject_template_name, email_template_name, context, *args, **kwargs):
        language = context["user"].language or translation.get_language()
        with translation.override(language):
            super().send_mail(subject_template_name, email_template_name, context, *args, **kwargs)
