from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.utils.functional import lazy
from django.views.decorators.cache import cache_control
from django.views.generic import RedirectView

from accounts.views.profile import set_language

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("robots.txt", views.robots_txt, name="robots-txt"),
    path("healthz", views.healthz, name="healthz"),
    # Browsers and feed readers ask for /favicon.ico when a page links no icon. They are
    # sent to the static icon, which WhiteNoise serves like every static file (in
    # production under its hashed name, cached for a year); the static URL is looked up
    # per request (lazy), since the hashed names are only known once collectstatic ran.
    path(
        "favicon.ico",
        cache_control(max_age=24 * 60 * 60)(
            RedirectView.as_view(url=lazy(static, str)("img/favicon.ico"))
        ),
        name="favicon",
    ),
    path("accounts/", include("accounts.sign_in_urls")),
    # Django's language switch, also saving a signed-in person's choice to their profile.
    path("i18n/setlang/", set_language, name="set_language"),
    path("admin/", admin.site.urls),
    path("review/", include("reviews.urls")),
    path("", include("accounts.urls")),
    # The review edition's signed link sits under /packages/ beside the public pages.
    path("packages/", include("reviews.shared_link_urls")),
    path("", include("public.urls")),
    path("", include("submissions.urls")),
]
