from django.urls import path

import submissions.converters  # noqa: F401  (registers the <id:…> converter)

from .views import public

app_name = "packages"

urlpatterns = [
    path("", public.package_list, name="list"),
    path("<id:pk>/download/", public.package_download, name="download"),
    path("review-edition/<str:token>/", public.review_edition, name="review-edition"),
]
