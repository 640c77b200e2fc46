"""`Cache-Control: private` on every response that belongs to one person.

A page shown to a signed-in person names them, lists their work and carries their CSRF
token; a shared cache between them and the portal (an organisation's proxy, a CDN) must
never keep it and hand it to the next visitor. Django marks such responses only with
`Vary: Cookie`, which a shared cache may or may not honour; `private` says it plainly:
only the person's own browser may keep the response.

Which responses: every response to a signed-in person, whatever the page (a public
page too: it shows their name and menu); and an anonymous visitor's when a session is
in play — the session holds data or this request changed it (a message, a sign-out), or
the response sets the session cookie. A visitor without a session gets the public pages
exactly as before: nothing is added, so their caching does not change.

`patch_cache_control` keeps whatever a view set (`never_cache`'s no-store, no-cache,
max-age=0) and drops a `public` when it adds `private`.
"""

from django.conf import settings
from django.utils.cache import patch_cache_control


class PrivateCacheMiddleware:
    """Placed before SessionMiddleware, so it sees the response after the session, CSRF
    and authentication middleware have done with it (and the session cookie, if set)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if belongs_to_one_person(request, response):
            patch_cache_control(response, private=True)
        return response


def belongs_to_one_person(request, response) -> bool:
    # request.user is lazy: for a visitor without a session cookie, asking costs nothing.
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return True
    session = getattr(request, "session", None)
    if session is not None and session.accessed and (session.modified or not session.is_empty()):
        return True
    return settings.SESSION_COOKIE_NAME in response.cookies
