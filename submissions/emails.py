"""E-mails of the written-input lifecycle. Each message is three templates under
templates/emails/: <name>_subject.txt, <name>_body.txt and <name>_body.html.

Sent after the transaction commits (see workflow.py), one message per recipient so
nobody sees the others' addresses, each in the recipient's own language (their
profile's interface language), through the outbox (`submissions.outbox`): stored,
and retried when the mail server refuses. Only active accounts receive mail, and only the
notifications they have not turned off (`OPTIONAL_NOTIFICATIONS`).
"""

from collections import defaultdict

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from . import outbox
from .models import Decision, InputTarget, OutgoingEmail, ReviewerAssignment, ReviewEvent

# The e-mails a person may turn off in their profile, with the User field that says
# whether they want it. Every other e-mail is required by the workflow or the account
# (decisions, publication, invitations, confirmations, password reset) and always sent.
OPTIONAL_NOTIFICATIONS = {
    "input_submitted": "notify_colleague_actions",
    "input_withdrawn": "notify_colleague_actions",
    "input_to_review": "notify_new_inputs",
    "deadline_reminder": "notify_deadline_reminders",
}
# input_withdrawn goes to reviewers too: for them it is the "reached my regions"
# setting.
REVIEWER_NOTIFICATIONS = {"input_withdrawn": "notify_new_inputs"}


def _render(name: str, context: dict, recipients):
    """(address, language, subject, text, html) for each recipient; the templates are
    rendered once per language. `recipients` holds addresses (the default language) or
    (address, language) pairs."""
    by_language = defaultdict(list)
    for recipient in recipients:
        address, language = (
            (recipient, "") if isinstance(recipient, str) else (recipient[0], recipient[1])
        )
        by_language[language or settings.LANGUAGE_CODE].append(address)
    context = {**context, "site_url": settings.SITE_URL}
    for language, addresses in by_language.items():
        with translation.override(language):
            subject = " ".join(render_to_string(f"emails/{name}_subject.txt", context).split())
            text = render_to_string(f"emails/{name}_body.txt", context)
            html = render_to_string(f"emails/{name}_body.html", context)
        for address in addresses:
            yield address, language, subject, text, html


def send_templated(name: str, context: dict, recipients) -> int:
    """Render the three templates of `name` and queue one message to each recipient
    (`submissions.outbox`: stored, sent at once, retried with back-off when the mail
    server refuses). Returns how many were sent at once.

    `recipients` holds addresses (sent in the default language) or (address,
    language) pairs. Call it once the change it reports is committed."""
    return outbox.queue(
        [
            OutgoingEmail(
                template=name,
                to=address,
                language=language,
                subject=subject,
                text_body=text,
                html_body=html,
            )
            for address, language, subject, text, html in _render(name, context, recipients)
        ]
    )


def send_templated_now(name: str, context: dict, recipients) -> int:
    """Like `send_templated`, but sent now and never stored: for a message that carries
    a secret link, whose sender is told at once when the mail server refuses (the
    exception is raised) and tries again. Returns the number of messages sent."""
    messages = []
    for address, language, subject, text, html in _render(name, context, recipients):
        message = EmailMultiAlternatives(
            subject, text, to=[address], headers={"Content-Language": language}
        )
        message.attach_alternative(html, "text/html")
        messages.append(message)
    return get_connection().send_messages(messages) if messages else 0


def _wanting(people, notification: str | None):
    """Active people among `people` (a User query set) who want `notification`."""
    people = people.filter(is_active=True)
    if notification:
        people = people.filter(**{notification: True})
    return list(people.distinct().order_by("email").values_list("email", "language"))


def secretariat_addresses(written_input, name: str | None = None) -> list[tuple[str, str]]:
    """(address, language) of the active secretariat members of the lead and the
    partner ISCMs who want the e-mail `name`."""
    iscms = [written_input.lead_iscm_id, *written_input.partner_iscms.values_list("pk", flat=True)]
    return _wanting(
        get_user_model().objects.filter(memberships__iscm__in=iscms),
        OPTIONAL_NOTIFICATIONS.get(name),
    )


def reviewer_addresses(written_input, name: str | None = None) -> list[tuple[str, str]]:
    """(address, language) of the active reviewers of the regions the input targets
    who want the e-mail `name`. A new version (`input_to_review`) goes to the reviews
    still to decide on it, not to those that declined it."""
    targets = InputTarget.objects.filter(writteninput=written_input)
    if name == "input_to_review":
        targets = targets.filter(decision=Decision.PENDING)
    return _wanting(
        get_user_model().objects.filter(
            region_assignments__role=ReviewerAssignment.Role.REVIEWER,
            region_assignments__region__reviews__in=targets.values("regionalreview"),
        ),
        REVIEWER_NOTIFICATIONS.get(name, OPTIONAL_NOTIFICATIONS.get(name)),
    )


def _event_context(event_pk: int) -> tuple[ReviewEvent, dict]:
    event = ReviewEvent.objects.select_related("input__lead_iscm", "input__cycle", "actor").get(
        pk=event_pk
    )
    written_input = event.input
    return event, {
        "event": event,
        "input": written_input,
        "partners": list(written_input.partner_iscms.all()),
        "targets": list(written_input.target_reviews.select_related("region")),
        # The reviews a decision was taken for (empty for the secretariat's actions).
        "decided_reviews": list(event.reviews.select_related("region").order_by("region__code")),
        # The comments this decision sent (never internal notes: those are never
        # released).
        "comments": list(event.comments.select_related("section", "objective")),
    }


def notify_secretariats(name: str, event_pk: int) -> int:
    """Tell the secretariats of an input what an event did (template `name`).
    Internal notes never reach them: only events visible to the secretariat are sent."""
    event, context = _event_context(event_pk)
    if event.visibility == ReviewEvent.Visibility.INTERNAL:
        return 0
    context["input_url"] = settings.SITE_URL + reverse(
        "submissions:input-detail", args=[event.input_id]
    )
    return send_templated(name, context, secretariat_addresses(event.input, name))


def notify_reviewers(name: str, event_pk: int) -> int:
    """Tell the reviewers of an input's regions what an event did (template `name`)."""
    event, context = _event_context(event_pk)
    context["input_url"] = settings.SITE_URL + reverse("reviews:input", args=[event.input_id])
    if event.version_number and event.version_number > 1:
        # A new version reaches reviews that decided on an earlier one: with the diff.
        context["diff_url"] = (
            settings.SITE_URL
            + reverse("reviews:diff", args=[event.input_id])
            + f"?from={event.version_number - 1}&to={event.version_number}"
        )
    return send_templated(name, context, reviewer_addresses(event.input, name))


def notify_administrators(name: str, event_pk: int) -> int:
    """Tell the active administrators (template `name`) about an input that reached a
    regional review whose region has no reviewer: nobody else would hear of it."""
    event, context = _event_context(event_pk)
    context["unstaffed"] = event.input.unstaffed_target_reviews()
    if not context["unstaffed"]:
        return 0  # a reviewer was assigned meanwhile
    context["input_url"] = settings.SITE_URL + reverse(
        "submissions:input-detail", args=[event.input_id]
    )
    context["overview_url"] = settings.SITE_URL + reverse("reviews:overview")
    administrators = get_user_model().objects.filter(is_staff=True)
    return send_templated(name, context, _wanting(administrators, None))
