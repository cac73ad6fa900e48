"""Compatibility path for gunicorn's ``-c``: the settings live in ``config/gunicorn.py`` (see ``integration_hub/wsgi.py``)."""

from config.gunicorn import *  # noqa: F401,F403
from config.gunicorn import post_worker_init  # noqa: F401
