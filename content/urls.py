"""The console's Pages tab and Settings › Branding."""

from __future__ import annotations

from django.urls import path

from content.views import branding

app_name = "content"
urlpatterns: list = [
    path("settings/branding/", branding.branding_settings, name="branding"),
]
