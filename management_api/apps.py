from __future__ import annotations

from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "management_api"
    # The label stays "api" so tables, migrations and permissions keep their names.
    label = "api"
    verbose_name = "Management API"

    def ready(self) -> None:
        from management_api import services
        from portal import services as user_services

        # An account's deletion records the tokens it takes.
        user_services.user_deleting.connect(
            services.on_user_deleting,
            sender=user_services.delete_user,
            dispatch_uid="management_api.user_deleting",
        )
