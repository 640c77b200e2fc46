"""The sign-in and password pages (accounts/views/sign_in.py, accounts/sign_in_urls.py,
accounts/forms.py): the e-mail address is the login name, a wrong password keeps what
was typed, sign-out needs a POST, the password change and reset pages work end to end
without telling whether an address has an account."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import User

from ..factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_login_with_email_address(client):
    User.objects.create_user("Someone@Example.org", PASSWORD)
    response = client.post(
        reverse("login"), {"username": "someone@example.org", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert client.get(reverse("home")).context["user"].email == "Someone@example.org"


def test_login_redirects_to_next(client):
    UserFactory(email="a@example.org")
    response = client.post(
        reverse("login") + "?next=/objectives/",
        {"username": "a@example.org", "password": PASSWORD, "next": "/objectives/"},
    )
    assert response["Location"] == "/objectives/"


def test_login_wrong_password_says_so_and_keeps_the_address(client):
    UserFactory(email="a@example.org")
    response = client.post(reverse("login"), {"username": "a@example.org", "password": "nope"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "do not match an account" in body
    assert 'value="a@example.org"' in body
    assert "_auth_user_id" not in client.session


def test_login_inactive_account_is_refused(client):
    UserFactory(email="gone@example.org", is_active=False)
    response = client.post(
        reverse("login"), {"username": "gone@example.org", "password": PASSWORD}
    )
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_logout_needs_post_and_signs_out(client):
    client.force_login(UserFactory())
    assert client.get(reverse("logout")).status_code == 405
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_password_change_needs_sign_in(client):
    response = client.get(reverse("password_change"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_password_change_works(client):
    user = UserFactory()
    client.force_login(user)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "another-Long-passw0rd",
            "new_password2": "another-Long-passw0rd",
        },
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("another-Long-passw0rd")


def test_password_reset_sends_a_link_that_sets_the_password(client):
    UserFactory(email="a@example.org")
    response = client.post(reverse("password_reset"), {"email": "a@example.org"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["a@example.org"]
    assert message.subject == "Reset your password for the ISCM Review Portal"
    link = next(line for line in message.body.splitlines() if "/password/reset/" in line)
    assert message.alternatives  # an HTML part too

    confirm = client.get(link.split("testserver")[1], follow=True)
    assert confirm.status_code == 200
    set_url = confirm.redirect_chain[-1][0]
    client.post(
        set_url, {"new_password1": "fresh-Long-passw0rd", "new_password2": "fresh-Long-passw0rd"}
    )
    assert User.objects.get(email="a@example.org").check_password("fresh-Long-passw0rd")


def test_password_reset_does_not_reveal_whether_an_account_exists(client):
    UserFactory(email="a@example.org")
    known = client.post(reverse("password_reset"), {"email": "a@example.org"}, follow=True)
    unknown = client.post(reverse("password_reset"), {"email": "b@example.org"}, follow=True)
    assert known.redirect_chain == unknown.redirect_chain

    def without_csrf_token(response):
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())

    assert without_csrf_token(known) == without_csrf_token(unknown)
    assert len(mail.outbox) == 1
