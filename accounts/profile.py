"""A person's own account: e-mail address changes, confirmed through the new address.

The confirmation link carries a signed, timestamped token naming the account, the
current address and the new one. It works once: after the change the current address
no longer matches. It expires after `settings.EMAIL_CHANGE_DAYS`.
"""

import logging
from functools import partial

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from submissions.emails import send_templated, send_templated_now

from .errors import Refused
from .models import AuditEntry

SALT = "accounts.email-change"
logger = logging.getLogger(__name__)


def _stamp(user) -> int:
    """The latest address change of `user` (0 for none): a link names it, so a link
    sent before any later change is dead even if the address came back to what it
    was (A→C, then C→A must not revive an unconfirmed A→B)."""
    latest = (
        AuditEntry.objects.filter(person=user, action=AuditEntry.Action.EMAIL_CHANGED)
        .order_by("-pk")
        .values_list("pk", flat=True)
        .first()
    )
    return latest or 0


def request_email_change(user, new_email: str) -> None:
    """Send a confirmation link to `new_email`; nothing changes until it is opened
    (the current address is told once the change is made, see confirm_email_change).

    When another account already uses `new_email`, its owner gets a notice instead
    ("someone tried to use your address for another account", in their language) and
    no link; the person asking sees the same outcome either way, so the form does not
    reveal which addresses have accounts. Raises Refused when the mail cannot be sent.
    """
    owner = get_user_model().objects.filter(email__iexact=new_email).first()
    if owner is not None:
        name, recipient = "email_in_use", (owner.email, owner.language)
        context = {"email": owner.email}
    else:
        token = signing.dumps(
            {"user": user.pk, "from": user.email, "to": new_email, "stamp": _stamp(user)},
            salt=SALT,
        )
        name, recipient = "email_change", (new_email, user.language)
        context = {
            "person": user,
            "new_email": new_email,
            "link": settings.SITE_URL + reverse("accounts:email-confirm", args=[token]),
            "days": settings.EMAIL_CHANGE_DAYS,
        }
    # Sent now: if the mail server refuses, the person sees the error and can retry.
    try:
        send_templated_now(name, context, [recipient])
    except Exception as error:
        logger.exception("E-mail change confirmation not sent")
        raise Refused(
            _("The e-mail could not be sent (%(error)s). Try again later.")
            % {"error": error.__class__.__name__}
        ) from error


def confirm_email_change(user, token: str) -> str:
    """Apply the change the link asks for, for the signed-in `user`; returns the new
    address. Refused for a link that is broken, expired, for another account or
    already used, and when the new address was taken meanwhile.
    Side effects: User.email, an audit entry, a notice to the old address."""
    try:
        data = signing.loads(token, salt=SALT, max_age=settings.EMAIL_CHANGE_DAYS * 86400)
    except signing.SignatureExpired:
        raise Refused(_("This confirmation link has expired. Ask for the change again.")) from None
    except signing.BadSignature:
        raise Refused(_("This confirmation link is not valid.")) from None
    if data.get("user") != user.pk:
        raise Refused(
            _(
                "This link is for another account. Sign in with the account that "
                "asked for the change."
            )
        )
    if data.get("from") != user.email or data.get("stamp") != _stamp(user):
        raise Refused(_("This link has been used, or your address changed since it was sent."))
    new_email = data["to"]
    User = get_user_model()
    old_email = user.email
    try:
        with transaction.atomic():
            if User.objects.filter(email__iexact=new_email).exclude(pk=user.pk).exists():
                raise Refused(_("Another account now uses %(email)s.") % {"email": new_email})
            user.email = new_email
            user.save(update_fields=["email"])
            AuditEntry.record(
                AuditEntry.Action.EMAIL_CHANGED,
                actor=user,
                person=user,
                detail=f"{old_email} → {new_email}",
            )
            context = {"person": user, "old_email": old_email, "new_email": new_email}
            transaction.on_commit(
                partial(send_templated, "email_changed", context, [(old_email, user.language)]),
                robust=True,
            )
    except IntegrityError:
        user.email = old_email
        raise Refused(_("Another account now uses %(email)s.") % {"email": new_email}) from None
    return new_email
