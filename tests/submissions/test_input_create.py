import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from submissions import editing
from submissions.forms import InputDetailsForm
from submissions.models import WrittenInput

from ..factories import ISCMFactory, MembershipFactory

pytestmark = pytest.mark.django_db


def _post(client, world, **overrides):
    data = {
        "lead_iscm": world.lead.pk,
        "partner_iscms": [world.partner.pk],
        "target_reviews": [world.reviews.amr.pk, world.reviews.eur.pk],
        "title": "Our joint input",
        "language": "en",
        "basis": "written_input",
    }
    data.update(overrides)
    return client.post(reverse("submissions:input-create"), data)


def test_create_joint_input_for_two_reviews(client, world):
    client.force_login(world.lead_user)
    response = _post(client, world)
    written_input = WrittenInput.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("submissions:input-edit", args=[written_input.pk])
    assert written_input.status == "draft"
    assert written_input.lead_iscm == world.lead
    assert list(written_input.partner_iscms.all()) == [world.partner]
    assert set(written_input.target_reviews.all()) == {world.reviews.amr, world.reviews.eur}
    assert written_input.is_joint
    assert written_input.created_by == world.lead_user
    assert written_input.slug.startswith("lead-")


def test_create_offers_only_the_users_iscms_as_lead(client, world):
    client.force_login(world.lead_user)
    form = client.get(reverse("submissions:input-create")).context["form"]
    assert list(form.fields["lead_iscm"].queryset) == [world.lead]
    response = _post(
        client, world, lead_iscm=world.other.pk, target_reviews=[world.reviews.afr.pk]
    )
    assert response.status_code == 200
    assert "lead_iscm" in response.context["form"].errors
    assert not WrittenInput.objects.exists()


def test_create_refuses_a_region_not_covered_and_explains(client, world):
    client.force_login(world.lead_user)
    response = _post(client, world, partner_iscms=[], target_reviews=[world.reviews.eur.pk])
    body = response.content.decode()
    assert response.status_code == 200
    assert "The EUR review is not offered for this input" in body
    assert "not covered by LEAD" in body
    assert 'value="Our joint input"' in body  # what was typed is kept
    assert not WrittenInput.objects.exists()


def test_create_offers_only_reviews_open_today(client, world):
    today = timezone.localdate()
    world.reviews.afr.deadline = today - datetime.timedelta(days=1)
    world.reviews.afr.submission_opens = today - datetime.timedelta(days=30)
    world.reviews.afr.save()
    client.force_login(world.lead_user)
    form = client.get(reverse("submissions:input-create")).context["form"]
    offered = set(form.fields["target_reviews"].queryset)
    assert offered == {world.reviews.amr, world.reviews.eur}
    assert "take inputs today are offered" in str(form.fields["target_reviews"].help_text)


def test_create_refuses_lead_as_its_own_partner(client, world):
    client.force_login(world.lead_user)
    response = _post(client, world, partner_iscms=[world.lead.pk, world.partner.pk])
    assert "cannot also be a partner" in response.content.decode()


def test_create_needs_a_title_and_a_review(client, world):
    client.force_login(world.lead_user)
    response = _post(client, world, title="", target_reviews=[])
    errors = response.context["form"].errors
    assert set(errors) >= {"title", "target_reviews"}


def test_create_without_a_current_round_says_so(client, world):
    world.cycle.active = False
    world.cycle.save()
    client.force_login(world.lead_user)
    response = client.get(reverse("submissions:input-create"), follow=True)
    assert "No review round is open" in response.content.decode()


def _details(world, written_input, **overrides):
    data = {
        "partner_iscms": [world.partner.pk],
        "target_reviews": [world.reviews.amr.pk, world.reviews.eur.pk],
        "title": "Renamed",
        "language": "fr",
        "basis": "meeting_outcome",
        "version": written_input.version,
    }
    data.update(overrides)
    return data


def test_details_page_lead_changes_partners_and_targets(client, world, joint_input):
    client.force_login(world.lead_user)
    response = client.post(
        reverse("submissions:input-details", args=[joint_input.pk]),
        _details(world, joint_input, target_reviews=[world.reviews.amr.pk]),
    )
    assert response.status_code == 302
    joint_input.refresh_from_db()
    assert (joint_input.title, joint_input.language, joint_input.version) == ("Renamed", "fr", 2)
    assert list(joint_input.target_reviews.all()) == [world.reviews.amr]
    assert joint_input.lead_iscm == world.lead  # the lead is fixed once created


def test_details_page_partner_changes_title_but_not_who_takes_part(client, world, joint_input):
    client.force_login(world.partner_user)
    url = reverse("submissions:input-details", args=[joint_input.pk])
    form = client.get(url).context["form"]
    assert form.fields["partner_iscms"].disabled
    assert form.fields["target_reviews"].disabled
    # Posting other partners anyway: the disabled fields keep their saved values.
    response = client.post(
        url, _details(world, joint_input, partner_iscms=[world.partner.pk, world.other.pk])
    )
    assert response.status_code == 302
    joint_input.refresh_from_db()
    assert joint_input.title == "Renamed"
    assert list(joint_input.partner_iscms.all()) == [world.partner]
    client.force_login(world.other_user)
    assert client.get(reverse("submissions:input-edit", args=[joint_input.pk])).status_code == 404


def test_update_details_refuses_a_partner_changing_participants(world, joint_input):
    with pytest.raises(editing.EditRefused, match="Only the lead"):
        editing.update_details(
            joint_input,
            by=world.partner_user,
            expected_version=joint_input.version,
            partners=[world.partner, world.other],
            targets=list(joint_input.target_reviews.all()),
            title="x",
            language="en",
            basis="written_input",
        )


def test_details_page_stale_version_keeps_choices_and_explains(client, world, joint_input):
    client.force_login(world.partner_user)
    data = {
        "partner_iscms": [world.partner.pk],
        "target_reviews": [world.reviews.amr.pk],
        "title": "Mine",
        "language": "en",
        "basis": "written_input",
        "version": joint_input.version - 1 + 0,
    }
    WrittenInput.objects.filter(pk=joint_input.pk).update(version=5, title="Theirs")
    response = client.post(reverse("submissions:input-details", args=[joint_input.pk]), data)
    body = response.content.decode()
    assert response.status_code == 409
    assert "changed this input while you were editing" in body
    assert 'value="Mine"' in body
    assert WrittenInput.objects.get(pk=joint_input.pk).title == "Theirs"


@pytest.mark.parametrize("field", ["partner_iscms", "target_reviews", "lead_iscm"])
def test_huge_ids_in_forms_are_a_form_error(client, world, field):
    client.force_login(world.lead_user)
    data = {
        "lead_iscm": world.lead.pk,
        "target_reviews": [world.reviews.amr.pk],
        "title": "t",
        "language": "en",
        "basis": "written_input",
        field: "99999999999999999999999",
    }
    response = client.post(reverse("submissions:input-create"), data)
    assert response.status_code == 200
    assert field in response.context["form"].errors


def _in_arabic_indic_digits(number: int) -> str:
    return "".join(chr(0x0660 + int(digit)) for digit in str(number))


@pytest.mark.parametrize("field", ["partner_iscms", "lead_iscm"])
def test_ids_in_other_scripts_digits_in_forms_are_a_form_error(client, world, field):
    # int() reads "٣" as 3: the ISCM would be found by digits nobody typed.
    client.force_login(world.lead_user)
    data = {
        "lead_iscm": world.lead.pk,
        "target_reviews": [world.reviews.amr.pk],
        "title": "t",
        "language": "en",
        "basis": "written_input",
        field: _in_arabic_indic_digits(
            world.lead.pk if field == "lead_iscm" else world.partner.pk
        ),
    }
    response = client.post(reverse("submissions:input-create"), data)
    assert response.status_code == 200
    assert field in response.context["form"].errors


# --- The lead ISCM chosen in advance; the partner list's search box ---------------------


def _lead_select(body: str) -> str:
    start = body.index('name="lead_iscm"')
    return body[start : body.index("</select>", start)]


def test_create_preselects_the_lead_for_a_member_of_one_iscm(client, world):
    client.force_login(world.lead_user)
    response = client.get(reverse("submissions:input-create"))
    assert response.context["form"]["lead_iscm"].value() == world.lead.pk
    assert f'<option value="{world.lead.pk}" selected>' in _lead_select(response.content.decode())


def test_create_preselects_no_lead_for_a_member_of_two_iscms(client, world):
    MembershipFactory(iscm=world.partner, user=world.lead_user)
    client.force_login(world.lead_user)
    response = client.get(reverse("submissions:input-create"))
    assert response.context["form"]["lead_iscm"].value() is None
    select = _lead_select(response.content.decode())
    assert select.count("<option") == 3  # "---------", LEAD, PART
    assert '<option value="" selected>' in select


def test_details_form_preselects_no_lead_for_someone_on_no_secretariat(world):
    # The create page itself is a 404 for them; the form guesses nothing either.
    form = InputDetailsForm(user=world.reviewer, cycle=world.cycle, today=timezone.localdate())
    assert form["lead_iscm"].value() is None
    assert list(form.fields["lead_iscm"].queryset) == []


def test_create_posted_lead_wins_over_the_preselection(client, world):
    MembershipFactory(iscm=world.other, user=world.partner_user)
    client.force_login(world.partner_user)
    response = _post(
        client,
        world,
        lead_iscm=world.other.pk,
        partner_iscms=[],
        target_reviews=[world.reviews.afr.pk],
    )
    assert response.status_code == 302
    assert WrittenInput.objects.get().lead_iscm == world.other


def test_create_page_partner_list_has_a_search_box_for_scripts_only(client, world):
    many = [ISCMFactory(acronym=f"P{n:02}") for n in range(30)]
    client.force_login(world.lead_user)
    body = client.get(reverse("submissions:input-create")).content.decode()
    start = body.index("data-list-filter=")
    box = body[start : body.index("</div>", start)]
    # The box is hidden until static/js/list-filter.js runs and has no name (never sent);
    # it is labelled, and its count is a live region.
    assert 'data-list-filter="partner_iscms"' in box
    assert " hidden>" in box
    assert 'type="search"' in box and "name=" not in box
    assert '<label for="id_partner_iscms_filter"' in box
    assert 'id="id_partner_iscms_filter"' in box
    assert 'aria-live="polite"' in box
    assert 'data-count-message="ISCMs shown: %(shown)s of %(total)s"' in box
    assert '<script src="/static/js/list-filter.js"></script>' in body
    # Without script, the whole list is there to tick, none hidden.
    partner_boxes = re.findall(r'<input type="checkbox"[^>]*name="partner_iscms"[^>]*>', body)
    assert len(partner_boxes) == 3 + len(many)
    assert not any("hidden" in tag for tag in partner_boxes)


def test_details_page_partner_list_has_the_search_box(client, world, joint_input):
    client.force_login(world.lead_user)
    body = client.get(reverse("submissions:input-details", args=[joint_input.pk])).content
    assert b'data-list-filter="partner_iscms"' in body
    assert b'<script src="/static/js/list-filter.js"></script>' in body
