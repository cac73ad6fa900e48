from django.apps import AppConfig


class IntegrationHubConfig(AppConfig):
    name = "integration_hub"
    verbose_name = "Integration hub"

    def ready(self) -> None:
        from . import openapi  # noqa: F401  (drf-spectacular extensions: the edges' documented shapes)
        from .public_api import signals  # noqa: F401  (the games list cache follows the catalog)
