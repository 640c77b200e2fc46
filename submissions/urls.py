from django.urls import path

from .views import public

app_name = "submissions"

urlpatterns = [
    path("iscms/", public.iscm_list, name="iscm-list"),
    path("iscms/<slug:slug>/", public.iscm_detail, name="iscm-detail"),
    path("objectives/", public.objective_list, name="objective-list"),
    path("objectives/<int:number>/", public.objective_detail, name="objective-detail"),
]
