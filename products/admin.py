from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from groups.models import Group
from portal.admin_site import PorticoModelAdmin, may_view
from portal.models import User
from products import services
from products.models import Product, ProductGroup


class ProductGroupInline(admin.TabularInline):
    """Read-only: access changes go through the console (or the API), where the
    access rule for subscriptions applies and Administrators stay linked."""

    model = ProductGroup
    extra = 0
    fields = ["group", "added_at", "added_by"]
    readonly_fields = ["group", "added_at", "added_by"]
    can_delete = False

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Each row links to the group and to whoever linked it.
        return (
            may_view(self.admin_site, request, Group)
            and may_view(self.admin_site, request, User)
            and super().has_view_permission(request, obj)
        )


@admin.register(Product)
class ProductAdmin(PorticoModelAdmin):
    list_display = [
        "display_name",
        "name",
        "state",
        "listed",
        "subscription_required",
        "approval_required",
    ]
    list_filter = ["state", "listed", "subscription_required", "approval_required"]
    search_fields = ["display_name", "name", "description"]
    readonly_fields = ["version", "created_at", "updated_at"]
    fields = [
        "display_name",
        "name",
        "description",
        "terms",
        "state",
        "subscription_required",
        "approval_required",
        "subscriptions_limit",
        "listed",
        "version",
        "created_at",
        "updated_at",
    ]
    inlines = [ProductGroupInline]

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        # Deleting decides about subscriptions; the console asks that question.
        return False

    def get_readonly_fields(self, request, obj=None):  # type: ignore[no-untyped-def]
        # The ID is fixed once the product exists, as in the console.
        return [*self.readonly_fields, "name"] if obj else self.readonly_fields

    def save_model(self, request: HttpRequest, obj: Product, form: Any, change: bool) -> None:
        # Through the services: a new product gets the Administrators' access.
        if change:
            fields = {name: form.cleaned_data[name] for name in form.changed_data}
            services.update_product(product=obj, expected_version=None, **fields)
        else:
            fields = {name: form.cleaned_data[name] for name in form.cleaned_data}
            created = services.create_product(added_by=request.user, **fields)
            obj.pk = created.pk
