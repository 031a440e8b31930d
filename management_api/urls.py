from __future__ import annotations

from django.urls import path, re_path

from management_api.views import activity, apis, docs, resources, user_actions

SERVICE = (
    r"^subscriptions/(?P<subscription_id>[^/]+)/resourceGroups/(?P<resource_group>[^/]+)"
    r"/providers/Microsoft\.ApiManagement/service/(?P<service_name>[^/]+)/"
)
ID = r"(?P<{}>[^/]+)"


def route(suffix: str, view, name: str, **kwargs: str):  # type: ignore[no-untyped-def]
    return re_path(SERVICE + suffix + r"/?$", view, kwargs, name=name)


app_name = "api"
urlpatterns = [
    route("groups", resources.group_list, "groups"),
    route("groups/" + ID.format("group_id"), resources.group_entity, "group"),
    route("groups/" + ID.format("group_id") + "/users", resources.group_user_list, "group_users"),
    route(
        "groups/" + ID.format("group_id") + "/users/" + ID.format("user_id"),
        resources.group_user,
        "group_user",
    ),
    route("products", resources.product_list, "products"),
    route("products/" + ID.format("product_id"), resources.product_entity, "product"),
    route(
        "products/" + ID.format("product_id") + "/groups",
        resources.product_group_list,
        "product_groups",
    ),
    route(
        "products/" + ID.format("product_id") + "/groups/" + ID.format("group_id"),
        resources.product_group,
        "product_group",
    ),
    route(
        "products/" + ID.format("product_id") + "/subscriptions",
        resources.product_subscription_list,
        "product_subscriptions",
    ),
    route("products/" + ID.format("product_id") + "/apis", apis.product_api_list, "product_apis"),
    route(
        "products/" + ID.format("product_id") + "/apis/" + ID.format("api_id"),
        apis.product_api,
        "product_api",
    ),
    route("apis", apis.api_list, "apis"),
    route("apis/" + ID.format("api_id"), apis.api_entity, "api"),
    route("apis/" + ID.format("api_id") + "/operations", apis.operation_list, "api_operations"),
    route(
        "apis/" + ID.format("api_id") + "/operations/" + ID.format("operation_id"),
        apis.operation_entity,
        "api_operation",
    ),
    route("apis/" + ID.format("api_id") + "/products", apis.api_product_list, "api_products"),
    route("users", resources.user_list, "users"),
    route("users/" + ID.format("user_id"), resources.user_entity, "user"),
    route("users/" + ID.format("user_id") + "/groups", resources.user_group_list, "user_groups"),
    route(
        "users/" + ID.format("user_id") + "/identities",
        user_actions.user_identities,
        "user_identities",
    ),
    route(
        "users/" + ID.format("user_id") + "/generateSsoUrl",
        user_actions.user_sso_url,
        "user_sso_url",
    ),
    route("users/" + ID.format("user_id") + "/token", user_actions.user_token, "user_token"),
    route(
        "users/" + ID.format("user_id") + "/confirmations/password/send",
        user_actions.user_password_email,
        "user_password_email",
    ),
    route(
        "users/" + ID.format("user_id") + "/subscriptions",
        resources.user_subscription_list,
        "user_subscriptions",
    ),
    route(
        "users/" + ID.format("user_id") + "/subscriptions/" + ID.format("sid"),
        resources.user_subscription,
        "user_subscription",
    ),
    route("subscriptions", resources.subscription_list, "subscriptions"),
    route("subscriptions/" + ID.format("sid"), resources.subscription_entity, "subscription"),
    route(
        "subscriptions/" + ID.format("sid") + "/listSecrets",
        resources.subscription_secrets,
        "subscription_secrets",
    ),
    route(
        "subscriptions/" + ID.format("sid") + "/regeneratePrimaryKey",
        resources.subscription_regenerate,
        "subscription_regenerate_primary",
        which="primary",
    ),
    route(
        "subscriptions/" + ID.format("sid") + "/regenerateSecondaryKey",
        resources.subscription_regenerate,
        "subscription_regenerate_secondary",
        which="secondary",
    ),
    route("activityRecords", activity.record_list, "activity_records"),
    route("activityRecords/" + ID.format("record_id"), activity.record_entity, "activity_record"),
    re_path(SERVICE + r"(?P<rest>.*)$", resources.not_served, name="not_served"),
    path("api/openapi.json", docs.openapi_document, name="openapi"),
    path("api/docs/", docs.openapi_page, name="docs"),
]
