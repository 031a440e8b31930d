"""The developer portal's pages, search and logo."""

from __future__ import annotations

from django.urls import path

from content.views import branding, portal, search

urlpatterns = [
    path("pages/<slug:slug>/", portal.page_detail, name="page"),
    path("search/", search.search, name="search"),
    path("branding/logo-<int:version>", branding.branding_logo, name="branding_logo"),
    path("branding/accent-<int:version>.css", branding.branding_accent, name="branding_accent"),
]
