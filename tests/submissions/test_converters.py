"""The URL converters (submissions/converters.py): an id too long for the database is
"not found", not a 500."""

import pytest

pytestmark = pytest.mark.django_db


def test_huge_ids_in_urls_are_404(client, world):
    client.force_login(world.lead_user)
    assert client.get("/my/inputs/99999999999999999999999/").status_code == 404
    assert client.get("/objectives/99999999999999999999999/").status_code == 404
