"""The console's Pages tab."""

from __future__ import annotations

from django.urls import path

from content.views import branding, console
from portal import converters  # noqa: F401 - registers <entity_id:>

app_name = "content"
urlpatterns = [
    path("pages/", console.page_list, name="list"),
    path("pages/new/", console.page_create, name="create"),
    path("pages/<slug:slug>/", console.page_detail, name="detail"),
    path("pages/<slug:slug>/settings/", console.page_update, name="update"),
    path("pages/<slug:slug>/publish/", console.page_publish, name="publish"),
    path("pages/<slug:slug>/unpublish/", console.page_unpublish, name="unpublish"),
    path("pages/<slug:slug>/delete/", console.page_delete, name="delete"),
    path("pages/<slug:slug>/access/", console.page_access, name="access"),
    path("pages/<slug:slug>/access/add/", console.page_add_groups, name="add_groups"),
    path(
        "pages/<slug:slug>/access/<entity_id:group>/remove/",
        console.page_remove_group,
        name="remove_group",
    ),
    path("pages/<slug:slug>/versions/", console.page_versions, name="versions"),
    path("pages/<slug:slug>/versions/<int:number>/", console.page_version, name="version"),
    path(
        "pages/<slug:slug>/versions/<int:number>/restore/",
        console.page_restore,
        name="restore",
    ),
    path("settings/branding/", branding.branding_settings, name="branding"),
]
