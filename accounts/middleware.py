"""Per-person language and the second-factor gate (see settings.MIDDLEWARE)."""

from urllib.parse import urlencode

from django.http import HttpResponseRedirect
from django.urls import Resolver404, resolve, reverse
from django.utils import translation

from . import twofactor


class PersonLanguageMiddleware:
    """A signed-in person who chose an interface language in their profile sees the
    portal in it, whatever the browser asks for (the language switcher saves the
    choice to the profile, see accounts.views.profile.set_language)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and user.language:
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        return self.get_response(request)


# What a signed-in person who still owes the second factor may open: the pages that
# take it, signing out, and the language switch.
OPEN_BEFORE_SECOND_FACTOR = {
    "accounts:two-factor-verify",
    "accounts:two-factor-enrol",
    "logout",
    "set_language",
}


class SecondFactorMiddleware:
    """Sends a session that owes a second factor to the page that takes it, keeping
    where it was going in `next`. Who owes one: IOM staff (reviewers, compilers,
    administrators) always, and anyone who enrolled an authenticator; a session that
    has passed it (`request.user.is_verified()`, django-otp) owes nothing."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        step = twofactor.step_owed(request)
        if step is not None:
            try:
                name = resolve(request.path_info).view_name
            except Resolver404:
                name = None
            if name not in OPEN_BEFORE_SECOND_FACTOR:
                target = reverse(f"accounts:two-factor-{step}")
                if request.method == "GET":
                    target += "?" + urlencode({"next": request.get_full_path()})
                return HttpResponseRedirect(target)
        return self.get_response(request)
