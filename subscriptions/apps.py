from __future__ import annotations

from django.apps import AppConfig


class SubscriptionsConfig(AppConfig):
    name = "subscriptions"
    verbose_name = "Subscriptions"

    def ready(self) -> None:
        from portal import sight
        from subscriptions import services

        # The access rule follows every change of sight, whichever path made it.
        sight.sight_changed.connect(
            services.on_sight_changed, sender=sight.changed, dispatch_uid="subscriptions.access"
        )
