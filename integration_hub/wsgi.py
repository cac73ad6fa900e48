"""Compatibility entry point: the WSGI app lives in ``config.wsgi``.

Kept because the performance yardstick (``shared/perf/compare_bets.py``, not part of this repository)
boots ``integration_hub.wsgi`` with ``-c integration_hub/gunicorn_conf.py``. New code uses ``config``.
"""

from config.wsgi import application  # noqa: F401
