from __future__ import annotations

from django.urls import path

import portal.converters  # noqa: F401 - registers <entity_id:>
from products import views

app_name = "products"
urlpatterns = [
    path("", views.product_list, name="list"),
    path("new/", views.product_create, name="create"),
    path("<entity_id:name>/", views.product_detail, name="detail"),
    path("<entity_id:name>/settings/", views.product_update, name="update"),
    path("<entity_id:name>/publish/", views.product_publish, name="publish"),
    path("<entity_id:name>/unpublish/", views.product_unpublish, name="unpublish"),
    path("<entity_id:name>/delete/", views.product_delete, name="delete"),
    path("<entity_id:name>/access/", views.product_access, name="access"),
    path("<entity_id:name>/access/add/", views.product_add_groups, name="add_groups"),
    path(
        "<entity_id:name>/access/<entity_id:group>/delete/",
        views.product_remove_group,
        name="remove_group",
    ),
]
