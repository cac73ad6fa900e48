"""The WSGI application gunicorn serves (``config/gunicorn.py``): Django's, with the game page's hot routes
answered before Django's handler when they are installed (``integration_hub/session_api/hot.py``)."""

import os
from collections.abc import Callable
from typing import Any

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
application: Callable[..., Any] = get_wsgi_application()

from integration_hub.session_api import hot  # noqa: E402  (after Django is set up)

if hot.installed():
    application = hot.HotRoutes(application)
