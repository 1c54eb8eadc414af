from django.apps import AppConfig


class ScoringConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "scoring"

    def ready(self) -> None:
        # Registers the settings checks and the provider reset on setting changes.
        from scoring import checks  # noqa: F401
        from scoring.providers import factory  # noqa: F401
