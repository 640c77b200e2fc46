"""A mail backend whose server is down: the edge of the world, for tests of what the
portal does when an e-mail cannot be sent."""

from django.core.mail.backends.base import BaseEmailBackend


class RefusingBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise ConnectionRefusedError("mail server down")
