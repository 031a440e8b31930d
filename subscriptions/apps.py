from __future__ import annotations

from django.apps import AppConfig


class SubscriptionsConfig(AppConfig):
    name = "subscriptions"
    verbose_name = "Subscriptions"

    def ready(self) -> None:
        from portal import approvals, sight
        from portal import services as user_services
        from subscriptions import inbox, notify, services

        approvals.register(inbox.SUBSCRIPTION_REQUESTS)
        approvals.set_recipients(notify.administrators_addresses)

        # The access rule follows every change of sight, whichever path made it.
        sight.sight_changed.connect(
            services.on_sight_changed, sender=sight.changed, dispatch_uid="subscriptions.access"
        )
        # An account's deletion records the subscriptions it takes.
        user_services.user_deleting.connect(
            services.on_user_deleting,
            sender=user_services.delete_user,
            dispatch_uid="subscriptions.user_deleting",
        )
