"""Local development (`make run`): debug off by default, http on loopback allowed."""

from .base import *
from .base import env

DEBUG = env.bool("DJANGO_DEBUG", default=False)
HUB_ALLOW_HTTP_LOOPBACK = env.bool("HUB_ALLOW_HTTP_LOOPBACK", default=True)
HUB_ADMIN_API_KEY = env.str("HUB_ADMIN_API_KEY", default="dev-admin-key")
