"""The developer portal's pages, search and logo."""

from __future__ import annotations

from django.urls import path

from content.views import search

urlpatterns: list = [
    path("search/", search.search, name="search"),
]
