"""Personas of the accounts tests, on top of the `world` of tests/submissions: the
secretariat member of LEAD leads its team; LEAD also has a plain member."""

from types import SimpleNamespace

import pytest

from submissions.models import Membership
from submissions.roles import sync_role_groups

from ..factories import MembershipFactory, UserFactory
from ..submissions.conftest import fill, make_input, world  # noqa: F401  (fixtures)


@pytest.fixture
def team(world):  # noqa: F811
    """LEAD's team: `lead` (world.lead_user, its lead) and `member`; PART's team:
    world.partner_user, its lead."""
    Membership.objects.filter(iscm=world.lead, user=world.lead_user).update(is_lead=True)
    Membership.objects.filter(iscm=world.partner, user=world.partner_user).update(is_lead=True)
    member = MembershipFactory(iscm=world.lead, user=UserFactory(full_name="Max Member")).user
    sync_role_groups(member)
    return SimpleNamespace(
        iscm=world.lead,
        lead=world.lead_user,
        member=member,
        lead_membership=Membership.objects.get(iscm=world.lead, user=world.lead_user),
        member_membership=Membership.objects.get(iscm=world.lead, user=member),
    )
