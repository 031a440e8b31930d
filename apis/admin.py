"""APIs in the Django admin, read-only for support staff.

Importing, re-importing and deleting an API read and check an OpenAPI
document and change what developers see; the console does that, through the
services, with a preview and a confirmation.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from apis.models import Api, Operation
from portal.admin_site import PorticoModelAdmin


class OperationInline(admin.TabularInline):
    model = Operation
    extra = 0
    fields = ("method", "url_template", "name", "display_name", "tag_list")
    readonly_fields = fields
    can_delete = False
    show_change_link = False

    @admin.display(description="tags")
    def tag_list(self, operation: Operation) -> str:
        return ", ".join(operation.tag_list)

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # The operations are part of the API: whoever may view it sees them.
        return self.admin_site.get_model_admin(Api).has_view_permission(request, obj)


@admin.register(Api)
class ApiAdmin(PorticoModelAdmin):
    list_display = ["display_name", "name", "path", "api_version", "document_version"]
    search_fields = ["display_name", "name", "description", "path"]
    list_filter = ["subscription_required", "document_format"]
    fields = (
        "display_name",
        "name",
        "description",
        "path",
        "service_url",
        "protocols",
        "api_version",
        "api_revision",
        "subscription_required",
        "document_version",
        "document_format",
        "version",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields
    inlines = [OperationInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
