from __future__ import annotations

from django.urls import path

import portal.converters  # noqa: F401 - registers <entity_id:>
from groups import views

app_name = "groups"
urlpatterns = [
    path("", views.group_list, name="list"),
    path("new/", views.group_create, name="create"),
    path("<entity_id:name>/", views.group_detail, name="detail"),
    path("<entity_id:name>/settings/", views.group_update, name="update"),
    path("<entity_id:name>/delete/", views.group_delete, name="delete"),
    path("<entity_id:name>/members/", views.group_members, name="members"),
    path("<entity_id:name>/members/add/", views.group_add_members, name="add_members"),
    path(
        "<entity_id:name>/members/<int:user_id>/remove/",
        views.group_remove_member,
        name="remove_member",
    ),
]
