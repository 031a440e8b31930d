"""The developer portal's pages, search and logo."""

from __future__ import annotations

from django.urls import path

from content.views import portal, search

urlpatterns = [
    path("pages/<slug:slug>/", portal.page_detail, name="page"),
    path("search/", search.search, name="search"),
]
