"""A person's own profile: name, interface language, notifications, e-mail address."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.i18n import set_language as django_set_language

from submissions.roles import roles_for_request

from .. import profile as profile_changes
from .. import twofactor
from ..errors import Refused
from ..forms import EmailChangeForm, ProfileForm


@login_required
def profile(request):
    roles = roles_for_request(request)
    form = ProfileForm(request.POST or None, instance=request.user, roles=roles)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your profile is saved."))
        return redirect("accounts:profile")
    return render(
        request,
        "accounts/profile.html",
        {
            "form": form,
            "roles": roles,
            "has_second_factor": twofactor.has_second_factor(request.user),
        },
        status=400 if form.is_bound else 200,
    )


@login_required
@sensitive_post_parameters("password")
def email_change(request):
    form = EmailChangeForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            profile_changes.request_email_change(request.user, form.cleaned_data["email"])
        except Refused as error:
            form.add_error(None, str(error))
            return render(request, "accounts/email_change.html", {"form": form}, status=400)
        messages.success(
            request,
            _(
                "We sent a link to %(email)s. Your address changes when you open it "
                "(signed in); until then, %(current)s stays."
            )
            % {"email": form.cleaned_data["email"], "current": request.user.email},
        )
        return redirect("accounts:profile")
    return render(
        request, "accounts/email_change.html", {"form": form}, status=400 if form.is_bound else 200
    )


@login_required
def email_confirm(request, token):
    try:
        new_email = profile_changes.confirm_email_change(request.user, token)
    except Refused as error:
        return render(
            request, "accounts/email_confirm_failed.html", {"reason": str(error)}, status=400
        )
    messages.success(request, _("Your e-mail address is now %(email)s.") % {"email": new_email})
    return redirect("accounts:profile")


def set_language(request):
    """Django's language switch; a signed-in person's choice is also saved to their
    profile, so pages and e-mails follow it everywhere."""
    response = django_set_language(request)
    language = request.POST.get("language")
    user = request.user
    if (
        request.method == "POST"
        and user.is_authenticated
        and language
        in {code for code, _name in ProfileForm.base_fields["language"].choices if code}
        and user.language != language
    ):
        user.language = language
        user.save(update_fields=["language"])
    return response
