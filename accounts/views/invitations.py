"""The invitation link: what the invited person sees and does. Staff's list of
invitations is in `accounts.views.staff`."""

from django.contrib import messages
from django.contrib.auth import login
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters

from .. import invitations
from ..errors import Refused, isolated
from ..forms import NewAccountForm

BACKEND = "django.contrib.auth.backends.ModelBackend"


@never_cache
@csrf_protect
@sensitive_post_parameters("password1", "password2")
def accept(request, token):
    """Shows only the invitation the token opens (its address, role and ISCMs or
    regions), never anything about an existing account. Without an account: a name
    and a password create it; with one: sign in as it, then accept."""
    invitation = invitations.invitation_for_token(token)
    if invitation is None or invitation.status != invitation.Status.PENDING:
        return render(
            request,
            "accounts/invitation_unusable.html",
            {"invitation": invitation},
            status=410 if invitation is not None else 404,
        )
    existing = invitations.existing_account(invitation)
    user = request.user if request.user.is_authenticated else None
    context = {"invitation": invitation, "scope": invitation.scope(), "has_account": existing}
    if existing is not None:
        if user is None:
            sign_in = reverse("login") + "?next=" + request.path
            return render(
                request, "accounts/invitation_accept.html", {**context, "sign_in": sign_in}
            )
        if user.pk != existing.pk:
            return render(
                request, "accounts/invitation_accept.html", {**context, "other_account": True}
            )
        if request.method == "POST":
            try:
                invitations.accept_invitation(invitation, user=user)
            except Refused as error:
                messages.error(request, str(error))
                return HttpResponseRedirect(request.path)
            messages.success(request, _("Invitation accepted: your new role is active."))
            return redirect("home")
        return render(request, "accounts/invitation_accept.html", context)
    if user is not None:
        return render(
            request, "accounts/invitation_accept.html", {**context, "other_account": True}
        )
    form = NewAccountForm(request.POST or None, email=invitation.email)
    if request.method == "POST" and form.is_valid():
        try:
            account = invitations.accept_invitation(
                invitation,
                full_name=form.cleaned_data["full_name"],
                password=form.cleaned_data["password1"],
                language=get_language(),
            )
        except Refused as error:
            form.add_error(None, str(error))
        else:
            login(request, account, backend=BACKEND)
            messages.success(
                request,
                _("Welcome, %(name)s: your account is ready.")
                % {"name": isolated(account.get_full_name())},
            )
            return redirect(
                "submissions:dashboard" if invitation.role == "secretariat" else "home"
            )
    return render(request, "accounts/invitation_accept.html", {**context, "form": form})
