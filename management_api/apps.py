from __future__ import annotations

from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "management_api"
    # The label stays "api" so tables, migrations and permissions keep their names.
    label = "api"
    verbose_name = "Management API"
