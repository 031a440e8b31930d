from __future__ import annotations

from django.urls import path

from groups.views import console
from portal import converters  # noqa: F401 - registers <entity_id:>

app_name = "groups"
urlpatterns = [
    path("", console.group_list, name="list"),
    path("new/", console.group_create, name="create"),
    path("<entity_id:name>/", console.group_detail, name="detail"),
    path("<entity_id:name>/settings/", console.group_update, name="update"),
    path("<entity_id:name>/delete/", console.group_delete, name="delete"),
    path("<entity_id:name>/members/", console.group_members, name="members"),
    path("<entity_id:name>/members/add/", console.group_add_members, name="add_members"),
    path(
        "<entity_id:name>/members/<int:user_id>/remove/",
        console.group_remove_member,
        name="remove_member",
    ),
    path("<entity_id:name>/rules/", console.group_rules, name="rules"),
    path("<entity_id:name>/rules/add/", console.group_add_rule, name="add_rule"),
    path(
        "<entity_id:name>/rules/<int:rule_id>/delete/",
        console.group_delete_rule,
        name="delete_rule",
    ),
    path(
        "<entity_id:name>/rules/<int:rule_id>/apply/", console.group_apply_rule, name="apply_rule"
    ),
]
