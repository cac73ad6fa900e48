from django.apps import AppConfig


class CertificationConfig(AppConfig):
    name = "certification"
    verbose_name = "Certification"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from tenants import services as tenant_services

        from . import services, tasks  # noqa: F401  (tasks registers certification.execute_run)

        if services.go_live_check not in tenant_services.GO_LIVE_GATES:
            tenant_services.GO_LIVE_GATES.append(services.go_live_check)
