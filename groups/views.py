"""The console's Groups tab: list, + Add, the group's page, Settings, Members, Delete."""

from __future__ import annotations

import copy

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from groups import services
from groups.forms import GroupCreateForm, GroupSettingsForm
from groups.models import Group, Membership
from portal.access import administrator_required
from portal.forms import reopen_after_conflict
from portal.lists import NAME_SORT_CHOICES, NAME_SORTS, choice, paginate, search_query

User = get_user_model()

# Sections on a detail page show this many rows and say how many there are.
SECTION_ROWS = 50


def _get_group(name: str, *, write: bool = False) -> Group:
    group = get_object_or_404(Group, name=name)
    if write and group.is_system:
        raise PermissionDenied(f"{group.display_name} is a system group and can't be changed.")
    return group


def derived_member_counts() -> dict[str, int]:
    """How many people the Administrators and Developers groups hold right now."""
    active = User.objects.filter(state=User.State.ACTIVE)
    return {
        Group.ADMINISTRATORS: active.filter(is_superuser=True).count(),
        Group.DEVELOPERS: active.count(),
    }


@require_GET
@administrator_required
def group_list(request: HttpRequest) -> HttpResponse:
    query = search_query(request)
    group_type = choice(request, "type", Group.Type.values)
    sort = choice(request, "sort", NAME_SORTS, default="name")
    groups = Group.objects.search(query).with_counts().order_by(*NAME_SORTS[sort])
    if group_type:
        groups = groups.filter(type=group_type)
    page = paginate(request, groups)
    return render(
        request,
        "groups/group_list.html",
        {
            "page": page,
            "query": query,
            "group_type": group_type,
            "sort": sort,
            "sort_choices": NAME_SORT_CHOICES,
            "types": Group.Type.choices,
        },
    )


@require_http_methods(["GET", "POST"])
@administrator_required
def group_create(request: HttpRequest) -> HttpResponse:
    form = GroupCreateForm(request.POST or None)
    if form.is_valid():
        try:
            group = services.create_group(
                name=form.cleaned_data["name"],
                display_name=form.cleaned_data["display_name"],
                description=form.cleaned_data["description"],
            )
        except IntegrityError:
            # Another administrator created the same name or ID a moment ago.
            form.add_error(None, "A group with this name or ID was just created. Try another.")
        else:
            messages.success(
                request,
                f"Created the group {group.display_name}. "
                "Next, add members under Members, or give it access to products.",
            )
            return redirect("groups:list")
    return render(
        request,
        "console/create_form.html",
        {
            "form": form,
            "title": "Add a group",
            "list_url": reverse("groups:list"),
            "list_label": "Groups",
        },
    )


@require_GET
@administrator_required
def group_detail(request: HttpRequest, name: str) -> HttpResponse:
    group = _get_group(name)
    if group.is_system:
        member_count = derived_member_counts().get(group.name)
    else:
        member_count = group.memberships.count()
    links = group.product_links.select_related("product").order_by("product__display_name_key")
    return render(
        request,
        "groups/group_detail.html",
        {
            "group": group,
            "member_count": member_count,
            "product_links": links[:SECTION_ROWS],
            "product_count": links.count(),
            "tab": "overview",
        },
    )


@require_http_methods(["GET", "POST"])
@administrator_required
def group_update(request: HttpRequest, name: str) -> HttpResponse:
    group = _get_group(name)
    if group.is_system:
        if request.method == "POST":
            raise PermissionDenied(f"{group.display_name} is a system group and can't be changed.")
        return render(request, "groups/group_settings.html", {"group": group, "tab": "settings"})
    # The form edits a copy, so that a refused save leaves the page's
    # heading showing the saved name.
    form = GroupSettingsForm(request.POST or None, instance=copy.copy(group))
    conflict = None
    if form.is_valid():
        try:
            services.update_group(
                group=group,
                expected_version=form.cleaned_data["version"],
                display_name=form.cleaned_data["display_name"],
                description=form.cleaned_data["description"],
            )
        except services.ConcurrentChangeError as error:
            form, conflict = reopen_after_conflict(GroupSettingsForm, request.POST, error.current)
        except IntegrityError:
            form.add_error("display_name", "Another group was just given this name.")
        else:
            messages.success(request, f"Saved the settings of {form.cleaned_data['display_name']}.")
            return redirect("groups:update", name=group.name)
    return render(
        request,
        "groups/group_settings.html",
        {"group": group, "form": form, "conflict": conflict, "tab": "settings"},
    )


@require_http_methods(["GET", "POST"])
@administrator_required
def group_delete(request: HttpRequest, name: str) -> HttpResponse:
    group = _get_group(name, write=True)
    if request.method == "POST":
        summary = services.delete_group(group=group)
        messages.success(
            request,
            f"Deleted the group {summary.display_name}; {summary.members_removed} "
            f"member{'s' if summary.members_removed != 1 else ''} lost the membership.",
        )
        return redirect("groups:list")
    links = group.product_links.select_related("product").order_by("product__display_name_key")
    return render(
        request,
        "groups/group_confirm_delete.html",
        {
            "group": group,
            "member_count": group.memberships.count(),
            "product_links": links[:SECTION_ROWS],
            "product_count": links.count(),
            "tab": "delete",
        },
    )


@require_GET
@administrator_required
def group_members(request: HttpRequest, name: str) -> HttpResponse:
    group = _get_group(name)
    query = search_query(request)
    context = {"group": group, "query": query, "tab": "members"}
    if group.is_system:
        context["derived_count"] = derived_member_counts().get(group.name)
        return render(request, "groups/group_members.html", context)
    memberships = Membership.objects.filter(group=group).select_related("user")
    if query:
        memberships = memberships.filter(user__in=User.objects.search(query))
    context["page"] = paginate(request, memberships.order_by("-added_at", "-pk"))
    return render(request, "groups/group_members.html", context)


@require_http_methods(["GET", "POST"])
@administrator_required
def group_add_members(request: HttpRequest, name: str) -> HttpResponse:
    group = _get_group(name, write=True)
    query = search_query(request)
    error = ""
    if request.method == "POST":
        chosen = _chosen_ids(request.POST.getlist("user"))
        users = list(User.objects.filter(pk__in=chosen))
        if not users:
            error = "Choose at least one person, then press Select."
        else:
            added = services.add_members(group=group, users=users, added_by=request.user)
            already = len(users) - added
            text = f"Added {added} member{'s' if added != 1 else ''} to {group.display_name}."
            if already:
                text += f" {already} {'was' if already == 1 else 'were'} already a member."
            if len(users) < len(chosen):
                text += " Some of the people chosen no longer exist and were skipped."
            messages.success(request, text)
            return redirect("groups:members", name=group.name)
    candidates = User.objects.search(query).order_by("email")
    page = paginate(request, candidates)
    member_ids = set(
        Membership.objects.filter(group=group, user__in=list(page.object_list)).values_list(
            "user_id", flat=True
        )
    )
    return render(
        request,
        "groups/group_add_members.html",
        {
            "group": group,
            "page": page,
            "query": query,
            "member_ids": member_ids,
            "error": error,
            "action": reverse("groups:add_members", args=[group.name]),
        },
    )


@require_POST
@administrator_required
def group_remove_member(request: HttpRequest, name: str, user_id: int) -> HttpResponse:
    group = _get_group(name, write=True)
    user = get_object_or_404(User, pk=user_id)
    if services.remove_member(group=group, user=user):
        messages.success(request, f"Removed {user.display_name} from {group.display_name}.")
    else:
        messages.info(request, f"{user.display_name} was not a member of {group.display_name}.")
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = reverse("groups:members", args=[group.name])
    return redirect(back)


def _chosen_ids(values: list[str]) -> set[int]:
    """The numeric IDs among the submitted values; anything else is ignored."""
    return {
        int(value) for value in values if value.isascii() and value.isdigit() and len(value) < 19
    }
