"""The console's Activity, mounted at /console/activity/."""

from __future__ import annotations

from django.urls import path

from audit.views import console

app_name = "audit"
urlpatterns = [
    path("", console.activity, name="activity"),
    path("export.csv", console.activity_csv, name="export"),
]
