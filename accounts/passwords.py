"""Password reset by e-mail, without telling anyone which addresses have accounts.

The reset page (`accounts.forms.PersonalPasswordResetForm`) only queues
`accounts.tasks.send_password_reset` with the typed address: the same work, and so
the same response time, for an address with an account and one without. The task
calls `send_reset_link`, which looks the account up and mails the link, or does
nothing.
The link is built from `settings.SITE_URL`, never from the request's Host header (a
forged Host would otherwise put an attacker's domain in a genuine e-mail). The queue
holds the address only, and so does the outbox (`submissions.outbox`): the token is
made when the message is sent, afresh at each attempt.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from submissions import outbox
from submissions.models import OutgoingEmail

SUBJECT = "emails/password_reset_subject.txt"
BODY = "emails/password_reset_body.txt"
HTML_BODY = "emails/password_reset_body.html"


def send_reset_link(email: str, language: str) -> int:
    """Mail a reset link to each active account of `email` with a usable password, in
    the account's interface language (else `language`, the page's), through the outbox
    (`submissions.outbox`: retried when the mail server refuses). The outbox stores no
    link: `reset_message` makes it, with a fresh token, at each attempt. Returns how
    many were sent at once (0 for an unknown address)."""
    form = PasswordResetForm({"email": email})
    if not form.is_valid():
        return 0
    rows = []
    for user in form.get_users(form.cleaned_data["email"]):
        user_language = user.language or language or settings.LANGUAGE_CODE
        with translation.override(user_language):
            subject = "".join(render_to_string(SUBJECT, {"user": user}).splitlines())
        rows.append(
            OutgoingEmail(
                template="password_reset",
                to=user.email,
                language=user_language,
                subject=subject,
                render_args={"user": user.pk, "email": user.email, "language": user_language},
            )
        )
    return outbox.queue(rows)


def reset_message(*, user: int, email: str, language: str) -> EmailMultiAlternatives | None:
    """The reset e-mail for account `user` at `email`, with a fresh token; None when
    the account may no longer reset its password there (deactivated, no usable
    password, another address)."""
    account = get_user_model().objects.filter(pk=user, email=email, is_active=True).first()
    if account is None or not account.has_usable_password():
        return None
    site = _site()
    context = {
        "email": account.email,
        "domain": site.netloc,
        "site_name": site.netloc,
        "protocol": site.scheme,
        "uid": urlsafe_base64_encode(force_bytes(account.pk)),
        "user": account,
        "token": default_token_generator.make_token(account),
    }
    with translation.override(language):
        subject = "".join(render_to_string(SUBJECT, context).splitlines())
        message = EmailMultiAlternatives(subject, render_to_string(BODY, context), to=[email])
        message.attach_alternative(render_to_string(HTML_BODY, context), "text/html")
    return message


def _site():
    return urlsplit(settings.SITE_URL)
