"""The activity record in the Django admin: read only, for support staff given
the view permission. Nobody adds, changes or deletes a record here."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from audit.models import Record
from portal.admin_site import PorticoModelAdmin


@admin.register(Record)
class RecordAdmin(PorticoModelAdmin):
    list_display = ["at", "actor_label", "via", "action", "object_kind", "object_label"]
    # Fields with choices only: a filter on any other field reads every
    # distinct value of a million rows to offer them.
    list_filter = ["actor_kind", "via"]
    search_fields = ["actor_label", "object_label", "related_label", "on_behalf_of"]
    show_full_result_count = False
    list_per_page = 50
    ordering = ["-id"]
    readonly_fields = [field.name for field in Record._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
