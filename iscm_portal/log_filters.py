"""Logging filters named in settings.LOGGING (so: no model imports here)."""

import logging

HEALTH_PATH = "/healthz"


class SkipHealthProbes(logging.Filter):
    """Drops `django.request`'s record of a /healthz answer (its 503s would otherwise
    log an error at every probe of every balancer). /healthz logs its own one-line
    warning naming the failing checks (iscm_portal/health.py)."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        return getattr(request, "path", None) != HEALTH_PATH
