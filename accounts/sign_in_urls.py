"""The sign-in and password pages under /accounts/, without a namespace: Django's auth
machinery and its templates know them by these bare names (`login`, `logout`,
`password_reset`, …; `LOGIN_URL = "login"`)."""

from django.urls import path

from .views import sign_in

urlpatterns = [
    path("login/", sign_in.login, name="login"),
    path("logout/", sign_in.logout, name="logout"),
    path("password/change/", sign_in.password_change, name="password_change"),
    path("password/change/done/", sign_in.password_change_done, name="password_change_done"),
    path("password/reset/", sign_in.password_reset, name="password_reset"),
    path("password/reset/sent/", sign_in.password_reset_done, name="password_reset_done"),
    path(
        "password/reset/<uidb64>/<token>/",
        sign_in.password_reset_confirm,
        name="password_reset_confirm",
    ),
    path(
        "password/reset/complete/",
        sign_in.password_reset_complete,
        name="password_reset_complete",
    ),
]
