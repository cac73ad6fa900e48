from django.apps import AppConfig


class FreeroundsConfig(AppConfig):
    name = "freerounds"
    verbose_name = "Free rounds"
    default_auto_field = "django.db.models.BigAutoField"
