from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Hub core"

    def ready(self) -> None:
        from . import after_response  # noqa: F401  (connects the request signals)
