"""Background tasks of the reviews app (django-tasks; run by `manage.py db_worker`)."""

from django_tasks import task

from .emails import notify_compilers_offline
from .package_pdf import compile_package
from .synthesis_pdf import build_draft


@task()
def compile_package_task(package_pk: int) -> str:
    """Compile a queued regional package; returns its final status."""
    return compile_package(package_pk).status


@task()
def send_package_offline_email(package_pk: int, new_version_pk: int) -> int:
    """Tell the region's compilers that a public edition went offline; returns the
    number of messages sent."""
    return notify_compilers_offline(package_pk, new_version_pk)


@task()
def build_synthesis_task(draft_pk: int) -> str:
    """Build a queued synthesis draft (.docx and PDF); returns its final status."""
    return build_draft(draft_pk).status
