from django.urls import path

import submissions.converters  # noqa: F401  (registers the <id:…> converter)

from .views import review

app_name = "reviews"

urlpatterns = [
    path("", review.queue, name="queue"),
    path("overview/", review.overview, name="overview"),
    path("inputs/<id:pk>/", review.input_review, name="input"),
    path("inputs/<id:pk>/comments/", review.comment_add, name="comment-add"),
    path("inputs/<id:pk>/decide/<slug:action>/", review.decide, name="decide"),
    path("inputs/<id:pk>/extension/", review.extension, name="extension"),
    path("inputs/<id:pk>/diff/", review.version_diff, name="diff"),
    path("inputs/<id:pk>/pdf/", review.input_pdf, name="input-pdf"),
]
