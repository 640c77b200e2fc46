"""WSGI entry point (gunicorn iscm_portal.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "iscm_portal.settings")

application = get_wsgi_application()
