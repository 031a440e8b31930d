from __future__ import annotations

from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Portico"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from portal import throttle

        user_logged_in.connect(
            throttle.forget_failures_on_sign_in, dispatch_uid="portal.forget_failures"
        )
