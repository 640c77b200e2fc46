"""Deadline reminders: who is reminded, when, only once, and what the mail says."""

import datetime
import io
import logging

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from submissions import reminders, workflow
from submissions.models import DeadlineReminder, InputVersion

from ..factories import ISCMFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db
TODAY = datetime.date.today()


def _deadline_in(review, days, *, today=TODAY):
    review.deadline = today + datetime.timedelta(days)
    review.save(update_fields=["deadline"])


def _run(capture, today=TODAY, **kwargs):
    """Run the reminders and the e-mails queued for after the commit."""
    with capture(execute=True):
        return reminders.send_deadline_reminders(today, **kwargs)


def _recorded():
    return sorted(
        DeadlineReminder.objects.values_list(
            "review__region__code", "iscm__acronym", "days_before", "recipients"
        )
    )


def _recipients():
    return sorted(address for message in mail.outbox for address in message.to)


def _submit(written_input, world):
    workflow.submit_input(written_input, by=world.lead_user, today=TODAY)


def test_reminder_14_days_goes_to_active_secretariats_of_covering_iscms(
    world, django_capture_on_commit_callbacks
):
    _deadline_in(world.reviews.amr, 14)
    both = ISCMFactory(acronym="BOTH", regions=[world.regions.amr, world.regions.eur])
    both_user = MembershipFactory(iscm=both).user
    MembershipFactory(iscm=world.lead, user=UserFactory(is_active=False))

    sent = _run(django_capture_on_commit_callbacks)

    assert [(r.review, r.iscm.acronym, r.days_before, r.recipients) for r in sent] == [
        (world.reviews.amr, "BOTH", 14, 1),
        (world.reviews.amr, "LEAD", 14, 1),
    ]
    assert _recipients() == sorted([world.lead_user.email, both_user.email])
    assert all(len(message.to) == 1 for message in mail.outbox)
    assert _recorded() == [("AMR", "BOTH", 14, 1), ("AMR", "LEAD", 14, 1)]


def test_reminder_nothing_at_15_days(world, django_capture_on_commit_callbacks):
    _deadline_in(world.reviews.amr, 15)

    assert _run(django_capture_on_commit_callbacks) == []
    assert mail.outbox == []
    assert _recorded() == []


def test_reminder_running_twice_sends_once(world, django_capture_on_commit_callbacks):
    _deadline_in(world.reviews.amr, 14)

    assert len(_run(django_capture_on_commit_callbacks)) == 1
    assert _run(django_capture_on_commit_callbacks) == []
    assert len(mail.outbox) == 1
    assert _recorded() == [("AMR", "LEAD", 14, 1)]


def test_reminder_missed_day_is_caught_up_later(world, django_capture_on_commit_callbacks):
    _deadline_in(world.reviews.amr, 12)

    sent = _run(django_capture_on_commit_callbacks)

    assert [(r.days_before, r.days_left) for r in sent] == [(14, 12)]
    assert len(mail.outbox) == 1


def test_reminder_3_days_after_the_14_day_one(world, django_capture_on_commit_callbacks):
    _deadline_in(world.reviews.amr, 14)
    _run(django_capture_on_commit_callbacks)
    for days_left in range(13, 3, -1):
        assert (
            _run(
                django_capture_on_commit_callbacks,
                today=TODAY + datetime.timedelta(14 - days_left),
            )
            == []
        )

    sent = _run(django_capture_on_commit_callbacks, today=TODAY + datetime.timedelta(11))

    assert [(r.iscm.acronym, r.days_before, r.superseded) for r in sent] == [("LEAD", 3, ())]
    assert len(mail.outbox) == 2
    assert "3 days left" in mail.outbox[1].body
    assert _recorded() == [("AMR", "LEAD", 3, 1), ("AMR", "LEAD", 14, 1)]


def test_reminder_both_due_at_once_sends_only_the_3_day_one(
    world, django_capture_on_commit_callbacks
):
    _deadline_in(world.reviews.amr, 2)

    sent = _run(django_capture_on_commit_callbacks)

    assert [(r.days_before, r.superseded) for r in sent] == [(3, (14,))]
    assert len(mail.outbox) == 1
    assert "2 days left" in mail.outbox[0].body
    # The 14-day step is recorded as never mailed, so it is not sent tomorrow either.
    assert _recorded() == [("AMR", "LEAD", 3, 1), ("AMR", "LEAD", 14, 0)]
    assert _run(django_capture_on_commit_callbacks, today=TODAY + datetime.timedelta(1)) == []
    assert len(mail.outbox) == 1


def test_reminder_on_the_deadline_day_says_today(world, django_capture_on_commit_callbacks):
    _deadline_in(world.reviews.amr, 0)

    sent = _run(django_capture_on_commit_callbacks)

    assert [r.days_before for r in sent] == [3]
    assert "(today)" in mail.outbox[0].body


def test_reminder_skips_the_iscm_with_a_submitted_input(
    world, ready_input, django_capture_on_commit_callbacks
):
    _submit(ready_input, world)  # LEAD with partner PART, to AMR and EUR
    _deadline_in(world.reviews.amr, 14)

    assert _run(django_capture_on_commit_callbacks) == []
    assert mail.outbox == []
    assert _recorded() == []


def test_reminder_skips_the_partner_iscm_of_a_submitted_input(
    world, ready_input, django_capture_on_commit_callbacks
):
    _submit(ready_input, world)
    _deadline_in(world.reviews.eur, 3)

    assert _run(django_capture_on_commit_callbacks) == []
    assert mail.outbox == []


def test_reminder_counts_a_submitted_input_only_for_the_reviews_it_targets(
    world, ready_input, django_capture_on_commit_callbacks
):
    ready_input.target_reviews.set([world.reviews.amr])
    _submit(ready_input, world)
    _deadline_in(world.reviews.eur, 14)

    sent = _run(django_capture_on_commit_callbacks)

    assert [(r.review, r.iscm.acronym) for r in sent] == [(world.reviews.eur, "PART")]
    assert _recipients() == [world.partner_user.email]


def test_reminder_still_goes_to_an_iscm_with_only_a_draft(
    world, joint_input, django_capture_on_commit_callbacks
):
    _deadline_in(world.reviews.amr, 14)

    sent = _run(django_capture_on_commit_callbacks)

    assert [r.iscm.acronym for r in sent] == ["LEAD"]
    assert _recipients() == [world.lead_user.email]


def test_reminder_withdrawn_input_does_not_count_as_submitted(
    world, ready_input, django_capture_on_commit_callbacks
):
    _submit(ready_input, world)
    workflow.withdraw_input(ready_input, by=world.lead_user, reason="Sent by post instead.")
    assert InputVersion.objects.filter(input=ready_input).exists()
    _deadline_in(world.reviews.amr, 14)

    sent = _run(django_capture_on_commit_callbacks)

    assert [r.iscm.acronym for r in sent] == ["LEAD"]


def test_reminder_counts_an_input_with_changes_requested_as_submitted(
    world, ready_input, django_capture_on_commit_callbacks
):
    _submit(ready_input, world)
    ready_input.refresh_from_db()
    ready_input.status = "changes_requested"
    ready_input.save(update_fields=["status"])
    _deadline_in(world.reviews.amr, 14)

    assert _run(django_capture_on_commit_callbacks) == []


@pytest.mark.parametrize(
    ("opens", "deadline", "meeting"),
    [
        pytest.param(-20, -1, 30, id="closed"),
        pytest.param(None, None, None, id="not-scheduled"),
        pytest.param(-10, None, None, id="no-deadline"),
        pytest.param(1, 3, 30, id="not-yet-open"),
        pytest.param(-20, 2, -1, id="meeting-held"),
    ],
)
def test_reminder_nothing_for_a_review_not_open(
    world, django_capture_on_commit_callbacks, opens, deadline, meeting
):
    def day(offset):
        return None if offset is None else TODAY + datetime.timedelta(offset)

    review = world.reviews.amr
    review.submission_opens, review.deadline, review.meeting_date = (
        day(opens),
        day(deadline),
        day(meeting),
    )
    review.save()

    assert _run(django_capture_on_commit_callbacks) == []
    assert mail.outbox == []
    assert _recorded() == []


def test_reminder_recorded_without_recipients_when_no_active_member(
    world, django_capture_on_commit_callbacks
):
    world.lead_user.is_active = False
    world.lead_user.save(update_fields=["is_active"])
    _deadline_in(world.reviews.amr, 14)

    sent = _run(django_capture_on_commit_callbacks)

    assert [(r.iscm.acronym, r.recipients) for r in sent] == [("LEAD", 0)]
    assert mail.outbox == []
    assert _recorded() == [("AMR", "LEAD", 14, 0)]
    assert _run(django_capture_on_commit_callbacks) == []


def test_reminder_already_recorded_by_another_run_is_not_sent(
    world, django_capture_on_commit_callbacks, monkeypatch
):
    """Two runs at once: the second one's insert hits the unique constraint."""
    _deadline_in(world.reviews.amr, 14)
    real_record = reminders._record

    def other_run_first(reminder, addresses):
        DeadlineReminder.objects.create(
            review=reminder.review, iscm=reminder.iscm, days_before=reminder.days_before
        )
        return real_record(reminder, addresses)

    monkeypatch.setattr(reminders, "_record", other_run_first)

    assert _run(django_capture_on_commit_callbacks) == []
    assert mail.outbox == []
    assert DeadlineReminder.objects.count() == 1


def test_reminder_failed_send_is_forgotten_and_retried(
    world, django_capture_on_commit_callbacks, monkeypatch, caplog
):
    _deadline_in(world.reviews.amr, 14)

    def broken(*args, **kwargs):
        raise ConnectionRefusedError("mail server down")

    monkeypatch.setattr(reminders.emails, "send_templated", broken)
    with caplog.at_level(logging.ERROR, logger="submissions.reminders"):
        sent = _run(django_capture_on_commit_callbacks)

    assert [r.error for r in sent] == ["mail server down"]
    assert "not sent" in caplog.text
    assert _recorded() == []
    monkeypatch.undo()
    assert [r.iscm.acronym for r in _run(django_capture_on_commit_callbacks)] == ["LEAD"]
    assert len(mail.outbox) == 1


def test_reminder_queries_do_not_grow_with_iscms(
    world, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    for review in (world.reviews.amr, world.reviews.eur, world.reviews.afr):
        _deadline_in(review, 14)
    for _ in range(6):
        iscm = ISCMFactory(regions=[world.regions.amr, world.regions.eur])
        MembershipFactory(iscm=iscm)
        MembershipFactory(iscm=iscm)
    # reviews, ISCMs, memberships, recorded steps, lead and partner links of submitted
    # inputs; then per reminder a savepoint, one insert and its release, and its
    # e-mails stored (one insert) and marked sent (one update) by the outbox.
    with django_assert_max_num_queries(6 + 5 * 15):
        sent = _run(django_capture_on_commit_callbacks)
    assert len(sent) == 15
    assert len(mail.outbox) == 3 + 6 * 2 * 2
    with django_assert_max_num_queries(6):
        assert _run(django_capture_on_commit_callbacks) == []


def test_reminder_mail_names_region_cycle_deadline_and_dashboard(
    world, django_capture_on_commit_callbacks, settings
):
    _deadline_in(world.reviews.amr, 14)
    region, cycle = world.regions.amr, world.cycle

    _run(django_capture_on_commit_callbacks)

    (message,) = mail.outbox
    deadline = f"{world.reviews.amr.deadline:%-d %B %Y}"
    assert message.subject == (
        f"Reminder: inputs to the AMR regional review are due on {deadline}"
    )
    html = message.alternatives[0].content
    for body in (message.body, html):
        assert f"AMR — {region.name}" in body
        assert f"{cycle.name}, {cycle.years}" in body
        assert deadline in body
        assert "14 days left" in body
        assert f"{settings.SITE_URL}/my/" in body
        assert "If you have already sent an input to this review" in body
    assert "Dear LEAD secretariat," in message.body
    assert f'href="{settings.SITE_URL}/my/"' in html


def test_command_prints_a_summary(world, django_capture_on_commit_callbacks):
    _deadline_in(world.reviews.amr, 14)
    _deadline_in(world.reviews.eur, 2)
    out = io.StringIO()

    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_deadline_reminders", "--date", TODAY.isoformat(), stdout=out)

    output = out.getvalue()
    assert f"Deadline reminders for {TODAY.isoformat()}:" in output
    assert "LEAD: 14-day reminder sent to 1 recipient(s)" in output
    assert (
        "PART: 3-day reminder sent to 1 recipient(s); 14-day step recorded as superseded" in output
    )
    assert "2 reminder(s) sent, 2 message(s)." in output
    assert len(mail.outbox) == 2


def test_command_dry_run_sends_and_records_nothing(world, django_capture_on_commit_callbacks):
    _deadline_in(world.reviews.amr, 14)
    out = io.StringIO()

    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_deadline_reminders", "--dry-run", stdout=out)

    output = out.getvalue()
    assert "(dry run)" in output
    assert "LEAD: 14-day reminder would be sent to 1 recipient(s)" in output
    assert "1 reminder(s) would be sent, 1 message(s), nothing recorded." in output
    assert mail.outbox == []
    assert _recorded() == []


def test_command_date_shifts_the_day(world, django_capture_on_commit_callbacks):
    out = io.StringIO()  # the reviews close in 30 days: in 16 days, 14 are left
    later = TODAY + datetime.timedelta(16)

    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_deadline_reminders", "--date", later.isoformat(), stdout=out)

    assert "3 reminder(s) sent" in out.getvalue()


def test_command_rejects_a_bad_date(world):
    with pytest.raises(CommandError, match="not a date"):
        call_command("send_deadline_reminders", "--date", "31/12/2030")
