from django.apps import AppConfig


class IntegrationHubConfig(AppConfig):
    name = "integration_hub"
    verbose_name = "Integration hub"
