"""E-mails of the written-input lifecycle. Each message is three templates under
templates/emails/: <name>_subject.txt, <name>_body.txt and <name>_body.html.

Sent after the transaction commits (see workflow.py), one message per recipient so
nobody sees the others' addresses. Only active accounts receive mail.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string
from django.urls import reverse

from .models import ReviewerAssignment, ReviewEvent


def send_templated(name: str, context: dict, recipients: list[str]) -> int:
    """Render the three templates of `name` and send one message to each recipient."""
    if not recipients:
        return 0
    context = {**context, "site_url": settings.SITE_URL}
    subject = " ".join(render_to_string(f"emails/{name}_subject.txt", context).split())
    text = render_to_string(f"emails/{name}_body.txt", context)
    html = render_to_string(f"emails/{name}_body.html", context)
    messages = []
    for address in recipients:
        message = EmailMultiAlternatives(subject, text, to=[address])
        message.attach_alternative(html, "text/html")
        messages.append(message)
    return get_connection().send_messages(messages)


def secretariat_addresses(written_input) -> list[str]:
    """Active secretariat members of the lead and the partner ISCMs."""
    iscms = [written_input.lead_iscm_id, *written_input.partner_iscms.values_list("pk", flat=True)]
    return list(
        get_user_model()
        .objects.filter(is_active=True, memberships__iscm__in=iscms)
        .distinct()
        .order_by("email")
        .values_list("email", flat=True)
    )


def reviewer_addresses(written_input) -> list[str]:
    """Active reviewers of the regions the input targets."""
    return list(
        get_user_model()
        .objects.filter(
            is_active=True,
            region_assignments__role=ReviewerAssignment.Role.REVIEWER,
            region_assignments__region__reviews__inputs=written_input,
        )
        .distinct()
        .order_by("email")
        .values_list("email", flat=True)
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
    return send_templated(name, context, secretariat_addresses(event.input))


def notify_reviewers(name: str, event_pk: int) -> int:
    """Tell the reviewers of an input's regions what an event did (template `name`)."""
    event, context = _event_context(event_pk)
    context["input_url"] = settings.SITE_URL + reverse("reviews:input", args=[event.input_id])
    return send_templated(name, context, reviewer_addresses(event.input))
