"""Pages in the Django admin, for support staff given the permissions: every write
goes through content.services, as from the console."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from content import services
from content.forms import LandingPageMoves
from content.models import Page, PageGroup, PageVersion
from groups.models import Group
from portal.admin_site import PorticoModelAdmin

PAGE_FIELDS = ["title", "slug", "body", "order", "menu", "visibility", "state", "is_landing"]


class PageAdminForm(LandingPageMoves):
    # Not the model's `groups`: the admin edits a relation with its own
    # link model only through a form field of its own, saved by the services.
    chosen_groups = forms.ModelMultipleChoiceField(
        label="Groups",
        queryset=Group.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Who sees the page when it is meant for chosen groups. "
        "Administrators see every page.",
    )

    class Meta:
        model = Page
        fields = PAGE_FIELDS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        chosen = self.fields["chosen_groups"]
        assert isinstance(chosen, forms.ModelMultipleChoiceField)
        chosen.queryset = Group.objects.exclude(name=Group.ADMINISTRATORS).order_by(
            "display_name_key"
        )
        if self.instance.pk:
            chosen.initial = list(
                PageGroup.objects.filter(page=self.instance).values_list("group_id", flat=True)
            )


class PageVersionInline(admin.TabularInline):
    """The kept versions, read-only: Restore is in the console's Pages tab."""

    model = PageVersion
    extra = 0
    fields = ["number", "title", "saved_at"]
    readonly_fields = ["number", "title", "saved_at"]
    can_delete = False

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Page)
class PageAdmin(PorticoModelAdmin):
    form = PageAdminForm
    list_display = ["title", "slug", "state", "visibility", "menu", "order", "is_landing"]
    list_filter = ["state", "visibility", "menu", "is_landing"]
    search_fields = ["title", "slug", "body"]
    readonly_fields = ["version", "created_at", "updated_at"]
    fields = [*PAGE_FIELDS, "chosen_groups", "version", "created_at", "updated_at"]
    inlines = [PageVersionInline]

    def save_model(self, request: HttpRequest, obj: Page, form: Any, change: bool) -> None:
        chosen = list(form.cleaned_data["chosen_groups"])
        if not change:
            fields = {name: form.cleaned_data[name] for name in PAGE_FIELDS}
            created = services.create_page(created_by=request.user, groups=chosen, **fields)
            obj.pk = created.pk
            return
        changed = [name for name in form.changed_data if name in PAGE_FIELDS]
        changes = {name: form.cleaned_data[name] for name in changed}
        page = services.update_page(
            page=obj, expected_version=None, updated_by=request.user, **changes
        )
        linked = set(PageGroup.objects.filter(page=page).values_list("group_id", flat=True))
        services.grant_page(page=page, groups=chosen, added_by=request.user)
        for group in Group.objects.filter(pk__in=linked - {group.pk for group in chosen}):
            services.revoke_page(page=page, group=group)

    def delete_model(self, request: HttpRequest, obj: Page) -> None:
        services.delete_page(page=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Page]) -> None:
        for page in queryset:
            services.delete_page(page=page)
