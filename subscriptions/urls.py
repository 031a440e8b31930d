from __future__ import annotations

from django.urls import path

from portal import converters  # noqa: F401 - registers <subscription_id:> and <entity_id:>
from subscriptions.views import account, console, portal

app_name = "subscriptions"
urlpatterns = [
    path("", console.subscription_list, name="list"),
    # "+" can't be in a subscription's ID, so these never hide a subscription's page.
    path("+add/", console.subscription_grant, name="grant"),
    path("+add/developers/", console.subscription_grant_developers, name="grant_developers"),
    path("<subscription_id:sid>/", console.subscription_detail, name="detail"),
    path(
        "<subscription_id:sid>/<str:action>/",
        console.subscription_change_state,
        name="change_state",
    ),
]

# The developer portal's pages, mounted under the portal's namespace.
portal_urlpatterns = [
    path("products/<entity_id:name>/subscribe/", portal.subscribe, name="subscribe"),
    path("apis/<entity_id:name>/subscribe/", portal.subscribe_api, name="subscribe_api"),
    path("profile/", portal.profile, name="profile"),
    path("profile/delete/", account.close_own_account, name="close_account"),
    path("profile/data/", account.download_own_data, name="download_data"),
    path(
        "profile/subscriptions/<subscription_id:sid>/keys/<str:which>/regenerate/",
        portal.regenerate_key,
        name="regenerate_key",
    ),
    path(
        "profile/subscriptions/<subscription_id:sid>/rename/",
        portal.rename_subscription,
        name="rename_subscription",
    ),
    path(
        "profile/subscriptions/<subscription_id:sid>/cancel/",
        portal.cancel_subscription,
        name="cancel_subscription",
    ),
]
