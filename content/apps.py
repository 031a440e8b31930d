from __future__ import annotations

from django.apps import AppConfig


class ContentConfig(AppConfig):
    name = "content"
    verbose_name = "Portal content"

    def ready(self) -> None:
        from content import services
        from groups import services as group_services

        # A group's deletion records the pages it no longer sees.
        group_services.group_deleting.connect(
            services.on_group_deleting,
            sender=group_services.delete_group,
            dispatch_uid="content.group_deleting",
        )
