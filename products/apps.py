from __future__ import annotations

from django.apps import AppConfig


class ProductsConfig(AppConfig):
    name = "products"
    verbose_name = "Products"

    def ready(self) -> None:
        from groups import services as group_services
        from portal import approvals
        from products import inbox, services

        # Requests for access to listed products wait in the console's inbox.
        approvals.register(inbox.KIND)
        # A group's deletion records the product access it takes.
        group_services.group_deleting.connect(
            services.on_group_deleting,
            sender=group_services.delete_group,
            dispatch_uid="products.group_deleting",
        )
