"""The developer portal's API pages, mounted under the portal's namespace."""

from __future__ import annotations

from django.urls import path

from apis.views import portal
from portal import converters  # noqa: F401 - registers <entity_id:>

urlpatterns = [
    path("apis/", portal.api_list, name="apis"),
    path("apis/<entity_id:name>/", portal.api_reference, name="api"),
    path(
        "apis/<entity_id:name>/openapi.json",
        portal.api_document,
        {"extension": "json"},
        name="api_document",
    ),
    path(
        "apis/<entity_id:name>/openapi.yaml",
        portal.api_document,
        {"extension": "yaml"},
        name="api_document_yaml",
    ),
]
