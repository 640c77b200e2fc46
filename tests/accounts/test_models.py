"""The `User` (accounts/models.py): one account per e-mail address whatever its
capitals."""

import pytest
from django.db import IntegrityError, transaction

from accounts.models import User

from ..factories import UserFactory


def test_email_is_unique_whatever_the_case(db):
    UserFactory(email="a@example.org")

    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(email="A@EXAMPLE.org")
