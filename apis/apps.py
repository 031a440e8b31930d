from __future__ import annotations

from django.apps import AppConfig


class ApisConfig(AppConfig):
    name = "apis"
    verbose_name = "APIs"

    def ready(self) -> None:
        from apis import services
        from products import services as product_services

        # A product's deletion records the APIs it no longer contains.
        product_services.product_deleting.connect(
            services.on_product_deleting,
            sender=product_services.delete_product,
            dispatch_uid="apis.product_deleting",
        )
