"""Production: refuses to start with unsafe defaults."""

from django.core.exceptions import ImproperlyConfigured

from .base import *
from .base import DEV_INSECURE_SECRET_KEY, env

SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
HUB_ALLOW_HTTP_LOOPBACK = env.bool("HUB_ALLOW_HTTP_LOOPBACK", default=False)
HUB_WARN_EMPTY_IP_ALLOWLIST = env.bool("HUB_WARN_EMPTY_IP_ALLOWLIST", default=True)
LOG_FORMAT = env.str("LOG_FORMAT", default="json")
SENTRY_ENVIRONMENT = env.str("SENTRY_ENVIRONMENT", default="production")
LOGGING["handlers"]["default"]["formatter"] = "json" if LOG_FORMAT == "json" else "console"

if (
    not SECRET_KEY
    or SECRET_KEY == DEV_INSECURE_SECRET_KEY
    or SECRET_KEY.startswith("django-insecure")
    or len(SECRET_KEY) < 32
):
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set to a real secret (32+ characters) in production.")
if DEBUG:
    raise ImproperlyConfigured("DJANGO_DEBUG must be off in production.")
if not env.list("HUB_FERNET_KEYS", default=[]):
    raise ImproperlyConfigured("HUB_FERNET_KEYS must be set in production (comma-separated Fernet keys).")

SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_CONTENT_TYPE_NOSNIFF = True

# --- Production-safe defaults ------------------------------------------------
HUB_PRODUCTION = True
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=[])
if not ALLOWED_HOSTS or "*" in ALLOWED_HOSTS:
    raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS must list the hub's host names in production (not '*').")
if HUB_ADMIN_API_KEY and len(HUB_ADMIN_API_KEY) < 32:
    raise ImproperlyConfigured("HUB_ADMIN_API_KEY must be 32+ characters in production (or unset to disable it).")
# HTTPS on by default: HSTS for a year (subdomains included), http redirected to https (but /healthz,
# /readyz, /metrics).
# SECURE_PROXY_SSL_HEADER comes from base: trusted only when HUB_NUM_PROXIES > 0.
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=365 * 24 * 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
# The sandbox partner (a test double storing partner secrets in plain text) is never installed or served here.
if ROOT_URLCONF == "sandbox.urls":
    raise ImproperlyConfigured("The sandbox partner is not served under production settings (HUB_ROOT_URLCONF).")
INSTALLED_APPS = [app for app in INSTALLED_APPS if app != "sandbox"]
