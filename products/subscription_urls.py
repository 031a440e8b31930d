from __future__ import annotations

from django.urls import path

from products import subscription_views as views

app_name = "subscriptions"
urlpatterns = [
    path("", views.subscription_list, name="list"),
    path("<str:sid>/", views.subscription_detail, name="detail"),
    path("<str:sid>/<str:action>/", views.subscription_change_state, name="change_state"),
]
