from django.apps import AppConfig


class IntegrationHubConfig(AppConfig):
    name = "integration_hub"
    verbose_name = "Integration hub"

    def ready(self) -> None:
        from . import after_response, openapi, signals  # noqa: F401
