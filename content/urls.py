"""The console's Pages tab and Settings › Branding."""

from __future__ import annotations

from django.urls import path  # noqa: F401 - the pages' routes come next

app_name = "content"
urlpatterns: list = []
