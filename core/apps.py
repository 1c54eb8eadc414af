from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from django.contrib import admin

        from core.admin import brand_admin_site
        from core.checks import refuse_bad_settings

        refuse_bad_settings()
        brand_admin_site(admin.site)
