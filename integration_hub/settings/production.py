"""Production: refuses to start with unsafe defaults."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F401,F403
from .base import DEV_INSECURE_SECRET_KEY, env

SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
HUB_ALLOW_HTTP_LOOPBACK = env.bool("HUB_ALLOW_HTTP_LOOPBACK", default=False)
HUB_WARN_EMPTY_IP_ALLOWLIST = env.bool("HUB_WARN_EMPTY_IP_ALLOWLIST", default=True)
LOG_FORMAT = env.str("LOG_FORMAT", default="json")
LOGGING["handlers"]["default"]["formatter"] = "json" if LOG_FORMAT == "json" else "console"  # noqa: F405

if not SECRET_KEY or SECRET_KEY == DEV_INSECURE_SECRET_KEY or SECRET_KEY.startswith("django-insecure") or len(SECRET_KEY) < 32:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set to a real secret (32+ characters) in production.")
if DEBUG:
    raise ImproperlyConfigured("DJANGO_DEBUG must be off in production.")
if not env.list("HUB_FERNET_KEYS", default=[]):
    raise ImproperlyConfigured("HUB_FERNET_KEYS must be set in production (comma-separated Fernet keys).")

SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
