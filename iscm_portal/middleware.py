"""Forms that cannot be read: the one place that answers them with a page.

Django reads a POST lazily, the first time someone asks for `request.POST`. A body over
DATA_UPLOAD_MAX_MEMORY_SIZE, too many fields, or multipart data it cannot parse (a file
name over about 1 KB makes a part's headers longer than Django's fixed 1,024 bytes) then
raises — in CsrfViewMiddleware, before any view — and Django answers a bare
"Bad Request (400)". Here the form is read first, and such a request gets a page in the
site's layout instead: the page that holds the form (FORM_PAGES), with what is saved and
a message, or else a short page with a link back. Nothing is saved either way.

The posted data cannot be read, so neither can its CSRF token: what is answered is only
what a GET of the form's page shows (the request is turned into a GET before the view
runs), which needs no token. The edit and upload pages' script (static/js/form-limits.js)
stops such requests in the browser, so the typed text stays on the page; this is the
fallback without script.
"""

from django.contrib import messages
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.urls import NoReverseMatch, resolve, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from submissions.uploads import MAX_DISPLAY_NAME_LENGTH

# The page holding each form, by the URL name the form posts to; both take the same URL
# arguments. A form posted elsewhere gets the short page.
FORM_PAGES = {
    "submissions:input-create": "submissions:input-create",
    "submissions:input-edit": "submissions:input-edit",
    "submissions:input-details": "submissions:input-details",
    "submissions:input-withdraw": "submissions:input-withdraw",
    "submissions:attachment-upload": "submissions:input-detail",
    "submissions:input-import": "submissions:input-import",
    "submissions:input-import-apply": "submissions:input-import",
}

TOO_BIG = (RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent)

# A browser still sending its body when the server answers and closes the connection
# may show "connection reset" instead of the answer, so the rest of the body is read and
# dropped — for signed-in people only (the ones who post the portal's large forms), and
# only up to this much, so that a client sending without end is not waited for.
# Anonymous clients get the answer without the rest of their body being read: anyone
# could otherwise keep a worker busy reading megabytes per request.
DRAIN_BYTES = 8 * 1024 * 1024


class OversizedRequestMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.method != "POST" or getattr(view_func, "csrf_exempt", False):
            # A csrf-exempt view may read the raw body itself: leave the stream alone.
            return None
        try:
            request.POST  # noqa: B018 — reading is the point: it raises here, not later
            request.FILES  # noqa: B018
        except TOO_BIG:
            return _answer(request, _too_big_message(), status=413)
        except MultiPartParserError:
            return _answer(request, _unreadable_message(), status=400)
        return None


def _too_big_message() -> str:
    return _(
        "Nothing was saved: what you sent was larger than the portal accepts. What you "
        "typed may still be in your browser: go back to the form with the browser's Back "
        "button and copy it, then shorten the longest texts or put long material in an "
        "attachment."
    )


def _unreadable_message() -> str:
    return _(
        "Nothing was saved: the form could not be read. If you chose a file, its name may "
        "be too long: rename the file to at most %(limit)s characters and choose it again."
    ) % {"limit": MAX_DISPLAY_NAME_LENGTH}


def _answer(request, message: str, *, status: int):
    # process_view runs after every middleware's request phase, so request.user is set.
    if request.user.is_authenticated:
        _drain(request)
    # From here on the request reads as a GET: Django gives it an empty POST (nothing
    # raises again), CsrfViewMiddleware has no token to ask for, and the view shows its
    # page without acting.
    request.method = "GET"
    page = _form_page(request)
    if page is not None:
        request.resolver_match = page
        messages.error(request, message)
        response = page.func(request, *page.args, **page.kwargs)
        if response.status_code == 200:
            response.status_code = status
        return response  # a redirect (e.g. the input is no longer editable) carries it
    back = request.META.get("HTTP_REFERER", "")
    if not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = reverse("home")
    return render(
        request,
        "iscm_portal/request_unreadable.html",
        {"message": message, "back": back},
        status=status,
    )


def _form_page(request):
    match = request.resolver_match
    name = FORM_PAGES.get(match.view_name) if match else None
    if name is None:
        return None
    try:
        return resolve(reverse(name, args=match.args, kwargs=match.kwargs))
    except NoReverseMatch:
        return None


def _drain(request):
    remaining = DRAIN_BYTES
    try:
        while remaining > 0:
            chunk = request.read(min(remaining, 64 * 1024))
            if not chunk:
                return
            remaining -= len(chunk)
    except (OSError, ValueError):
        return  # the stream is closed or broken: nothing left to read
