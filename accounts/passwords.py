"""Password reset by e-mail, without telling anyone which addresses have accounts.

The reset page (`accounts.forms.PersonalPasswordResetForm`) only queues
`accounts.tasks.send_password_reset` with the typed address: the same work, and so
the same response time, for an address with an account and one without. The task
calls `send_reset_link`, which looks the account up and mails the link, or does
nothing.
The link is built from `settings.SITE_URL`, never from the request's Host header (a
forged Host would otherwise put an attacker's domain in a genuine e-mail). The queue
holds the address only: the token is made when the task runs.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.tokens import default_token_generator
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

SUBJECT = "emails/password_reset_subject.txt"
BODY = "emails/password_reset_body.txt"
HTML_BODY = "emails/password_reset_body.html"


def send_reset_link(email: str, language: str) -> int:
    """Mail a reset link to each active account of `email` with a usable password, in
    the account's interface language (else `language`, the page's). Returns how many
    were sent (0 for an unknown address)."""
    site = urlsplit(settings.SITE_URL)
    form = PasswordResetForm({"email": email})
    if not form.is_valid():
        return 0
    sent = 0
    for user in form.get_users(form.cleaned_data["email"]):
        context = {
            "email": user.email,
            "domain": site.netloc,
            "site_name": site.netloc,
            "protocol": site.scheme,
            "uid": urlsafe_base64_encode(force_bytes(user.pk)),
            "user": user,
            "token": default_token_generator.make_token(user),
        }
        with translation.override(user.language or language or settings.LANGUAGE_CODE):
            form.send_mail(SUBJECT, BODY, context, None, user.email, HTML_BODY)
        sent += 1
    return sent
