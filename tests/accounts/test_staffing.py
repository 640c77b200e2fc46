"""Administrators' changes to people (accounts/staffing.py): deactivation keeps the
history naming the person and is refused to anyone but an administrator, and on
oneself. The staff pages that call these functions are tested in test_staff.py."""

import pytest

from accounts import staffing
from accounts.errors import Refused
from submissions.models import Membership

pytestmark = pytest.mark.django_db


def test_deactivating_the_actor_of_past_events_keeps_their_name(world, team, make_input):
    written_input = make_input("Acted on", state="submitted")
    # Hand the lead to the member first, so the former lead may be deactivated.
    Membership.objects.filter(pk=team.member_membership.pk).update(is_lead=True)
    staffing.deactivate(team.lead, by=world.admin)
    event = written_input.events.get(to_status="submitted")
    assert event.actor.get_full_name() == "Lea Lead" and not event.actor.is_active
    assert written_input.versions.get().created_by == team.lead


def test_deactivation_refusals(client, world, team):
    with pytest.raises(Refused, match="own account"):
        staffing.deactivate(world.admin, by=world.admin)
    with pytest.raises(Refused, match="Only an administrator"):
        staffing.deactivate(team.member, by=team.lead)
    team.member.refresh_from_db()
    assert team.member.is_active
