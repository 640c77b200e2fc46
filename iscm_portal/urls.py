from django.contrib import admin
from django.urls import include, path

from accounts.views.profile import set_language

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("robots.txt", views.robots_txt, name="robots-txt"),
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
