"""Background tasks of accounts (django-tasks; run by `manage.py db_worker`)."""

from django_tasks import task

from . import passwords


@task()
def send_password_reset(email: str, language: str) -> int:
    """Mail a password-reset link to the active account of `email`, if there is one
    (see accounts.passwords.send_reset_link). Returns the number of messages sent."""
    return passwords.send_reset_link(email, language)
