from django.apps import AppConfig


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from accounts import checks  # noqa: F401  (registers the deploy checks)
        from accounts.services.staff_groups import seed_staff_groups

        post_migrate.connect(seed_staff_groups, sender=self, dispatch_uid="accounts.seed_staff_groups")
