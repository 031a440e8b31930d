from __future__ import annotations

from django.apps import AppConfig


class ProductsConfig(AppConfig):
    name = "products"
    verbose_name = "Products"

    def ready(self) -> None:
        from portal import approvals
        from products import inbox

        # Requests for access to listed products wait in the console's inbox.
        approvals.register(inbox.KIND)
