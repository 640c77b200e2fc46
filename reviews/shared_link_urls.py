"""The signed review-edition link, mounted at /packages/ by the root URLconf (the path
compilers have handed out stays as it was). The namespace `packages` is the one the
name has always had."""

from django.urls import path

from .views import shared_links

app_name = "packages"

urlpatterns = [
    path("review-edition/<str:token>/", shared_links.review_edition, name="review-edition"),
]
