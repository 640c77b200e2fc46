"""E-mails of the reviews app (templates/emails/<name>_subject.txt / _body.txt /
_body.html, sent through `submissions.emails.send_templated`, one message per
recipient in their language). Called by `tasks.py`."""

from django.conf import settings

from submissions.emails import send_templated
from submissions.models import ReviewerAssignment

from .models import RegionalPackage


def notify_compile_failed(package_pk: int) -> int:
    """E-mail the person who asked for the package (if any, and active) that its compile
    failed after an automatic retry, with the reason. Returns the messages sent."""
    package = RegionalPackage.objects.select_related(
        "review__region", "review__cycle", "created_by"
    ).get(pk=package_pk)
    person = package.created_by
    if person is None or not person.is_active or not person.email:
        return 0
    context = {"package": package, "package_url": settings.SITE_URL + package.get_absolute_url()}
    return send_templated("package_failed", context, [(person.email, person.language)])


def notify_compilers_offline(package_pk: int, new_version_pk: int) -> int:
    """E-mail the active compilers of the package's region that its public edition went
    offline and which new version is being compiled. Returns the messages sent."""
    package = RegionalPackage.objects.select_related("review__region", "review__cycle").get(
        pk=package_pk
    )
    new_version = RegionalPackage.objects.get(pk=new_version_pk)
    compilers = (
        ReviewerAssignment.objects.filter(
            region=package.review.region_id,
            role=ReviewerAssignment.Role.COMPILER,
            user__is_active=True,
        )
        .order_by("user__email")
        .values_list("user__email", "user__language")
        .distinct()
    )
    context = {
        "package": package,
        "new_version": new_version,
        "package_url": settings.SITE_URL + new_version.get_absolute_url(),
    }
    return send_templated("package_offline", context, list(compilers))
