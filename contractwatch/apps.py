from django.apps import AppConfig


class ContractWatchConfig(AppConfig):
    name = "contractwatch"
    verbose_name = "Contract watch"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from wallet import calllog

        from . import services, tasks  # noqa: F401  (tasks: registers the task name the beat sends)

        calllog.watch_answers(services.answers_check)
