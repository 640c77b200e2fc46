"""Two-factor pages: enrol an authenticator, give a code at sign-in, renew recovery
codes, remove (secretariat members who opted in)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from submissions.roles import roles_for_request

from .. import twofactor
from ..forms import CodeForm
from . import safe_next


@login_required
@never_cache
def overview(request):
    user = request.user
    return render(
        request,
        "accounts/two_factor.html",
        {
            "enrolled": twofactor.has_second_factor(user),
            "required": twofactor.required_for(user, roles_for_request(request)),
            "codes_left": twofactor.recovery_codes_left(user),
        },
    )


@login_required
@never_cache
def enrol(request):
    """Set up an authenticator app: scan the QR code (or type the key), enter a code.
    On success the recovery codes are shown once. An enrolled, verified person can
    come back here to replace their phone."""
    user = request.user
    if twofactor.has_second_factor(user) and not user.is_verified():
        return redirect("accounts:two-factor-verify")
    device = twofactor.pending_enrolment(user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and device is not None and form.is_valid():
        try:
            codes = twofactor.confirm_enrolment(request, device, form.cleaned_data["code"])
        except twofactor.SecondFactorError as error:
            form.add_error("code", str(error))
        else:
            return render(
                request,
                "accounts/recovery_codes.html",
                {"codes": codes, "next": safe_next(request, "home"), "enrolled_now": True},
            )
    if device is None or request.method == "GET":
        device = twofactor.start_enrolment(user)
    return render(
        request,
        "accounts/two_factor_enrol.html",
        {
            "form": form,
            "qr_code": twofactor.qr_code_data_uri(device),
            "secret": twofactor.secret_for_display(device),
            "next": safe_next(request),
            "required": twofactor.required_for(user, roles_for_request(request)),
        },
        status=400 if form.is_bound else 200,
    )


@login_required
@never_cache
def verify(request):
    """The second step of signing in."""
    user = request.user
    if user.is_verified():
        return redirect(safe_next(request, "home"))
    if not twofactor.has_second_factor(user):
        return redirect("accounts:two-factor-enrol")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if twofactor.verify(request, form.cleaned_data["code"]):
            if twofactor.recovery_codes_left(user) <= 2:
                messages.warning(
                    request,
                    _("You have few recovery codes left. Renew them from your two-factor page."),
                )
            return redirect(safe_next(request, "home"))
        form.add_error(
            "code",
            _(
                "That code is not right (or too many tries: wait a minute). Enter the "
                "current code from your app, or one of your recovery codes."
            ),
        )
    return render(
        request,
        "accounts/two_factor_verify.html",
        {"form": form, "next": safe_next(request)},
        status=400 if form.is_bound else 200,
    )


@require_POST
@login_required
def renew_recovery_codes(request):
    try:
        codes = twofactor.renew_recovery_codes(request.user)
    except twofactor.SecondFactorError:
        raise Http404 from None
    return render(
        request,
        "accounts/recovery_codes.html",
        {"codes": codes, "next": "", "enrolled_now": False},
    )


@require_POST
@login_required
def remove(request):
    """Secretariat members who opted in may turn the second factor off again; IOM
    staff may not (an administrator resets it for a lost phone)."""
    if twofactor.required_for(request.user, roles_for_request(request)):
        messages.error(request, _("IOM staff must keep a second factor."))
    else:
        twofactor.remove_second_factor(request.user, by=request.user)
        messages.success(request, _("Two-factor sign-in is off for your account."))
    return redirect("accounts:two-factor")
