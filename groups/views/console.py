"""The console's Groups tab: list, + Add, the group's page, Settings, Members, Delete."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError
from django.db.models import Exists, OuterRef
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods

from groups import services
from groups.forms import (
    ExternalGroupCreateForm,
    ExternalGroupSettingsForm,
    GroupCreateForm,
    GroupRuleForm,
    GroupSettingsForm,
    RejectRequestForm,
)
from groups.models import (
    Group,
    GroupRequest,
    GroupRule,
    Membership,
    member_count,
    system_group_error,
)
from portal import activity, console
from portal.access import administrator_required
from portal.entities import related_count
from portal.forms import add_refusal
from portal.links import link_maker
from portal.lists import paginate, search_query
from portal.models import User
from products.models import ProductGroup

GROUPS_INTRO = (
    "Groups decide which developers see which products. Administrators, Developers and "
    "Guests are built in; their members are worked out by Portico. An external group's "
    "members come from your directory, at sign-in or by provisioning."
)
TYPE_FILTER = console.Filter(
    field="type", label="Type", everything="All types", choices=Group.Type.choices
)


def _get_group(name: str, *, write: bool = False, members: bool = False) -> Group:
    """The group named; 403 for changes it refuses: any to a system group, and
    members added or removed by hand in an external one."""
    group = get_object_or_404(Group, name=name)
    if write and group.is_system:
        raise PermissionDenied(system_group_error(group).messages[0])
    if members and group.type == Group.Type.EXTERNAL:
        raise PermissionDenied(services.external_group_error(group).messages[0])
    return group


TABS = [
    ("overview", "Overview", "groups:detail"),
    ("settings", "Settings", "groups:update"),
    ("members", "Members", "groups:members"),
    ("rules", "Rules", "groups:rules"),
    ("requests", "Requests", "groups:requests"),
]


# An external group's members come from the directory: no rules, no requests to join.
EXTERNAL_TABS = [tab for tab in TABS if tab[0] not in {"rules", "requests"}]


def _page(group: Group, tab: str) -> dict[str, Any]:
    """The group's heading and tabs, for each of its pages."""
    tabs = EXTERNAL_TABS if group.type == Group.Type.EXTERNAL else TABS
    context = console.entity_context(group, tab=tab, tabs=tabs, listed=("Groups", "groups:list"))
    return context | {"group": group}


def _member_count(group: Group) -> int | None:
    """How many people the group holds now; None for Guests, who are anonymous."""
    return None if group.name == Group.GUESTS else member_count(group)


@require_GET
@administrator_required
def group_list(request: HttpRequest) -> HttpResponse:
    counted = Group.objects.with_member_count().annotate(
        product_count=related_count(ProductGroup.objects, "group")
    )
    link = link_maker("groups:detail")
    return console.list_page(
        request,
        "groups/group_list.html",
        title="Groups",
        items=counted.search,
        # One reverse() for the page, not one per row.
        each=lambda group: setattr(group, "link", link(group.name)),
        filter=TYPE_FILTER,
        sorts=console.NAME_SORTING,
        search_label="Search by name, description or external ID",
        context={
            "add_menu": [
                ("Custom group", reverse("groups:create")),
                ("External group", reverse("groups:create_external")),
            ],
            "intro": GROUPS_INTRO,
        },
    )


@require_http_methods(["GET", "POST"])
@administrator_required
def group_create(request: HttpRequest) -> HttpResponse:
    return _create(
        request,
        GroupCreateForm(request.POST or None),
        title="Add a group",
        created="Created the group {name}. Next, add members under Members, or give it access "
        "to products.",
    )


@require_http_methods(["GET", "POST"])
@administrator_required
def group_create_external(request: HttpRequest) -> HttpResponse:
    return _create(
        request,
        ExternalGroupCreateForm(request.POST or None),
        title="Add an external group",
        created="Created the external group {name}. Its members come from the directory as "
        "people sign in or are provisioned; give it access to products under a product's "
        "Access control.",
    )


def _create(request: HttpRequest, form: Any, *, title: str, created: str) -> HttpResponse:
    """+ Add › Custom group or External group: the group is external when the form has an
    external ID."""
    if form.is_valid():
        try:
            group = services.create_group(
                name=form.cleaned_data["name"],
                display_name=form.cleaned_data["display_name"],
                description=form.cleaned_data["description"],
                external_id=form.cleaned_data.get("external_id", ""),
            )
        except IntegrityError:
            # Another administrator created the same name or ID a moment ago.
            form.add_error(None, "A group with this name or ID was just created. Try another.")
        else:
            messages.success(request, created.format(name=group.display_name))
            return redirect("groups:list")
    return console.create_page(
        request, form, title=title, list_url=reverse("groups:list"), list_label="Groups"
    )


@require_GET
@administrator_required
def group_detail(request: HttpRequest, name: str) -> HttpResponse:
    group = _get_group(name)
    links = group.product_links.select_related("product").order_by("product__display_name_key")
    return render(
        request,
        "groups/group_detail.html",
        _page(group, "overview")
        | {
            "member_count": _member_count(group),
            "product_links": links[: console.SECTION_ROWS],
            "product_count": links.count(),
        }
        | activity.history("group", group.pk, request.path),
    )


@require_http_methods(["GET", "POST"])
@administrator_required
def group_update(request: HttpRequest, name: str) -> HttpResponse:
    group = _get_group(name)
    if group.is_system:
        if request.method == "POST":
            raise PermissionDenied(system_group_error(group).messages[0])
        return render(request, "groups/group_settings.html", _page(group, "settings"))
    return console.settings_page(
        request,
        "groups/group_settings.html",
        entity=group,
        form_class=(
            ExternalGroupSettingsForm if group.type == Group.Type.EXTERNAL else GroupSettingsForm
        ),
        save=lambda **changes: services.update_group(group=group, **changes),
        noun="group",
        context=_page(group, "settings"),
    )


@require_http_methods(["GET", "POST"])
@administrator_required
def group_delete(request: HttpRequest, name: str) -> HttpResponse:
    group = _get_group(name, write=True)
    if request.method == "POST":
        summary = services.delete_group(group=group)
        messages.success(request, summary.message("group"))
        return redirect("groups:list")
    member_count = group.memberships.count()
    links = group.product_links.select_related("product").order_by("product__display_name_key")
    product_count = links.count()
    if product_count:
        names = ", ".join(link.product.display_name for link in links[: console.SECTION_ROWS])
        if product_count > console.SECTION_ROWS:
            names += f" and {product_count - console.SECTION_ROWS} more"
        access = (
            f"Access to {product_count} product{'s' if product_count != 1 else ''}: {names}. "
            "Members who see them through no other group lose sight of them, and the "
            "console's Settings decide what happens to their subscriptions."
        )
    else:
        access = "No product access: this group gives access to no product."
    people = (
        f"{member_count} {'person is' if member_count == 1 else 'people are'} no longer in "
        "this group."
        if member_count
        else "nobody is in this group."
    )
    return console.confirm_page(
        request,
        console.Confirmation(
            title=f"Delete the group {group.display_name}?",
            text="This can't be undone.",
            button="Delete",
            cancel_url=group.get_absolute_url(),
            breadcrumbs=[
                ("Groups", reverse("groups:list")),
                (group.display_name, group.get_absolute_url()),
            ],
            lost=[
                "The group itself, with its name and description.",
                f"{member_count} membership{'s' if member_count != 1 else ''}: {people}",
                access,
            ],
            kept=[
                "The people: their accounts and their other groups.",
                "The products, with their other groups' access.",
            ],
        ),
    )


@require_GET
@administrator_required
def group_members(request: HttpRequest, name: str) -> HttpResponse:
    group = _get_group(name)
    query = search_query(request)
    context = _page(group, "members") | {
        "query": query,
        "external": group.type == Group.Type.EXTERNAL,
    }
    if group.is_system:
        context["member_count"] = _member_count(group)
    else:
        # Only what a row shows; its links reversed once for the page.
        memberships = (
            Membership.objects.filter(group=group)
            .select_related("user")
            .only(
                "added_at",
                "synced_at",
                "synced_via",
                "user__email",
                "user__first_name",
                "user__last_name",
                "user__state",
                "user__email_confirmed_at",
            )
        )
        if query:
            # Each of the group's members is checked, rather than listing
            # everyone who matches first (a common word matches thousands).
            matching = User.objects.search(query).filter(pk=OuterRef("user_id"))
            memberships = memberships.filter(Exists(matching))
        page = paginate(request, memberships.order_by("-added_at", "-pk"))
        page.object_list = list(page.object_list)
        person_link = link_maker("console:user_detail")
        remove_link = link_maker("groups:remove_member", group.name)
        for membership in page.object_list:
            membership.person_link = person_link(membership.user_id)
            membership.remove_link = remove_link(membership.user_id)
        context["page"] = page
    return render(request, "groups/group_members.html", context)


@require_http_methods(["GET", "POST"])
@administrator_required
def group_add_members(request: HttpRequest, name: str) -> HttpResponse:
    group = _get_group(name, write=True, members=True)
    members_url = reverse("groups:members", args=[group.name])

    def select(picked: console.Picked) -> HttpResponse:
        added = services.add_members(group=group, users=picked.items, added_by=request.user)
        already = len(picked.items) - added
        text = f"Added {added} member{'s' if added != 1 else ''} to {group.display_name}."
        if already:
            text += f" {already} {'was' if already == 1 else 'were'} already a member."
        if picked.missing:
            text += " Some of the people chosen no longer exist and were skipped."
        messages.success(request, text)
        return redirect(members_url)

    return console.picker_page(
        request,
        console.Picker(
            offers=console.PEOPLE,
            title=f"Add members to {group.display_name}",
            help="Search for developers, tick the ones to add, and press Select.",
            taken_label="Member",
            cancel_url=members_url,
            breadcrumbs=[("Groups", reverse("groups:list")), (group.display_name, members_url)],
            empty="There are no developer accounts yet. Create one in the Users tab.",
        ),
        candidates=User.objects.order_by("email"),
        links=Membership.objects.filter(group=group),
        link_field="user",
        select=select,
    )


@require_http_methods(["GET", "POST"])
@administrator_required
def group_remove_member(request: HttpRequest, name: str, user_id: int) -> HttpResponse:
    group = _get_group(name, write=True, members=True)
    person = get_object_or_404(User, pk=user_id)
    back = request.POST.get("next") or request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = reverse("groups:members", args=[group.name])

    def remove() -> str | None:
        if services.remove_member(group=group, user=person):
            return f"Removed {person.display_name} from {group.display_name}."
        return None

    return console.confirmed(
        request,
        console.Confirmation(
            title=f"Remove {person.display_name} from {group.display_name}?",
            text=f"{person.display_name} stops seeing the products {group.display_name} gives "
            "access to, unless another of their groups gives it too. Their account and other "
            "groups are kept; you can add them back at any time.",
            button="Remove",
            cancel_url=back,
            breadcrumbs=[
                ("Groups", reverse("groups:list")),
                (group.display_name, reverse("groups:members", args=[group.name])),
            ],
        ),
        act=remove,
        then=back,
        nothing_done=f"{person.display_name} was not a member of {group.display_name}.",
    )


def _waiting(group: Group, pk: int) -> GroupRequest:
    return get_object_or_404(
        GroupRequest.objects.select_related("user", "group"), pk=pk, group=group
    )


@require_GET
@administrator_required
def group_requests(request: HttpRequest, name: str) -> HttpResponse:
    group = _get_group(name)
    waiting = (
        GroupRequest.objects.waiting()
        .filter(group=group)
        .select_related("user")
        .order_by("created_at", "pk")
    )
    decided = (
        GroupRequest.objects.filter(group=group)
        .exclude(state=GroupRequest.State.SUBMITTED)
        .select_related("user", "decided_by")
        .order_by("-decided_at", "-pk")
    )
    return render(
        request,
        "groups/group_requests.html",
        _page(group, "requests")
        | {"page": paginate(request, waiting), "decided": decided[: console.SECTION_ROWS]},
    )


def _request_breadcrumbs(group: Group) -> list[tuple[str, str]]:
    return [
        ("Groups", reverse("groups:list")),
        (group.display_name, reverse("groups:requests", args=[group.name])),
    ]


@require_http_methods(["GET", "POST"])
@administrator_required
def request_approve(request: HttpRequest, name: str, pk: int) -> HttpResponse:
    group = _get_group(name, write=True)
    asked = _waiting(group, pk)
    back = reverse("groups:requests", args=[group.name])

    def approve() -> str:
        services.approve_request(request=asked, decided_by=request.user)
        return (
            f"Approved: {asked.user.display_name} is now in {group.display_name} "
            "and has been told by email."
        )

    return console.confirmed(
        request,
        console.Confirmation(
            title=f"Add {asked.user.display_name} to {group.display_name}?",
            text=f"Their reason: “{asked.reason}”. They will see the products "
            f"{group.display_name} gives access to, and get an email.",
            button="Approve",
            cancel_url=back,
            breadcrumbs=_request_breadcrumbs(group),
        ),
        act=approve,
        then=back,
    )


@require_http_methods(["GET", "POST"])
@administrator_required
def request_reject(request: HttpRequest, name: str, pk: int) -> HttpResponse:
    group = _get_group(name, write=True)
    asked = _waiting(group, pk)
    back = reverse("groups:requests", args=[group.name])
    confirmation = console.Confirmation(
        title=f"Reject {asked.user.display_name}'s request to join {group.display_name}?",
        text=f"Their reason: “{asked.reason}”. The reason you give is emailed to them.",
        button="Reject",
        cancel_url=back,
        breadcrumbs=_request_breadcrumbs(group),
        reason="Reason (required, sent to the developer)",
    )
    if request.method != "POST":
        return console.confirm_page(request, confirmation)
    form = RejectRequestForm({"decision_reason": request.POST.get("comment", "")})
    if not form.is_valid():
        return console.confirm_page(
            request,
            confirmation,
            error=" ".join(form.errors["decision_reason"].as_data()[0].messages),
        )
    try:
        services.reject_request(
            request=asked, decided_by=request.user, reason=form.cleaned_data["decision_reason"]
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            f"Rejected {asked.user.display_name}'s request; they have been told why by email.",
        )
    return redirect(back)


def _get_rule(group: Group, rule_id: int) -> GroupRule:
    return get_object_or_404(GroupRule, pk=rule_id, group=group)


@require_GET
@administrator_required
def group_rules(request: HttpRequest, name: str) -> HttpResponse:
    group = _get_group(name)
    rules = group.rules.select_related("created_by").order_by("kind", "value", "pk")
    return render(request, "groups/group_rules.html", _page(group, "rules") | {"rules": rules})


@require_http_methods(["GET", "POST"])
@administrator_required
def group_add_rule(request: HttpRequest, name: str) -> HttpResponse:
    group = _get_group(name, write=True)
    rules_url = reverse("groups:rules", args=[group.name])
    form = GroupRuleForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                is_claim = form.cleaned_data["kind"] == "claim"
                rule = services.add_rule(
                    group=group,
                    value=form.cleaned_data["value"],
                    created_by=request.user,
                    kind=form.cleaned_data["kind"],
                    claim=form.cleaned_data["claim"] if is_claim else "",
                )
            except ValidationError as error:
                add_refusal(form, error, otherwise="value")
            else:
                messages.success(
                    request,
                    f"Added the rule: {rule.description} → {group.display_name}. "
                    + (
                        "It applies at each person's first sign-in through the identity provider."
                        if rule.is_claim
                        else "It applies to accounts that become active from now on; use "
                        "Apply to existing accounts for the others."
                    ),
                )
                return redirect(rules_url)
        status = 400
    context = _page(group, "rules") | {"form": form, "rules_url": rules_url}
    return render(request, "groups/group_rule_form.html", context, status=status)


@require_http_methods(["GET", "POST"])
@administrator_required
def group_delete_rule(request: HttpRequest, name: str, rule_id: int) -> HttpResponse:
    group = _get_group(name, write=True)
    rule = _get_rule(group, rule_id)
    rules_url = reverse("groups:rules", args=[group.name])

    def delete() -> str | None:
        if services.delete_rule(rule=rule):
            return f"Deleted the rule {rule.description}."
        return None

    return console.confirmed(
        request,
        console.Confirmation(
            title=f"Delete the rule {rule.description}?",
            text="Accounts that become active later are no longer added by it.",
            kept=["The members it added stay in the group."],
            button="Delete",
            cancel_url=rules_url,
            breadcrumbs=[("Groups", reverse("groups:list")), (group.display_name, rules_url)],
        ),
        act=delete,
        then=rules_url,
        nothing_done="The rule was deleted already.",
    )


@require_http_methods(["GET", "POST"])
@administrator_required
def group_apply_rule(request: HttpRequest, name: str, rule_id: int) -> HttpResponse:
    """Preview who the rule would add now (GET) and add exactly them (POST)."""
    group = _get_group(name, write=True)
    rule = _get_rule(group, rule_id)
    rules_url = reverse("groups:rules", args=[group.name])
    if rule.is_claim:
        messages.info(
            request,
            "A claim rule can't be applied to existing accounts: Portico doesn't keep people's "
            "claims. It applies at each person's first sign-in through the identity provider.",
        )
        return redirect(rules_url)
    if request.method == "POST":
        added = services.apply_rule(rule=rule)
        if added:
            messages.success(
                request,
                f"Added {added} member{'s' if added != 1 else ''} to {group.display_name} "
                f"by the rule {rule.description}.",
            )
        else:
            messages.info(request, "Nobody was added: every matching account is a member.")
        return redirect(reverse("groups:members", args=[group.name]))
    page = paginate(request, services.rule_candidates(rule))
    context = _page(group, "rules") | {"rule": rule, "page": page, "rules_url": rules_url}
    return render(request, "groups/group_rule_apply.html", context)
