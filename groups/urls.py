from __future__ import annotations

from django.urls import path, register_converter

from groups import views


class GroupIdConverter:
    regex = r"[A-Za-z0-9._-]+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(GroupIdConverter, "group_id")

app_name = "groups"
urlpatterns = [
    path("", views.group_list, name="list"),
    path("new/", views.group_create, name="create"),
    path("<group_id:name>/", views.group_detail, name="detail"),
    path("<group_id:name>/settings/", views.group_update, name="update"),
    path("<group_id:name>/delete/", views.group_delete, name="delete"),
    path("<group_id:name>/members/", views.group_members, name="members"),
    path("<group_id:name>/members/add/", views.group_add_members, name="add_members"),
    path(
        "<group_id:name>/members/<int:user_id>/remove/",
        views.group_remove_member,
        name="remove_member",
    ),
]
