# The written-input world (one round, AMR/EUR/AFR reviews, LEAD/PART/OTHER ISCMs and
# their personas) serves the reviewer tests too.
import pytest

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
