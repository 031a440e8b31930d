from __future__ import annotations

from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Portico"


class AdminConfig(admin_apps.AdminConfig):
    """The Django admin, serving Portico's own site (settings.INSTALLED_APPS names it)."""

    # Not the portal app's configuration, which Django would otherwise
    # have to choose between the two classes here.
    default = False
    default_site = "portal.admin_site.AdminSite"
