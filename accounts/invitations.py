"""Invitations: how people come into the portal.

An administrator invites a person by e-mail with one role (secretariat of ISCMs,
reviewer or compiler for regions); a team lead invites colleagues to the ISCMs they
lead (`accounts.rules.may_invite`). The e-mail holds a single-use link that expires
after `settings.INVITATION_DAYS`; only a digest of its token is stored. Opening the
link shows nothing but the invitation itself; accepting it creates the account (name
and password) or, for an existing account, adds the role.
"""

import datetime
import logging
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from submissions.emails import send_templated_now
from submissions.models import Membership, ReviewerAssignment
from submissions.roles import sync_role_groups

from . import rules, staffing
from .errors import Refused
from .models import AuditEntry, Invitation, token_digest
from .teams import join_locked_team, lock_team

logger = logging.getLogger(__name__)


def _new_token() -> tuple[str, str]:
    token = secrets.token_urlsafe(32)
    return token, token_digest(token)


def _expiry(now):
    return now + datetime.timedelta(days=settings.INVITATION_DAYS)


def _describe(role, iscms, regions) -> str:
    names = (
        [i.acronym for i in iscms]
        if role == Invitation.Role.SECRETARIAT
        else [r.code for r in regions]
    )
    return f"{Invitation.Role(role).label}: {', '.join(names)}"


def create_invitation(
    *, by, email: str, role: str, iscms=(), regions=(), as_lead=False, language=None
) -> Invitation:
    """Invite `email` with `role` for `iscms` (secretariat) or `regions` (reviewer,
    compiler).

    Refused (Refused, with the reason) when `by` may not grant this role and scope,
    when the scope is empty, when the address belongs to a deactivated account, when
    a secretariat invitation is for IOM staff or an administrator, when
    the person already has the whole role, or when an open invitation to the same
    address and role is pending (send that one again instead).
    Side effects: the Invitation, an audit entry, the e-mail after commit."""
    email = get_user_model().objects.normalize_email(email).strip()
    iscms, regions = list(iscms), list(regions)
    if role == Invitation.Role.SECRETARIAT:
        regions = []
        if not iscms:
            raise Refused(_("Choose at least one ISCM."))
    else:
        iscms, as_lead = [], False
        if not regions:
            raise Refused(_("Choose at least one region."))
    if not rules.may_invite(by, role=role, iscms=iscms, regions=regions, as_lead=as_lead):
        raise Refused(
            _("You can only invite colleagues to the secretariat of the ISCMs you lead.")
        )
    existing = get_user_model().objects.with_email(email)
    if existing is not None:
        if not existing.is_active:
            raise Refused(
                _("The account of %(email)s is deactivated. Reactivate it instead.")
                % {"email": email}
            )
        if role == Invitation.Role.SECRETARIAT:
            _refuse_iom_staff(existing, email)
        if _already_has(existing, role, iscms, regions):
            raise Refused(_("%(email)s already has this role.") % {"email": email})
    now = timezone.now()
    with transaction.atomic():
        pending = Invitation.objects.pending(now).filter(email__iexact=email, role=role)
        if (
            pending.filter(iscms__in=iscms).exists()
            or pending.filter(regions__in=regions).exists()
        ):
            raise Refused(
                _(
                    "An invitation to %(email)s for this role is already pending. Send it "
                    "again from the list of invitations if it was lost."
                )
                % {"email": email}
            )
        token, digest = _new_token()
        invitation = Invitation.objects.create(
            email=email,
            role=role,
            as_lead=as_lead,
            # An existing account reads its mail in its own language.
            language=(existing.language if existing else "") or language or settings.LANGUAGE_CODE,
            token_digest=digest,
            invited_by=by,
            sent_at=now,
            expires_at=_expiry(now),
        )
        invitation.iscms.set(iscms)
        invitation.regions.set(regions)
        _record(
            AuditEntry.Action.INVITED,
            invitation,
            by=by,
            person=existing,
            iscms=iscms,
            regions=regions,
        )
        _send_or_refuse(invitation.pk, token)
    return invitation


def _refuse_iom_staff(account, email) -> None:
    if not rules.may_join_secretariat_by_invitation(account):
        raise Refused(
            _(
                "%(email)s belongs to IOM staff or an administrator, who cannot be "
                "invited to an ISCM secretariat. Check the address."
            )
            % {"email": email}
        )


def _already_has(user, role, iscms, regions) -> bool:
    if role == Invitation.Role.SECRETARIAT:
        held = set(Membership.objects.filter(user=user).values_list("iscm_id", flat=True))
        return {i.pk for i in iscms} <= held
    held = set(
        ReviewerAssignment.objects.filter(user=user, role=role).values_list("region_id", flat=True)
    )
    return {r.pk for r in regions} <= held


def _send_or_refuse(invitation_pk: int, token: str) -> None:
    """Send the link now, inside the transaction: if the mail server refuses, nothing
    is saved and the person is told to try again. (Not a background task: the task
    queue would store the token in clear.) A commit failing after the send leaves a
    link to nothing, which answers "not valid"."""
    try:
        send_invitation_email(invitation_pk, token)
    except Exception as error:
        logger.exception("Invitation e-mail not sent")
        raise Refused(
            _("The e-mail could not be sent (%(error)s). Nothing was saved: try again.")
            % {"error": error.__class__.__name__}
        ) from error


def send_invitation_email(invitation_pk: int, token: str) -> int:
    invitation = Invitation.objects.select_related("invited_by").get(pk=invitation_pk)
    context = {
        "invitation": invitation,
        "scope": invitation.scope(),
        "inviter": invitation.invited_by.get_full_name(),
        "link": settings.SITE_URL + reverse("accounts:invitation", args=[token]),
        "days": settings.INVITATION_DAYS,
    }
    return send_templated_now("invitation", context, [(invitation.email, invitation.language)])


def resend_invitation(invitation: Invitation, *, by) -> Invitation:
    """Send a new link (the old one stops working) valid for another
    INVITATION_DAYS; for a pending or expired invitation. The invitation becomes
    `by`'s: after a hand-over the new lead can renew what the former lead sent (and
    acceptance checks the right of whoever sent it last)."""
    if not Invitation.objects.managed_by(by).filter(pk=invitation.pk).exists():
        raise Refused(_("You cannot manage this invitation."))
    iscms, regions = list(invitation.iscms.all()), list(invitation.regions.all())
    if not rules.may_invite(
        by, role=invitation.role, iscms=iscms, regions=regions, as_lead=invitation.as_lead
    ):
        raise Refused(_("You cannot grant this role: ask an administrator to send it again."))
    existing = get_user_model().objects.with_email(invitation.email)
    if existing is not None and not existing.is_active:
        raise Refused(
            _("The account of %(email)s is deactivated. Reactivate it instead.")
            % {"email": invitation.email}
        )
    now = timezone.now()
    token, digest = _new_token()
    with transaction.atomic():
        changed = Invitation.objects.filter(
            pk=invitation.pk, accepted_at=None, revoked_at=None
        ).update(
            token_digest=digest,
            sent_at=now,
            expires_at=_expiry(now),
            send_count=F("send_count") + 1,
            invited_by=by,
        )
        if not changed:
            raise Refused(
                _("This invitation has been accepted or revoked: it cannot be sent again.")
            )
        _record(
            AuditEntry.Action.INVITATION_RESENT, invitation, by=by, iscms=iscms, regions=regions
        )
        _send_or_refuse(invitation.pk, token)
    invitation.refresh_from_db()
    return invitation


def _record(action, invitation, *, by, iscms, regions, person=None, detail=""):
    AuditEntry.record(
        action,
        actor=by,
        person=person,
        email=invitation.email,
        iscm=iscms[0] if len(iscms) == 1 else None,
        region=regions[0] if len(regions) == 1 else None,
        detail=detail or _describe(invitation.role, iscms, regions),
    )


def revoke_invitation(invitation: Invitation, *, by) -> Invitation:
    """Withdraw an invitation that has not been accepted: its link stops working."""
    if not Invitation.objects.managed_by(by).filter(pk=invitation.pk).exists():
        raise Refused(_("You cannot manage this invitation."))
    with transaction.atomic():
        changed = Invitation.objects.filter(
            pk=invitation.pk, accepted_at=None, revoked_at=None
        ).update(revoked_at=timezone.now(), revoked_by=by)
        if not changed:
            raise Refused(_("This invitation has already been accepted or revoked."))
        _record(
            AuditEntry.Action.INVITATION_REVOKED,
            invitation,
            by=by,
            iscms=list(invitation.iscms.all()),
            regions=list(invitation.regions.all()),
        )
    invitation.refresh_from_db()
    return invitation


def invitation_for_token(token: str) -> Invitation | None:
    """The invitation a link's token opens, whatever its state (None for a token that
    was never issued or was replaced by a newer link)."""
    if not token or len(token) > 100:
        return None
    return (
        Invitation.objects.select_related("invited_by")
        .prefetch_related("iscms", "regions")
        .filter(token_digest=token_digest(token))
        .first()
    )


def existing_account(invitation: Invitation):
    return get_user_model().objects.with_email(invitation.email)


def accept_invitation(
    invitation: Invitation, *, user=None, full_name="", password="", language=""
):
    """Use the invitation once: create the account (`full_name`, `password`) or, for
    `user` (the signed-in owner of the invited address), add the role. Returns the
    account.

    The link is spent by a conditional UPDATE inside the transaction: of two
    acceptances at the same moment, one wins, the other is refused. Refused too when
    the invitation expired or was revoked, when the inviter may no longer grant the
    role (a lead who stepped down), when the address has a deactivated account, or
    when a secretariat invitation meets an account that is now IOM staff.
    Side effects: User (new), Membership / ReviewerAssignment rows (a new secretariat
    member leads a team that has no lead), role groups, audit entries."""
    User = get_user_model()
    now = timezone.now()
    with transaction.atomic():
        spent = Invitation.objects.filter(
            pk=invitation.pk, accepted_at=None, revoked_at=None, expires_at__gt=now
        ).update(accepted_at=now)
        if not spent:
            raise Refused(_("This invitation link has been used, revoked or has expired."))
        iscms, regions = list(invitation.iscms.all()), list(invitation.regions.all())
        inviter = invitation.invited_by
        inviter.refresh_from_db()
        if not rules.may_invite(
            inviter, role=invitation.role, iscms=iscms, regions=regions, as_lead=invitation.as_lead
        ):
            raise Refused(
                _(
                    "The person who invited you can no longer grant this role. Ask them "
                    "or IOM for a new invitation."
                )
            )
        existing = User.objects.with_email(invitation.email)
        if existing is not None:
            if user is None or existing.pk != user.pk:
                raise Refused(_("An account with this address exists: sign in to accept."))
            if not existing.is_active:
                raise Refused(_("This account is deactivated."))
            if invitation.role == Invitation.Role.SECRETARIAT:
                # The account may have become IOM staff since the invitation was sent.
                _refuse_iom_staff(existing, invitation.email)
            account = existing
        else:
            if user is not None:
                raise Refused(_("This invitation is for another address. Sign out first."))
            try:
                # Another invitation to the same address accepted at the same moment
                # creates the account first: that one wins, this one is told. Its
                # account is met by the insert (still uncommitted: IntegrityError) or,
                # committed since the check above, by the model's validation of the
                # address's unique constraint (ValidationError).
                with transaction.atomic():
                    account = User.objects.create_user(
                        email=invitation.email,
                        password=password,
                        full_name=full_name.strip(),
                        language=language,
                    )
            except (IntegrityError, ValidationError):
                if User.objects.with_email(invitation.email) is None:
                    raise
                raise Refused(
                    _("An account with this address exists: sign in to accept.")
                ) from None
            AuditEntry.record(AuditEntry.Action.ACCOUNT_CREATED, actor=account, person=account)
        if invitation.role == Invitation.Role.SECRETARIAT:
            for iscm in iscms:
                lock_team(iscm)
                join_locked_team(iscm=iscm, user=account, by=inviter, as_lead=invitation.as_lead)
        else:
            for region in regions:
                # Only administrators invite staff (may_invite, checked again above).
                staffing.add_assignment(
                    user=account, region=region, role=invitation.role, by=inviter
                )
        Invitation.objects.filter(pk=invitation.pk).update(accepted_by=account)
        _record(
            AuditEntry.Action.INVITATION_ACCEPTED,
            invitation,
            by=account,
            person=account,
            iscms=iscms,
            regions=regions,
        )
        sync_role_groups(account)
    return account
