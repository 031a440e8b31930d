from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.options import ActionLocation
from django.http import HttpRequest
from django.utils import timezone
from django.utils.formats import date_format

from groups import services
from groups.models import Group, Membership, members_of
from portal.admin_site import (
    PorticoModelAdmin,
    Row,
    Section,
    added,
    change_url,
    list_url,
    may_view,
)
from portal.console import SECTION_ROWS
from portal.models import User, is_administrator

# What the membership form says when an ID names no one it can offer.
NO_SUCH = {
    "user": "There is no such person. Pick one from the list.",
    "group": "There is no such group. Pick one from the list.",
}
NO_SUCH_DEVELOPER = (
    "There is no such developer. Pick one from the list: only administrators add "
    "support staff or administrators to groups."
)

# The user list's own filters that select a system group's members.
SYSTEM_MEMBER_FILTERS: dict[str, dict[str, Any]] = {
    Group.ADMINISTRATORS: {"is_superuser__exact": 1, "state__exact": User.State.ACTIVE},
    Group.DEVELOPERS: {"state__exact": User.State.ACTIVE},
}


def how_added(membership: Membership) -> str:
    """added(), or for an external group's member, when the directory last named them."""
    if membership.synced_at:
        when = date_format(timezone.localtime(membership.synced_at), "j M Y, H:i")
        return f"From the directory, via {membership.get_synced_via_display()} on {when}"
    return added(membership)


class MembershipForm(forms.ModelForm):
    """Staff add people to custom groups only: an external group's members come
    from the directory, a system group's are worked out by Portico (the model
    says so)."""

    class Meta:
        model = Membership
        fields = ["user", "group"]

    def clean_group(self) -> Group:
        group = self.cleaned_data["group"]
        if group.type == Group.Type.EXTERNAL:
            raise forms.ValidationError(services.external_group_error(group).messages)
        return group


@admin.register(Group)
class GroupAdmin(PorticoModelAdmin):
    list_display = ["display_name", "name", "type", "built_in", "updated_at"]
    list_filter = ["type"]
    search_fields = ["display_name", "name", "description"]
    ordering = ["display_name"]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ["display_name", "name", "description", "type", "external_id"]
        return ["display_name", "name", "description", "type", "external_id", "built_in"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if obj is None:
            return []
        return ["name", "type", "built_in"]

    def get_sections(self, request: HttpRequest, obj: Group) -> list[Section]:
        if obj.is_system:
            return [self._derived_members(request, obj)]
        stored = Membership.objects.filter(group=obj)
        memberships = stored.select_related("user", "added_by").order_by("-added_at", "-pk")
        return [
            Section(
                title="Members",
                columns=("Member", "How"),
                rows=[
                    Row(
                        membership.user.email,
                        change_url(self.admin_site, request, membership.user),
                        how_added(membership),
                    )
                    for membership in memberships[:SECTION_ROWS]
                ],
                total=stored.count(),
                plural="members, newest first",
                empty="No members yet.",
                more_url=list_url(self.admin_site, request, Membership, group__id__exact=obj.pk),
            )
        ]

    def _derived_members(self, request: HttpRequest, group: Group) -> Section:
        people = members_of(group)
        filters = SYSTEM_MEMBER_FILTERS.get(group.name)
        return Section(
            title="Members",
            columns=("Member", "Name"),
            rows=[
                Row(
                    person.email,
                    change_url(self.admin_site, request, person),
                    person.get_full_name(),
                )
                for person in people.order_by("email")[:SECTION_ROWS]
            ],
            total=people.count(),
            plural="members",
            empty="None: anonymous visitors are in this group, never an account.",
            description=f"Built-in: {group.derived_membership.lower()}. Portico works the "
            "members out from each account; they are never stored.",
            more_url=list_url(self.admin_site, request, User, **filters) if filters else None,
        )

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # The model refuses to save system groups; show them read-only
        # instead of offering a form that can only fail.
        if obj is not None and obj.is_system:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.is_system:
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: Group, form: Any, change: bool) -> None:
        # Through the services, as every other path.
        fields = {name: form.cleaned_data[name] for name in form.changed_data}
        if change:
            services.update_group(group=obj, expected_version=None, **fields)
        else:
            created = services.create_group(
                name=obj.name,
                display_name=obj.display_name,
                description=obj.description,
                external_id=obj.external_id if obj.type == Group.Type.EXTERNAL else "",
            )
            obj.pk = created.pk

    def delete_model(self, request: HttpRequest, obj: Group) -> None:
        # Through the service, so members' subscriptions follow the access rule.
        services.delete_group(group=obj)

    def get_actions(
        self, request: HttpRequest, action_location: Any = ActionLocation.CHANGE_LIST
    ) -> dict[str, Any]:
        # Bulk delete would bypass the per-object check above; the queryset
        # guard would refuse it anyway, but with an error page.
        actions = super().get_actions(request, action_location)
        actions.pop("delete_selected", None)
        return actions


@admin.register(Membership)
class MembershipAdmin(PorticoModelAdmin):
    form = MembershipForm
    list_display = ["user", "group", "added_at", "added_by", "synced_via", "synced_at"]
    list_filter = ["group__type"]
    search_fields = ["user__email", "user__first_name", "user__last_name", "group__display_name"]
    list_select_related = ["user", "group", "added_by"]
    autocomplete_fields = ["user", "group"]
    readonly_fields = ["added_at", "added_by", "synced_via", "synced_at"]
    ordering = ["-added_at"]

    def formfield_for_foreignkey(
        self, db_field: Any, request: HttpRequest, **kwargs: Any
    ) -> forms.ModelChoiceField[Any] | None:
        # Django's "Select a valid choice" doesn't say which choice.
        if db_field.name in NO_SUCH:
            kwargs.setdefault("error_messages", {"invalid_choice": NO_SUCH[db_field.name]})
        if db_field.name == "user" and not is_administrator(request.user):
            # Support staff change developers, not administrators or one
            # another (see UserAdmin), and a membership changes what its
            # person sees: joining a group is being given its products.
            kwargs["queryset"] = User.objects.filter(is_staff=False, is_superuser=False)
            kwargs["error_messages"] = {"invalid_choice": NO_SUCH_DEVELOPER}
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_queryset(self, request: HttpRequest) -> Any:
        # has_delete_permission reads each membership's person.
        return super().get_queryset(request).select_related("user", "group")

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._sees_both_ends(request) and super().has_view_permission(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._sees_both_ends(request) and super().has_add_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A membership is added or removed, never moved to another person.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.group.type == Group.Type.EXTERNAL:
            # The directory takes people out of external groups, nobody here.
            return False
        if (
            obj is not None
            and (obj.user.is_staff or obj.user.is_superuser)
            and not is_administrator(request.user)
        ):
            return False
        return self._sees_both_ends(request) and super().has_delete_permission(request, obj)

    def _sees_both_ends(self, request: HttpRequest) -> bool:
        # A membership shows a person and a group as links to their pages,
        # and the form picks them with searches of those pages; without
        # both, the links answer 403 and the searches fail.
        return may_view(self.admin_site, request, User) and may_view(
            self.admin_site, request, Group
        )

    def save_model(self, request: HttpRequest, obj: Membership, form: Any, change: bool) -> None:
        # Through the services, so the access rule sees every change.
        services.add_members(group=obj.group, users=[obj.user], added_by=request.user)
        # The admin's history records the addition against this row's ID.
        obj.pk = Membership.objects.get(group=obj.group, user=obj.user).pk

    def delete_model(self, request: HttpRequest, obj: Membership) -> None:
        services.remove_member(group=obj.group, user=obj.user)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        hand_picked = queryset.filter(group__type=Group.Type.CUSTOM)
        for membership in hand_picked.select_related("group", "user"):
            services.remove_member(group=membership.group, user=membership.user)
