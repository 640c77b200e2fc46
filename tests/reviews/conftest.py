# The written-input world (one round, AMR/EUR/AFR reviews, LEAD/PART/OTHER ISCMs and
# their personas) serves the reviewer tests too.
from ..submissions.conftest import joint_input, ready_input, world  # noqa: F401
