"""Background tasks of the reviews app (django-tasks; run by `manage.py db_worker`)."""

from django.conf import settings
from django_tasks import task

from .emails import notify_compile_failed, notify_compilers_offline
from .package_child import compile_in_child
from .package_pdf import compile_package
from .synthesis_pdf import build_draft


@task()
def compile_package_task(package_pk: int) -> str:
    """Compile a queued regional package; returns its final status. The compile runs in
    a child process that exits when it is done, so the worker gives its memory back
    (package_child.py); in process when PACKAGE_COMPILE_IN_CHILD is off (tests)."""
    if settings.PACKAGE_COMPILE_IN_CHILD:
        return compile_in_child(package_pk).status
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


@task()
def send_package_failed_email(package_pk: int) -> int:
    """Tell the compiler who asked for a package that it failed after its automatic
    retry; returns the number of messages sent."""
    return notify_compile_failed(package_pk)
