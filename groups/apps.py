from __future__ import annotations

from typing import Any

from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate

from groups.system import ensure_system_groups


def _repair_system_groups(sender: AppConfig, *, using: str, **kwargs: Any) -> None:
    # The data migration creates the system groups once; a database flush
    # (TransactionTestCase, `manage.py flush`) wipes them and then sends
    # post_migrate, so they are put back here, as Django does for permissions.
    state_apps = kwargs.get("apps") or apps
    try:
        group_model = state_apps.get_model("groups", "Group")
    except LookupError:
        return
    ensure_system_groups(group_model, using)


class GroupsConfig(AppConfig):
    name = "groups"
    verbose_name = "Groups"

    def ready(self) -> None:
        post_migrate.connect(_repair_system_groups, sender=self)

        from groups import inbox, services
        from portal import activation, approvals
        from portal import services as user_services

        approvals.register(inbox.GROUP_REQUESTS)

        # Automatic group rules follow every activation, whichever path made it.
        activation.account_activated.connect(
            services.on_account_activated, sender=activation.activated, dispatch_uid="groups.rules"
        )
        # An account's deletion records the memberships it takes.
        user_services.user_deleting.connect(
            services.on_user_deleting,
            sender=user_services.delete_user,
            dispatch_uid="groups.user_deleting",
        )
