from __future__ import annotations

from django.urls import path

from groups.views import console, portal
from portal import converters  # noqa: F401 - registers <entity_id:>

app_name = "groups"
urlpatterns = [
    path("", console.group_list, name="list"),
    path("new/", console.group_create, name="create"),
    path("new/external/", console.group_create_external, name="create_external"),
    path("<entity_id:name>/", console.group_detail, name="detail"),
    path("<entity_id:name>/settings/", console.group_update, name="update"),
    path("<entity_id:name>/delete/", console.group_delete, name="delete"),
    path("<entity_id:name>/members/", console.group_members, name="members"),
    path("<entity_id:name>/requests/", console.group_requests, name="requests"),
    path(
        "<entity_id:name>/requests/<int:pk>/approve/",
        console.request_approve,
        name="request_approve",
    ),
    path(
        "<entity_id:name>/requests/<int:pk>/reject/",
        console.request_reject,
        name="request_reject",
    ),
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

# The developer portal's pages, mounted under the portal's namespace.
portal_urlpatterns = [
    path("groups/", portal.group_list, name="groups"),
    path("groups/<entity_id:name>/request/", portal.request_to_join, name="request_group"),
    path(
        "profile/group-requests/<int:pk>/withdraw/",
        portal.withdraw_request,
        name="withdraw_group_request",
    ),
]
