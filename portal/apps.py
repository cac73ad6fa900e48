from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Partner portal"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from tenants import services as tenant_services

        from . import services

        if services.portal_links_revoke_for_partner not in tenant_services.PARTNER_SUSPEND_HOOKS:
            tenant_services.PARTNER_SUSPEND_HOOKS.append(services.portal_links_revoke_for_partner)
