from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.db import connections
from django.db.models.signals import post_delete, post_migrate, post_save

from portal import user_search


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Portico"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from portal import throttle

        user_logged_in.connect(
            throttle.forget_failures_on_sign_in, dispatch_uid="portal.forget_failures"
        )

        from portal import approvals, inbox, mail  # noqa: F401 - mail registers its job

        approvals.register(inbox.SIGNUPS)

        from portal import counts
        from portal.models import User

        post_save.connect(
            counts.account_saved, sender=User, dispatch_uid="portal.counts.account_saved"
        )
        post_delete.connect(
            counts.account_deleted, sender=User, dispatch_uid="portal.counts.account_deleted"
        )

        post_migrate.connect(_repair_user_search, sender=self, dispatch_uid="portal.user_search")


def _repair_user_search(using: str, **kwargs: Any) -> None:
    """A migration that copies portal_user on SQLite drops the search index's triggers."""
    user_search.repair(connections[using])


class AdminConfig(admin_apps.AdminConfig):
    """The Django admin, serving Portico's own site (settings.INSTALLED_APPS names it)."""

    # Not the portal app's configuration, which Django would otherwise
    # have to choose between the two classes here.
    default = False
    default_site = "portal.admin_site.AdminSite"
