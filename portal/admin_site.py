"""What every model's pages in the Django admin share.

Support staff reach the admin with whatever permissions they were given, and
anyone signed in can type a URL or forge a form. A page that shows a link to
another model's page is for people who may open it, and an ID that names
nothing (a word, a number too big for the column) is a form error or a
message, never a server error.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from types import FunctionType
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers, widgets
from django.contrib.admin.options import ActionLocation
from django.contrib.contenttypes.models import ContentType
from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.exceptions import ValidationError
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, URLResolver, path, reverse, reverse_lazy
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import urlencode

from portal.entities import Link
from portal.models import is_administrator


def may_view(site: admin.AdminSite, request: HttpRequest, model: type[models.Model]) -> bool:
    """Whether this person may open a model's pages in the admin."""
    if not site.is_registered(model):
        return False
    return site.get_model_admin(model).has_view_or_change_permission(request)


def is_id(field: models.Field[Any, Any], value: Any) -> bool:
    """Whether a value a request sent can be looked up in this column.

    Django's lookups raise ValueError on a word where a number belongs, and
    SQLite raises OverflowError on a number beyond 64 bits; either is a 500.
    """
    try:
        value = field.to_python(value)
        field.run_validators(value)
    except ValidationError:
        return False
    return value is not None


@dataclass(frozen=True)
class Row:
    """A line of a section: a name, its admin page if the person may open it, and a note."""

    label: str
    url: str | None
    detail: str


@dataclass(frozen=True)
class Section:
    """A read-only list under a change page's fields: the first rows of what may be many.

    `more_url` lists them all, when the person may open it.
    """

    title: str
    columns: tuple[str, str]
    rows: list[Row]
    total: int
    plural: str
    empty: str
    description: str = ""
    more_url: str | None = None
    # The link's words, when more_url lists fewer than `total` (a user's
    # stored memberships, without the system groups).
    more_label: str = ""

    @property
    def summary(self) -> str:
        if len(self.rows) < self.total:
            return f"Showing {len(self.rows)} of {intcomma(self.total)} {self.plural}."
        return ""

    @property
    def more(self) -> str:
        return self.more_label or f"See all {intcomma(self.total)}"


def added(link: Link) -> str:
    """When a link row (a membership, a group's access) was added, and by whom."""
    when = date_format(timezone.localtime(link.added_at), "j M Y")
    return f"Added {when} by {link.added_by.email}" if link.added_by else f"Added {when}"


def change_url(site: admin.AdminSite, request: HttpRequest, obj: models.Model) -> str | None:
    """The admin page of an object, when this person may open it."""
    if not may_view(site, request, type(obj)):
        return None
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])


def list_url(
    site: admin.AdminSite, request: HttpRequest, model: type[models.Model], **filters: Any
) -> str | None:
    """A model's admin list with these filters, when this person may open it."""
    if not may_view(site, request, model):
        return None
    opts = model._meta
    return f"{reverse(f'admin:{opts.app_label}_{opts.model_name}_changelist')}?{urlencode(filters)}"


class AutocompleteSelect(widgets.AutocompleteSelect):
    """Django's, for a value that can't be an ID too.

    To label the chosen option it looks the submitted value up, so a forged
    "abc" crashed the page that should have shown the field's error.
    """

    def optgroups(self, name: str, value: Sequence[str], attr: Any = None) -> Any:
        target = self.field.target_field
        return super().optgroups(name, [item for item in value if is_id(target, item)], attr)


class ModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Django's, refusing an ID that doesn't fit the column before the database does."""

    def clean(self, value: Any) -> Any:
        if self.queryset is not None and isinstance(value, list | tuple):
            model = self.queryset.model
            field = model._meta.get_field(self.to_field_name) if self.to_field_name else None
            for item in value:
                if not is_id(field or model._meta.pk, item):
                    raise ValidationError(
                        self.error_messages["invalid_pk_value"],
                        code="invalid_pk_value",
                        params={"pk": item},
                    )
        return super().clean(value)


class PorticoModelAdmin(admin.ModelAdmin):
    """The base of every model's pages in Portico's admin."""

    # Django's, with the sections under the fields.
    change_form_template = "admin/portico/change_form.html"

    def get_sections(self, request: HttpRequest, obj: Any) -> list[Section]:
        """Read-only lists to show under an object's fields (a user's groups)."""
        return []

    def formfield_for_foreignkey(
        self, db_field: Any, request: HttpRequest, **kwargs: Any
    ) -> forms.ModelChoiceField[Any] | None:
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = AutocompleteSelect(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(
        self, db_field: Any, request: HttpRequest, **kwargs: Any
    ) -> forms.ModelMultipleChoiceField | None:
        kwargs.setdefault("form_class", ModelMultipleChoiceField)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def response_action(
        self,
        request: HttpRequest,
        queryset: Any,
        action_location: ActionLocation = ActionLocation.CHANGE_LIST,
    ) -> HttpResponse | None:
        # Django filters on the ticked IDs as they came, and a forged "abc"
        # raises. Returning None sends the person back to the list.
        selected = request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
        if not all(is_id(self.opts.pk, item) for item in selected):
            self.message_user(
                request,
                "The selection names items that don't exist. Nothing was changed.",
                messages.WARNING,
            )
            return None
        return super().response_action(request, queryset, action_location)

    def site_page_url(self, request: HttpRequest, obj: Any) -> str | None:
        """The page View on site leads to, when this person may open it.

        Each model's own page is in the console, which is for administrators.
        """
        if not self.view_on_site or not hasattr(obj, "get_absolute_url"):
            return None
        return obj.get_absolute_url() if is_administrator(request.user) else None

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Any = None,
    ) -> HttpResponse:
        context["sections"] = self.get_sections(request, obj) if obj is not None else []
        response = super().render_change_form(request, context, add, change, form_url, obj)
        # Django offers View on site for any object with a page of its own.
        if (
            isinstance(response, TemplateResponse)
            and response.context_data is not None
            and (obj is None or self.site_page_url(request, obj) is None)
        ):
            response.context_data["has_absolute_url"] = False
        return response

    def get_urls(self) -> list[URLPattern]:
        urls = super().get_urls()
        # LoginRequiredMiddleware sends a visitor to the sign-in page a view
        # names, else to the portal's. Django names the admin's on the
        # site's own views, not on each model's pages.
        login_url = reverse_lazy("admin:login", current_app=self.admin_site.name)
        for url in urls:
            if isinstance(url, URLPattern) and isinstance(url.callback, FunctionType):
                url.callback.login_url = login_url  # type: ignore[attr-defined]
        return urls


class AdminSite(admin.AdminSite):
    """Portico's Django admin (django.contrib.admin's default site, see portal.apps)."""

    site_header = "Portico administration"
    site_title = "Portico admin"
    index_title = "Support"

    def get_urls(self) -> list[URLResolver | URLPattern]:
        view = self.admin_view(self.view_on_site)
        view.login_url = reverse_lazy("admin:login", current_app=self.name)  # type: ignore[attr-defined]
        ours = path("r/<path:content_type_id>/<path:object_id>/", view, name="view_on_site")
        return [
            ours if getattr(url, "name", None) == "view_on_site" else url
            for url in super().get_urls()
        ]

    def view_on_site(
        self, request: HttpRequest, content_type_id: str, object_id: str
    ) -> HttpResponse:
        """View on site: 404 unless this person may see the object here and open its page.

        Django's own redirect sends anyone with staff status to any object's
        page, which tells them the object exists and what it is called.
        """
        if not is_id(ContentType._meta.pk, content_type_id):
            raise Http404
        try:
            model = ContentType.objects.get_for_id(int(content_type_id)).model_class()
        except ContentType.DoesNotExist:
            raise Http404 from None
        model_admin = self._registry.get(model) if model is not None else None
        if not isinstance(model_admin, PorticoModelAdmin):
            raise Http404
        obj = model_admin.get_object(request, object_id)
        if obj is None or not model_admin.has_view_or_change_permission(request, obj):
            raise Http404
        url = model_admin.site_page_url(request, obj)
        if url is None:
            raise Http404
        return HttpResponseRedirect(url)
