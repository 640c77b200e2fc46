"""A mail server that is down for a while: the edge of the world, for the tests of the
outbox (submissions/outbox.py). It refuses the next `FlakyBackend.refusals` messages,
then takes every message into django.core.mail.outbox like the test backend."""

import smtplib

from django.core.mail.backends.locmem import EmailBackend


class FlakyBackend(EmailBackend):
    refusals = 0  # set by the test: how many messages the server refuses from now on
    refused = 0  # how many it did refuse

    def send_messages(self, messages):
        if FlakyBackend.refusals > 0:
            FlakyBackend.refusals -= 1
            FlakyBackend.refused += 1
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return super().send_messages(messages)
