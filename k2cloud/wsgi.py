"""WSGI entry point (management tooling and the test live server; production serves ASGI)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "k2cloud.settings")
application = get_wsgi_application()
