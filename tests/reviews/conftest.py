# The written-input world (one round, AMR/EUR/AFR reviews, LEAD/PART/OTHER ISCMs and
# their personas) serves the reviewer tests too.
import pytest
from django.urls import reverse

from submissions.roles import sync_role_groups

from ..factories import ReviewerAssignmentFactory, UserFactory
from ..submissions.conftest import joint_input, ready_input, world  # noqa: F401


@pytest.fixture
def compiler(world):  # noqa: F811 (the world fixture imported above)
    """Compiler for the AMR region of the `world`."""
    user = ReviewerAssignmentFactory(
        region=world.regions.amr, role="compiler", user=UserFactory(full_name="Cora Compiler")
    ).user
    sync_role_groups(user)
    return user


def decide(client, written_input, action, **data):
    """POST a decision the way its confirmation page does: with the version shown and,
    for a reviewer of several target reviews, the reviews it ticks (all of them)."""
    written_input.refresh_from_db()
    url = reverse("reviews:decide", args=[written_input.pk, action])
    page = client.get(url)
    form = page.context["form"] if page.status_code == 200 else None
    if form is not None and "reviews" in form.fields and "reviews" not in data:
        data["reviews"] = form.initial["reviews"]
    return client.post(url, {"version": written_input.version, **data})
