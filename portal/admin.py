from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm
from django.contrib.auth.models import Group as AuthGroup
from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django_tasks_db.models import DBTaskResult

from groups.models import Group, Membership
from groups.system import derived_group_ids
from portal import services
from portal.admin_site import PorticoModelAdmin, Row, Section, added, change_url, list_url
from portal.console import SECTION_ROWS
from portal.forms import AdminSetPasswordForm
from portal.models import User, is_administrator

# Django's permission groups. Nobody can be put in one here (the user page
# gives roles and permissions one by one, and has no field for them), and a
# second "Groups" beside Portico's would send support staff to the wrong one.
admin.site.unregister(AuthGroup)
# The task queue's own rows: the console's Jobs page shows the work, with
# who started it and Retry; the queue's bookkeeping is no page for support staff.
admin.site.unregister(DBTaskResult)


class UserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ["email", "first_name", "last_name"]


@admin.register(User)
class UserAdmin(PorticoModelAdmin, DjangoUserAdmin):
    add_form = UserCreationForm
    change_password_form = AdminSetPasswordForm
    list_display = ["email", "first_name", "last_name", "state", "role", "registration_date"]
    list_filter = ["state", "is_staff", "is_superuser"]
    search_fields = ["email", "first_name", "last_name"]
    ordering = ["email"]
    readonly_fields = ["registration_date", "last_login"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Person", {"fields": ["first_name", "last_name", "note"]}),
        ("Account", {"fields": ["state", "registration_date", "last_login"]}),
        (
            "Roles and permissions",
            {"fields": ["is_staff", "is_superuser", "user_permissions"]},
        ),
    ]
    add_fieldsets = [
        (
            None,
            {
                "classes": ["wide"],
                "fields": ["email", "first_name", "last_name", "password1", "password2"],
            },
        ),
    ]
    filter_horizontal = ["user_permissions"]

    @admin.display(description="Role")
    def role(self, obj: User) -> str:
        return obj.role

    @admin.display(description="Password")
    def password_state(self, obj: User) -> str:
        if not obj.has_usable_password():
            return "Not set yet: they were sent a link to choose one."
        return (
            "Set. Only administrators set other people's passwords; the person can "
            "choose a new one with “Forgot your password?” on the sign-in page."
        )

    def get_sections(self, request: HttpRequest, obj: User) -> list[Section]:
        # The first question of any "why can't I see it?": which groups.
        derived = list(
            Group.objects.filter(name__in=derived_group_ids(obj)).order_by("display_name_key")
        )
        stored = Membership.objects.filter(user=obj)
        stored_count = stored.count()
        memberships = list(
            stored.select_related("group", "added_by").order_by("group__display_name_key")[
                :SECTION_ROWS
            ]
        )
        rows = [
            Row(
                group.display_name,
                change_url(self.admin_site, request, group),
                f"Built-in: {group.derived_membership.lower()}",
            )
            for group in derived
        ] + [
            Row(
                membership.group.display_name,
                change_url(self.admin_site, request, membership.group),
                added(membership),
            )
            for membership in memberships
        ]
        return [
            Section(
                title="Groups",
                columns=("Group", "How"),
                rows=rows,
                total=len(derived) + stored_count,
                plural="groups",
                empty="In no group.",
                more_url=list_url(self.admin_site, request, Membership, user__id__exact=obj.pk),
                more_label=f"See all {intcomma(stored_count)} memberships",
            )
        ]

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or is_administrator(request.user):
            return fieldsets
        # Django's password field is a button to the page that sets it,
        # which is for administrators (see user_change_password).
        return [
            (
                name,
                options
                | {
                    "fields": [
                        "password_state" if field == "password" else field
                        for field in options["fields"]
                    ]
                },
            )
            for name, options in fieldsets
        ]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.pk == request.user.pk:
            # Nobody blocks their own account (the console and the API refuse it too).
            fields.append("state")
        if not is_administrator(request.user):
            # Support staff may be allowed to edit people, never to hand out
            # roles or permissions, their own included, nor to change the
            # email a password reset goes to (that would take the account over).
            fields += ["is_staff", "is_superuser", "user_permissions", "password_state"]
            if obj is not None:
                fields.append("email")
        return fields

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> Any:
        if not is_administrator(request.user):
            raise PermissionDenied("Only administrators set other people's passwords.")
        return super().user_change_password(request, id, form_url)

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        # Through the service: blocking, unblocking and demoting an
        # administrator change what the person sees, and the rules follow.
        services.save_user(user=obj, actor=request.user)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        # Permissions through the service, which records a change of them.
        permissions = form.cleaned_data.pop("user_permissions", None)
        super().save_related(request, form, formsets, change)
        if permissions is not None:
            services.set_permissions(user=form.instance, permissions=permissions)

    def delete_model(self, request: HttpRequest, obj: User) -> None:
        services.delete_user(user=obj, actor=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for person in queryset:
            services.delete_user(user=person, actor=request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.pk == request.user.pk:
            return False
        if (
            obj is not None
            and (obj.is_superuser or obj.is_staff)
            and not is_administrator(request.user)
        ):
            return False
        return super().has_delete_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Support staff change developers, not administrators or one another.
        if (
            obj is not None
            and (obj.is_superuser or obj.is_staff)
            and not is_administrator(request.user)
        ):
            return False
        return super().has_change_permission(request, obj)
