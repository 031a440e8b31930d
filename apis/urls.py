"""The console's APIs tab, and the APIs tab of a product, mounted under /console/."""

from __future__ import annotations

from django.urls import path

from apis.views import console, history
from portal import converters  # noqa: F401 - registers <entity_id:>

app_name = "apis"
urlpatterns = [
    path("apis/", console.api_list, name="list"),
    path("apis/new/", console.api_create, name="create"),
    path("apis/<entity_id:name>/", console.api_detail, name="detail"),
    path("apis/<entity_id:name>/settings/", console.api_update, name="update"),
    path("apis/<entity_id:name>/delete/", console.api_delete, name="delete"),
    path("apis/<entity_id:name>/reimport/", console.api_reimport, name="reimport"),
    path(
        "apis/<entity_id:name>/reimport/confirm/",
        console.api_reimport_confirm,
        name="reimport_confirm",
    ),
    path("apis/<entity_id:name>/products/", console.api_products, name="products"),
    path("apis/<entity_id:name>/access-as-of/", history.api_as_of, name="as_of"),
    path(
        "apis/<entity_id:name>/products/add/",
        console.api_add_to_products,
        name="add_to_products",
    ),
    path(
        "apis/<entity_id:name>/products/<entity_id:product>/delete/",
        console.api_remove_from_product,
        name="remove_from_product",
    ),
    path(
        "apis/<entity_id:name>/operations/<entity_id:operation>/restrict/",
        console.api_restrict_operation,
        name="restrict_operation",
    ),
    path(
        "apis/<entity_id:name>/tags/<path:tag>/restrict/",
        console.api_restrict_tag,
        name="restrict_tag",
    ),
    path(
        "apis/<entity_id:name>/restrictions/<int:pk>/delete/",
        console.api_unrestrict,
        name="unrestrict",
    ),
    # A product's APIs tab: the product's pages, the apis app's data.
    path("products/<entity_id:product>/apis/", console.product_apis, name="product_apis"),
    path(
        "products/<entity_id:product>/apis/add/",
        console.product_add_apis,
        name="product_add_apis",
    ),
    path(
        "products/<entity_id:product>/apis/<entity_id:api>/delete/",
        console.product_remove_api,
        name="product_remove_api",
    ),
]
