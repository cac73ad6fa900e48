"""Test settings: same code paths as production, fast hashing, loopback http allowed."""

from .base import *  # noqa: F401,F403
from .base import env

DEBUG = False
HUB_ALLOW_HTTP_LOOPBACK = True
HUB_ADMIN_API_KEY = "test-admin-key"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
HUB_JACKPOT_ROUND_SECONDS = env.int("HUB_JACKPOT_ROUND_SECONDS", default=0)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
