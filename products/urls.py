from __future__ import annotations

from django.urls import path

from portal import converters  # noqa: F401 - registers <entity_id:>
from products.views import console, history, portal

app_name = "products"
urlpatterns = [
    path("", console.product_list, name="list"),
    path("new/", console.product_create, name="create"),
    path("<entity_id:name>/", console.product_detail, name="detail"),
    path("<entity_id:name>/settings/", console.product_update, name="update"),
    path("<entity_id:name>/publish/", console.product_publish, name="publish"),
    path("<entity_id:name>/unpublish/", console.product_unpublish, name="unpublish"),
    path("<entity_id:name>/delete/", console.product_delete, name="delete"),
    path("<entity_id:name>/access/", console.product_access, name="access"),
    path("<entity_id:name>/access/add/", console.product_add_groups, name="add_groups"),
    path("<entity_id:name>/access-as-of/", history.product_as_of, name="as_of"),
    path(
        "<entity_id:name>/access/<entity_id:group>/delete/",
        console.product_remove_group,
        name="remove_group",
    ),
]

# The developer portal's pages, mounted under the portal's namespace.
portal_urlpatterns = [
    path("products/", portal.product_list, name="products"),
    path("products/<entity_id:name>/", portal.product_detail, name="product"),
    path("products/<entity_id:name>/request-access/", portal.request_access, name="request_access"),
    path(
        "profile/access-requests/<int:pk>/withdraw/",
        portal.withdraw_access_request,
        name="withdraw_access_request",
    ),
]
