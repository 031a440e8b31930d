from __future__ import annotations

from django.urls import path

import portal.converters  # noqa: F401 - registers <subscription_id:>
from products import subscription_views as views

app_name = "subscriptions"
urlpatterns = [
    path("", views.subscription_list, name="list"),
    path("<subscription_id:sid>/", views.subscription_detail, name="detail"),
    path(
        "<subscription_id:sid>/<str:action>/", views.subscription_change_state, name="change_state"
    ),
]
