from django.apps import AppConfig


class IntegrationHubConfig(AppConfig):
    name = "integration_hub"
    verbose_name = "Integration hub"

    def ready(self) -> None:
        from wallet import transport

        from . import (
            openapi,  # noqa: F401  (drf-spectacular extensions: the edges' documented shapes)
            tasks,  # noqa: F401  (registers the task names published by name)
        )
        from .igsp import openapi as igsp_openapi  # noqa: F401
        from .igsp.client import IgspHooksTransport
        from .public_api import openapi as public_api_openapi  # noqa: F401
        from .public_api import signals  # noqa: F401  (the games list cache follows the catalog)
        from .public_api.client import AdapterTransport
        from .session_api import openapi as session_api_openapi  # noqa: F401

        # The ledger calls partners' wallets through these (``wallet.transport.transport_for``).
        transport.register("igsp", IgspHooksTransport())
        transport.register("public_api", AdapterTransport())
