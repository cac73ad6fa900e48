"""gunicorn settings for the hub (and the sandbox partner, which reuses them)."""

import os

bind = f"{os.environ.get('HUB_BIND', '127.0.0.1')}:{os.environ.get('HUB_PORT', '8000')}"
workers = int(os.environ.get("HUB_WEB_WORKERS", "2"))
worker_class = "config.gunicorn_worker.KeepAliveThreadWorker"  # gthread, next request served on its thread
threads = int(os.environ.get("HUB_WEB_THREADS", "8"))
timeout = 30
graceful_timeout = 10
keepalive = 5
accesslog = "-"
# The session key and the portal's magic link travel in the URL fragment, which never reaches the server;
# the access log has no headers, so no signature or key is logged; and every field it writes is redacted
# (config/gunicorn_logging.py: a round-details token in /rounds/<token>, an old-style portal link, any key).
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms'
logger_class = "config.gunicorn_logging.RedactingLogger"
# gunicorn 27 opens a control socket at one fixed path by default; the hub and the
# sandbox (and several hubs on one machine) would fight over it.
control_socket_disable = True


def post_worker_init(worker):
    """Freeze what the app allocated at start-up (settings, URLconf, models, DRF…): the garbage
    collector no longer walks it on every full collection, which shortens the pauses a request
    can hit (the bet latency's tail)."""
    import gc

    gc.collect()
    gc.freeze()
