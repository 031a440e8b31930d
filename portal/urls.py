from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from portal import views
from portal.forms import SignInForm

portal_patterns = (
    [
        path("", views.landing, name="landing"),
        path("products/", views.product_list, name="products"),
        path("profile/", views.profile, name="profile"),
        path(
            "signin/",
            auth_views.LoginView.as_view(
                authentication_form=SignInForm, redirect_authenticated_user=True
            ),
            name="login",
        ),
        path("signout/", auth_views.LogoutView.as_view(), name="logout"),
        path("health/", views.health, name="health"),
    ],
    "portal",
)

console_patterns = (
    [
        path("", views.console_home, name="home"),
        path("groups/", views.console_section, {"section": "groups"}, name="groups"),
        path("products/", views.console_section, {"section": "products"}, name="products"),
        path(
            "subscriptions/",
            views.console_section,
            {"section": "subscriptions"},
            name="subscriptions",
        ),
        path("users/", views.console_section, {"section": "users"}, name="users"),
    ],
    "console",
)

admin.site.site_header = "Portico administration"
admin.site.site_title = "Portico admin"
admin.site.index_title = "Support"

urlpatterns = [
    path("console/", include(console_patterns)),
    path("admin/", admin.site.urls),
    path("", include(portal_patterns)),
]
