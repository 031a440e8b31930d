"""The console's shell and its Users tab."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from groups import services as group_services
from groups.models import Group, Membership
from groups.system import derived_group_ids
from portal import preview, services
from portal.access import administrator_required
from portal.forms import PortalSettingsForm, UserCreateForm
from portal.lists import choice, paginate, search_query, submitted_names
from portal.models import PortalSettings, User
from products.models import Product

# Sections on a detail page show this many rows and say how many there are.
SECTION_ROWS = 50

USER_SORT_CHOICES = [
    ("email", "Email, A–Z"),
    ("-registered", "Newest first"),
    ("registered", "Oldest first"),
]
USER_SORTS = {
    "email": ["email"],
    "-registered": ["-registration_date", "-pk"],
    "registered": ["registration_date", "pk"],
}


@require_GET
@administrator_required
def console_home(request: HttpRequest) -> HttpResponse:
    context = {
        "user_count": User.objects.count(),
        "group_count": Group.objects.count(),
        "product_count": Product.objects.count(),
    }
    return render(request, "console/home.html", context)


@require_http_methods(["GET", "POST"])
@administrator_required
def portal_settings(request: HttpRequest) -> HttpResponse:
    form = PortalSettingsForm(request.POST or None, instance=PortalSettings.load())
    if form.is_valid():
        form.save()
        messages.success(request, "Saved the portal settings.")
        return redirect("console:settings")
    return render(request, "portal/console/settings.html", {"form": form})


def _with_groups(users):  # type: ignore[no-untyped-def]
    """Prefetch each person's stored groups in one query for the whole page."""
    return users.prefetch_related(
        Prefetch(
            "memberships",
            queryset=Membership.objects.select_related("group").order_by("group__display_name"),
        )
    )


@require_GET
@administrator_required
def user_list(request: HttpRequest) -> HttpResponse:
    query = search_query(request)
    state = choice(request, "state", User.State.values)
    sort = choice(request, "sort", USER_SORTS, default="email")
    users = User.objects.search(query).order_by(*USER_SORTS[sort])
    if state:
        users = users.filter(state=state)
    page = paginate(request, _with_groups(users))
    return render(
        request,
        "portal/console/user_list.html",
        {
            "page": page,
            "query": query,
            "state": state,
            "sort": sort,
            "sort_choices": USER_SORT_CHOICES,
            "states": User.State.choices,
        },
    )


@require_http_methods(["GET", "POST"])
@administrator_required
def user_create(request: HttpRequest) -> HttpResponse:
    form = UserCreateForm(request.POST or None)
    if form.is_valid():
        user = services.create_user(
            email=form.cleaned_data["email"],
            first_name=form.cleaned_data["first_name"],
            last_name=form.cleaned_data["last_name"],
            password=form.cleaned_data["password"] or None,
            note=form.cleaned_data["note"],
        )
        text = f"Created the developer account {user.email}."
        if not form.cleaned_data["password"]:
            text += " An email with a link to set a password is on its way to them."
        messages.success(request, text + " Add them to groups below.")
        return redirect("console:user_detail", pk=user.pk)
    return render(request, "portal/console/user_form.html", {"form": form})


@require_GET
@administrator_required
def user_detail(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(User, pk=pk)
    memberships = (
        Membership.objects.filter(user=person)
        .select_related("group", "added_by")
        .order_by("group__display_name")
    )
    seen = (
        Product.objects.visible_to(person)
        .with_granting_links(person)
        .order_by("display_name_key", "pk")
    )
    return render(
        request,
        "portal/console/user_detail.html",
        {
            "person": person,
            "subscriptions": person.subscriptions.select_related("owner", "product")[:SECTION_ROWS],
            "seen": seen[:SECTION_ROWS],
            "seen_count": seen.count(),
            "derived_groups": Group.objects.filter(name__in=derived_group_ids(person)).order_by(
                "display_name"
            ),
            "memberships": memberships,
        },
    )


@require_http_methods(["GET", "POST"])
@administrator_required
def user_add_groups(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(User, pk=pk)
    query = search_query(request)
    error = ""
    if request.method == "POST":
        chosen = submitted_names(request.POST.getlist("group"))
        groups = list(Group.objects.custom().filter(name__in=chosen))
        if not groups:
            error = "Choose at least one group, then press Select."
        else:
            added = [
                group
                for group in groups
                if group_services.add_members(group=group, users=[person], added_by=request.user)
            ]
            if added:
                names = ", ".join(group.display_name for group in added)
                messages.success(request, f"Added {person.display_name} to {names}.")
            else:
                messages.info(request, f"{person.display_name} was already in those groups.")
            return redirect("console:user_detail", pk=person.pk)
    candidates = Group.objects.custom().search(query).order_by("display_name", "pk")
    page = paginate(request, candidates)
    member_of = set(
        Membership.objects.filter(user=person, group__in=list(page.object_list)).values_list(
            "group_id", flat=True
        )
    )
    return render(
        request,
        "portal/console/user_add_groups.html",
        {
            "person": person,
            "page": page,
            "query": query,
            "member_of": member_of,
            "error": error,
            "action": reverse("console:user_add_groups", args=[person.pk]),
        },
    )


@require_POST
@administrator_required
def user_block(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(User, pk=pk)
    try:
        services.block_user(user=person, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            f"Blocked {person.email}. They are signed out and can't sign in until unblocked.",
        )
    return redirect("console:user_detail", pk=person.pk)


@require_POST
@administrator_required
def user_unblock(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(User, pk=pk)
    was = person.state
    services.unblock_user(user=person)
    verb = "Unblocked" if was == User.State.BLOCKED else "Activated"
    messages.success(request, f"{verb} {person.email}. They can sign in now.")
    return redirect("console:user_detail", pk=person.pk)


@require_POST
@administrator_required
def view_as_start(request: HttpRequest) -> HttpResponse:
    """Open the developer portal as a chosen user or group sees it (read-only)."""
    kind = request.POST.get("kind", "")
    key = request.POST.get("key", "")
    if kind == "user":
        get_object_or_404(User, pk=key if key.isascii() and key.isdigit() else 0)
    elif kind == "group":
        get_object_or_404(Group, name=key)
    else:
        raise Http404("Nothing to view the portal as.")
    shown = preview.start(request, kind=kind, key=key)
    messages.info(request, f"Previewing the portal as {shown.label if shown else key}.")
    return redirect("portal:products")


@require_POST
@administrator_required
def view_as_stop(request: HttpRequest) -> HttpResponse:
    preview.stop(request)
    messages.info(request, "Preview ended: the portal shows your own view again.")
    return redirect("console:home")
