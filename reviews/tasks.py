"""Background tasks of the reviews app (django-tasks; run by `manage.py db_worker`)."""

from django_tasks import task

from .packages import compile_package


@task()
def compile_package_task(package_pk: int) -> str:
    """Compile a queued regional package; returns its final status."""
    return compile_package(package_pk).status
