from __future__ import annotations

from django.urls import path, re_path

from api import views
from api.openapi import openapi_document, openapi_page

SERVICE = (
    r"^subscriptions/(?P<subscription_id>[^/]+)/resourceGroups/(?P<resource_group>[^/]+)"
    r"/providers/Microsoft\.ApiManagement/service/(?P<service_name>[^/]+)/"
)
ID = r"(?P<{}>[^/]+)"


def route(suffix: str, view, name: str, **kwargs: str):  # type: ignore[no-untyped-def]
    return re_path(SERVICE + suffix + r"/?$", view, kwargs, name=name)


app_name = "api"
urlpatterns = [
    route("groups", views.group_list, "groups"),
    route("groups/" + ID.format("group_id"), views.group_entity, "group"),
    route("groups/" + ID.format("group_id") + "/users", views.group_user_list, "group_users"),
    route(
        "groups/" + ID.format("group_id") + "/users/" + ID.format("user_id"),
        views.group_user,
        "group_user",
    ),
    route("products", views.product_list, "products"),
    route("products/" + ID.format("product_id"), views.product_entity, "product"),
    route(
        "products/" + ID.format("product_id") + "/groups",
        views.product_group_list,
        "product_groups",
    ),
    route(
        "products/" + ID.format("product_id") + "/groups/" + ID.format("group_id"),
        views.product_group,
        "product_group",
    ),
    route(
        "products/" + ID.format("product_id") + "/subscriptions",
        views.product_subscription_list,
        "product_subscriptions",
    ),
    route("users", views.user_list, "users"),
    route("users/" + ID.format("user_id"), views.user_entity, "user"),
    route("users/" + ID.format("user_id") + "/groups", views.user_group_list, "user_groups"),
    route(
        "users/" + ID.format("user_id") + "/subscriptions",
        views.user_subscription_list,
        "user_subscriptions",
    ),
    route("subscriptions", views.subscription_list, "subscriptions"),
    route("subscriptions/" + ID.format("sid"), views.subscription_entity, "subscription"),
    route(
        "subscriptions/" + ID.format("sid") + "/listSecrets",
        views.subscription_secrets,
        "subscription_secrets",
    ),
    route(
        "subscriptions/" + ID.format("sid") + "/regeneratePrimaryKey",
        views.subscription_regenerate,
        "subscription_regenerate_primary",
        which="primary",
    ),
    route(
        "subscriptions/" + ID.format("sid") + "/regenerateSecondaryKey",
        views.subscription_regenerate,
        "subscription_regenerate_secondary",
        which="secondary",
    ),
    re_path(SERVICE + r"(?P<rest>.*)$", views.not_served, name="not_served"),
    path("api/openapi.json", openapi_document, name="openapi"),
    path("api/docs/", openapi_page, name="docs"),
]
