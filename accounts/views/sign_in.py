"""Signing in and out and the password pages: Django's own views, set up for the
portal (the e-mail address as login name, the reset e-mail queued, our templates).

Django's views look for `registration/…` templates by default; every one is named here
so the pages live with the rest of accounts in `templates/accounts/sign_in/`.
"""

from django.contrib.auth import views as auth_views

from ..forms import EmailAuthenticationForm, PersonalPasswordResetForm

TEMPLATES = "accounts/sign_in/"

login = auth_views.LoginView.as_view(
    authentication_form=EmailAuthenticationForm,
    redirect_authenticated_user=True,
    template_name=TEMPLATES + "login.html",
)
logout = auth_views.LogoutView.as_view()
password_change = auth_views.PasswordChangeView.as_view(
    template_name=TEMPLATES + "password_change_form.html"
)
password_change_done = auth_views.PasswordChangeDoneView.as_view(
    template_name=TEMPLATES + "password_change_done.html"
)
password_reset = auth_views.PasswordResetView.as_view(
    form_class=PersonalPasswordResetForm,
    # The form queues the e-mail; its templates are accounts.passwords' to name.
    template_name=TEMPLATES + "password_reset_form.html",
)
password_reset_done = auth_views.PasswordResetDoneView.as_view(
    template_name=TEMPLATES + "password_reset_done.html"
)
password_reset_confirm = auth_views.PasswordResetConfirmView.as_view(
    template_name=TEMPLATES + "password_reset_confirm.html"
)
password_reset_complete = auth_views.PasswordResetCompleteView.as_view(
    template_name=TEMPLATES + "password_reset_complete.html"
)
