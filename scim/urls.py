from __future__ import annotations

from django.urls import path, re_path

from scim.views import api

app_name = "scim"
urlpatterns = [
    path("", api.service_provider_config, name="root"),
    re_path(r"^ServiceProviderConfigs?/?$", api.service_provider_config, name="config"),
    re_path(r"^ResourceTypes/?$", api.resource_types, name="resource_types"),
    re_path(r"^ResourceTypes/(?P<name>[^/]+)/?$", api.resource_type, name="resource_type"),
    re_path(r"^Schemas/?$", api.schemas, name="schemas"),
    re_path(r"^Schemas/(?P<urn>[^/]+)/?$", api.schema, name="schema"),
    re_path(r"^Users/?$", api.users, name="users"),
    re_path(r"^Users/(?P<resource_id>[^/]+)/?$", api.user, name="user"),
    re_path(r"^Groups/?$", api.groups, name="groups"),
    re_path(r"^Groups/(?P<resource_id>[^/]+)/?$", api.group, name="group"),
    # Anything else under /scim/v2/ is a 404 in SCIM's shape, not an HTML page.
    re_path(r"^.*$", api.unknown, name="unknown"),
]
