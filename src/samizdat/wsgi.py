from __future__ import annotations

import os

from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "samizdat.settings")
application = get_wsgi_application()

# However the app is served (`samizdat serve`, gunicorn or runserver by hand), never with
# debug off on the demo's data, whose accounts have a published password.
from samizdat.core.management.commands.demo import demo_data_refusal  # noqa: E402

if refusal := demo_data_refusal("The site"):
    raise ImproperlyConfigured(refusal)
