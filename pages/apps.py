from django.apps import AppConfig


class PagesConfig(AppConfig):
    name = "pages"
    verbose_name = "Player-facing pages"
    default_auto_field = "django.db.models.BigAutoField"
