"""The developer portal's pages, search and logo."""

from __future__ import annotations

from django.urls import path  # noqa: F401 - the pages' routes come next

urlpatterns: list = []
