"""The console's Overview, its Users tab, and "View as"."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from html import escape
from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from groups import services as group_services
from groups.models import Group, Membership
from groups.system import SYSTEM_GROUPS, derived_group_ids, display_names
from portal import activity, console, counts, preview, services, throttle
from portal.access import administrator_required
from portal.forms import UserCreateForm
from portal.links import link_maker
from portal.models import User, is_administrator
from products.models import Product

STATE_FILTER = console.Filter(
    field="state", label="State", everything="All states", choices=User.State.choices
)
USER_SORTING = console.Sorts(
    orders={
        "email": ["email"],
        "-registered": ["-registration_date", "-pk"],
        "registered": ["registration_date", "pk"],
    },
    choices=[
        ("email", "Email, A–Z"),
        ("-registered", "Newest first"),
        ("registered", "Oldest first"),
    ],
    default="email",
)


@dataclass(frozen=True)
class DerivedGroup:
    """A system group a person is in by their account, as their page shows it."""

    name: str
    display_name: str
    derived_membership: str
    link: str


def _breadcrumbs() -> list[tuple[str, str]]:
    return [("Users", reverse("console:users"))]


@require_GET
@administrator_required
def console_home(request: HttpRequest) -> HttpResponse:
    context = {
        # 100,000 accounts take milliseconds to count: cached until one is added or deleted.
        "user_count": counts.accounts(),
        "group_count": Group.objects.count(),
        "product_count": Product.objects.count(),
    }
    return render(request, "console/home.html", context)


# What a row of the Users list shows, and nothing more: a page of full rows
# was ~500 model objects, most of their fields unread.
USER_LIST_FIELDS = [
    "pk",
    "email",
    "first_name",
    "last_name",
    "state",
    "email_confirmed_at",
    "is_superuser",
    "registration_date",
]


@require_GET
@administrator_required
def user_list(request: HttpRequest) -> HttpResponse:
    user_link = link_maker("console:user_detail")
    group_link = link_maker("groups:detail")

    def prepare(people: list[Any]) -> None:
        # The page's stored groups in one query, as (person, ID, name)
        # tuples: a prefetch built a Group object per membership shown
        # (about 250 a page), which cost more than the rest of the page.
        links: defaultdict[int, list[str]] = defaultdict(list)
        for user_id, name, display_name in (
            Membership.objects.filter(user_id__in=[person.pk for person in people])
            .order_by("group__display_name")
            .values_list("user_id", "group__name", "group__display_name")
        ):
            # Formatted (and escaped) here, as format_html would, without
            # its cost: ten links a row were most of the page's rendering.
            links[user_id].append(
                f', <a href="{escape(group_link(name))}">{escape(display_name)}</a>'
            )
        for person in people:
            # Attributes for the row template only.
            person.link = user_link(person.pk)
            # Every part escaped, above or here.
            person.groups_cell = mark_safe(
                escape(", ".join(display_names(person))) + "".join(links[person.pk])
            )

    return console.list_page(
        request,
        "portal/user_list.html",
        title="Users",
        items=lambda query: User.objects.search(query).only(*USER_LIST_FIELDS),
        search_label="Search by name or email",
        filter=STATE_FILTER,
        sorts=USER_SORTING,
        each_page=prepare,
        context={
            "add_menu": [
                ("Invite", reverse("console:invite")),
                ("Add with a password", reverse("console:user_create")),
            ],
            "links": [("Pending invitations", reverse("console:invitations"))],
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
    return console.create_page(
        request,
        form,
        title="Add a developer",
        list_url=reverse("console:users"),
        list_label="Users",
    )


@require_GET
@administrator_required
def user_detail(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(User, pk=pk)
    group_link = link_maker("groups:detail")
    # The system groups the account implies, from their constants: no query.
    derived_groups = sorted(
        (
            DerivedGroup(
                name=name,
                display_name=SYSTEM_GROUPS[name]["display_name"],
                derived_membership=SYSTEM_GROUPS[name]["membership"],
                link=group_link(name),
            )
            for name in derived_group_ids(person)
        ),
        key=lambda group: group.display_name,
    )
    # Rows given their links below, hence Any.
    memberships: list[Any] = list(
        Membership.objects.filter(user=person)
        .select_related("group", "added_by", "added_by_rule")
        # Only what a row shows (Group.from_db reads type).
        .only(
            "added_at",
            "synced_at",
            "synced_via",
            "group__name",
            "group__display_name",
            "group__type",
            "added_by__email",
            "added_by_rule__value",
        )
        .order_by("group__display_name")
    )
    # Each row's links, without a reverse() per row.
    remove_link = link_maker("groups:remove_member", after=[person.pk])
    for membership in memberships:
        membership.group_link = group_link(membership.group.name)
        membership.remove_link = remove_link(membership.group.name)
    seen_query = (
        Product.objects.visible_to(person)
        .with_granting_links(person, granters=True)
        .only("name", "display_name", "state")
        .order_by("display_name_key", "pk")
    )
    seen: list[Any] = list(seen_query[: console.SECTION_ROWS])
    product_link = link_maker("products:detail")
    # Since when each way in holds: the person's membership and the group's access.
    joined = {membership.group_id: membership for membership in memberships}
    for product in seen:
        product.link = product_link(product.name)
        for link in product.granting_links:
            link.membership = joined.get(link.group_id)
    return render(
        request,
        "portal/user_detail.html",
        console.detail_context(
            heading=person.display_name, breadcrumbs=_breadcrumbs(), tabs=[], tab=""
        )
        | {
            "person": person,
            "person_is_administrator": is_administrator(person),
            "subscriptions": person.subscriptions.select_related("owner", "product", "api")[
                : console.SECTION_ROWS
            ],
            "seen": seen,
            # Counted only when the section is full: fewer rows are all of them.
            "seen_count": (seen_query.count() if len(seen) == console.SECTION_ROWS else len(seen)),
            "derived_groups": derived_groups,
            "memberships": memberships,
            "next_here": quote(person.get_absolute_url(), safe="/"),
            "signin_pause": throttle.signin_pause_of(person.email),
        }
        | activity.history("user", person.pk, request.path),
    )


@require_http_methods(["GET", "POST"])
@administrator_required
def user_add_groups(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(User, pk=pk)

    def select(picked: console.Picked) -> HttpResponse:
        added = [
            group
            for group in picked.items
            if group_services.add_members(group=group, users=[person], added_by=request.user)
        ]
        if added:
            names = ", ".join(group.display_name for group in added)
            messages.success(request, f"Added {person.display_name} to {names}.")
        else:
            messages.info(request, f"{person.display_name} was already in those groups.")
        return redirect(person)

    return console.picker_page(
        request,
        console.Picker(
            offers=console.GROUPS,
            title=f"Add {person.display_name} to groups",
            help="Tick the groups and press Select. Built-in groups are not listed: their "
            "members are worked out by Portico; nor are external groups, whose members come "
            "from the directory.",
            taken_label="Member",
            cancel_url=person.get_absolute_url(),
            breadcrumbs=[*_breadcrumbs(), (person.email, person.get_absolute_url())],
            empty="There are no custom groups yet. Create one in the Groups tab.",
        ),
        candidates=Group.objects.hand_picked().order_by("display_name", "pk"),
        links=Membership.objects.filter(user=person),
        link_field="group",
        select=select,
    )


@require_http_methods(["GET", "POST"])
@administrator_required
def user_block(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(User, pk=pk)

    def block() -> str:
        services.block_user(user=person, actor=request.user)
        return f"Blocked {person.email}. They are signed out and can't sign in until unblocked."

    return console.confirmed(
        request,
        console.Confirmation(
            title=f"Block {person.email}?",
            text="They are signed out at their next request and can't sign in until "
            "unblocked. Their groups are kept; what the console's Settings say happens to "
            "their subscriptions.",
            button="Block",
            cancel_url=person.get_absolute_url(),
            breadcrumbs=[*_breadcrumbs(), (person.email, person.get_absolute_url())],
        ),
        act=block,
        then=person.get_absolute_url(),
    )


@require_POST
@administrator_required
def user_lift_signin_pause(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(User, pk=pk)
    if services.lift_signin_pause(user=person):
        messages.success(request, f"Lifted the sign-in pause: {person.email} can sign in now.")
    else:
        messages.info(request, f"Sign-in for {person.email} wasn't paused; nothing changed.")
    return redirect(person)


@require_POST
@administrator_required
def user_unblock(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(User, pk=pk)
    was = person.state
    services.unblock_user(user=person)
    verb = "Unblocked" if was == User.State.BLOCKED else "Activated"
    messages.success(request, f"{verb} {person.email}. They can sign in now.")
    return redirect(person)


@require_POST
@administrator_required
def view_as_start(request: HttpRequest) -> HttpResponse:
    """Open the developer portal as a chosen user or group sees it (read-only)."""
    kind = request.POST.get("kind", "")
    key = request.POST.get("key", "")
    if kind == "user":
        get_object_or_404(User, pk=key if key.isascii() and key.isdigit() else 0)
    elif kind == "group" and "\x00" not in key:
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
