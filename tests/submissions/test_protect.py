"""What inputs refer to cannot be deleted: an ISCM (lead or partner), a regional review
or region an input targets, a person who acted on an input. The delete is refused,
never cascaded."""

import pytest
from django.db.models import ProtectedError
from django.urls import reverse
from django.utils import timezone

from submissions import workflow
from submissions.models import ISCM, RegionalReview, WrittenInput

from ..factories import ISCMFactory

pytestmark = pytest.mark.django_db


def test_an_iscm_leading_or_partnering_an_input_cannot_be_deleted(world, joint_input):
    for iscm in (world.lead, world.partner):
        with pytest.raises(ProtectedError):
            iscm.delete()
    joint_input.refresh_from_db()
    assert {i.acronym for i in joint_input.partner_iscms.all()} == {"PART"}
    unused = ISCMFactory()
    unused.delete()  # nothing refers to it
    assert not ISCM.objects.filter(pk=unused.pk).exists()


def test_a_targeted_review_and_its_region_cannot_be_deleted(world, joint_input):
    with pytest.raises(ProtectedError):
        world.reviews.eur.delete()
    with pytest.raises(ProtectedError):
        world.regions.eur.delete()
    assert set(joint_input.target_reviews.values_list("region__code", flat=True)) == {
        "AMR",
        "EUR",
    }
    assert RegionalReview.objects.filter(pk=world.reviews.eur.pk).exists()


def test_a_person_who_acted_on_an_input_cannot_be_deleted(world, ready_input):
    workflow.submit_input(ready_input, by=world.lead_user, today=timezone.localdate())
    workflow.request_changes(ready_input, by=world.reviewer, message="More, please.")
    for person in (world.lead_user, world.reviewer):
        with pytest.raises(ProtectedError):
            person.delete()
    assert WrittenInput.objects.filter(pk=ready_input.pk).exists()


def test_the_admin_refuses_the_delete_with_a_page_not_an_error(client, world, joint_input):
    client.force_login(world.admin)
    url = reverse("admin:submissions_iscm_delete", args=[world.partner.pk])
    page = client.get(url)
    assert page.status_code == 200
    # Refused with Django's page: the input refers to the ISCM (protected), and its
    # memberships are read-only in the admin (changed on the staff pages only).
    body = page.content.decode()
    assert "Cannot delete ISCM" in body
    assert (
        "would require deleting the following protected related objects" in body
        or "doesn't have permission to delete the following types of objects" in body
    )
    client.post(url, {"post": "yes"})
    assert ISCM.objects.filter(pk=world.partner.pk).exists()
