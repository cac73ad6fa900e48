from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Hub core"

    def ready(self) -> None:
        from django.contrib import admin

        from config import sentry

        from . import after_response  # noqa: F401  (connects the request signals)

        sentry.init_from_settings()  # error tracking, only when SENTRY_DSN is set (config/sentry.py)

        # The admin is the hub's back office, not "Django administration".
        admin.site.site_header = "Integration hub"
        admin.site.site_title = "Integration hub"
        admin.site.index_title = "Operations"
