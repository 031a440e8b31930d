"""The console's Pages tab: list, + Add page, Overview, Settings, Access, Versions, Delete."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from content import services
from content.forms import PAGE_FIELDS, PageCreateForm, PageSettingsForm
from content.models import KEPT_VERSIONS, Page, PageGroup, PageVersion
from groups.models import Group
from portal import console
from portal.access import administrator_required
from portal.forms import add_refusal
from portal.lists import paginate

PAGES_INTRO = (
    "Pages of the developer portal, written in Markdown. A published page opens at its address "
    "for the people it is meant for, and appears in the top menu or the footer if you put it "
    "there; to everyone else it doesn't exist."
)
STATE_FILTER = console.Filter(
    field="state", label="State", everything="All states", choices=Page.State.choices
)
MENU_FILTER = console.Filter(
    field="menu", label="Menu", everything="Any menu", choices=Page.Menu.choices
)
AUDIENCE_FILTER = console.Filter(
    field="visibility",
    label="Who can see it",
    everything="Anyone",
    choices=Page.Visibility.choices,
)
PAGE_SORTING = console.Sorts(
    orders={
        "title": ["title_key", "pk"],
        "-title": ["-title_key", "-pk"],
        "order": ["order", "title_key", "pk"],
        "-updated": ["-updated_at", "-pk"],
    },
    choices=[
        ("title", "Title, A–Z"),
        ("-title", "Title, Z–A"),
        ("order", "Menu order"),
        ("-updated", "Recently changed"),
    ],
    default="title",
)
# The Overview names this many of a page's chosen groups.
AUDIENCE_NAMES = 5
PAGE_TABS = [
    ("overview", "Overview", "content:detail"),
    ("settings", "Settings", "content:update"),
    ("access", "Access", "content:access"),
    ("versions", "Versions", "content:versions"),
]


def _get_page(slug: str) -> Page:
    return get_object_or_404(Page, slug=slug)


def _page_context(page: Page, tab: str) -> dict[str, Any]:
    """The page's heading, breadcrumbs and tabs, for each of its console pages."""
    return console.detail_context(
        heading=page.title,
        breadcrumbs=[("Pages", reverse("content:list"))],
        tabs=[
            console.Tab(key, label, reverse(name, args=[page.slug]))
            for key, label, name in PAGE_TABS
        ],
        tab=tab,
    ) | {"entry": page}


def _breadcrumbs(page: Page) -> list[tuple[str, str]]:
    return [
        ("Pages", reverse("content:list")),
        (page.title, reverse("content:detail", args=[page.slug])),
    ]


def _console_url(page: Page, name: str = "content:detail") -> str:
    return reverse(name, args=[page.slug])


@require_GET
@administrator_required
def page_list(request: HttpRequest) -> HttpResponse:
    return console.list_page(
        request,
        "content/console_page_list.html",
        title="Pages",
        items=Page.objects.for_console,
        search_label="Search by title, address or text",
        filter=STATE_FILTER,
        more_filters=[MENU_FILTER, AUDIENCE_FILTER],
        sorts=PAGE_SORTING,
        context={
            "add_url": reverse("content:create"),
            "add_label": "+ Add page",
            "intro": PAGES_INTRO,
        },
    )


@require_http_methods(["GET", "POST"])
@administrator_required
def page_create(request: HttpRequest) -> HttpResponse:
    form = PageCreateForm(request.POST or None)
    if form.is_valid():
        fields = {name: form.cleaned_data[name] for name in PAGE_FIELDS}
        if form.cleaned_data["publish_now"]:
            fields["state"] = Page.State.PUBLISHED
        try:
            page = services.create_page(created_by=request.user, **fields)
        except IntegrityError:
            form.add_error("slug", "Another page was just given this address. Choose another.")
        except ValidationError as error:
            add_refusal(form, error)
        else:
            text = f"Created the page {page.title}."
            if not page.is_published:
                text += " It is a draft: only administrators see it until you publish it."
            if page.visibility == Page.Visibility.GROUPS:
                text += " Choose the groups that see it under Access."
            messages.success(request, text)
            return redirect(_console_url(page))
    return console.create_page(
        request,
        form,
        title="Add a page",
        list_url=reverse("content:list"),
        list_label="Pages",
    )


def _audience(page: Page) -> str:
    """Who sees the page, in words."""
    if page.visibility != Page.Visibility.GROUPS:
        return page.get_visibility_display()
    names = list(
        page.links.order_by("group__display_name_key").values_list(
            "group__display_name", flat=True
        )[: AUDIENCE_NAMES + 1]
    )
    if not names:
        return "Chosen groups: none yet, so only administrators"
    if len(names) > AUDIENCE_NAMES:
        return f"Chosen groups: {', '.join(names[:AUDIENCE_NAMES])} and more (see Access)"
    return f"Chosen groups: {', '.join(names)}"


def _readers(page: Page) -> str:
    """Who a published page is for, to finish a sentence."""
    if page.visibility == Page.Visibility.EVERYONE:
        return "everyone, guests included,"
    if page.visibility == Page.Visibility.SIGNED_IN:
        return "signed-in developers"
    if page.links.exists():
        return "members of its chosen groups"
    return "only administrators (choose its groups under Access)"


@require_GET
@administrator_required
def page_detail(request: HttpRequest, slug: str) -> HttpResponse:
    page = _get_page(slug)
    return render(
        request,
        "content/console_page_detail.html",
        _page_context(page, "overview") | {"audience": _audience(page)},
    )


@require_http_methods(["GET", "POST"])
@administrator_required
def page_update(request: HttpRequest, slug: str) -> HttpResponse:
    page = _get_page(slug)
    return console.settings_page(
        request,
        "content/console_page_settings.html",
        entity=page,
        form_class=PageSettingsForm,
        save=lambda **changes: services.update_page(page=page, updated_by=request.user, **changes),
        noun="page",
        context=_page_context(page, "settings"),
        name_field="title",
        unique_field="slug",
        then=lambda saved: _console_url(saved, "content:update"),
    )


@require_POST
@administrator_required
def page_publish(request: HttpRequest, slug: str) -> HttpResponse:
    page = _get_page(slug)
    if page.is_published:
        messages.info(request, f"{page.title} is already published.")
    else:
        services.set_state(page=page, state=Page.State.PUBLISHED, updated_by=request.user)
        messages.success(request, f"Published {page.title}: {_readers(page)} can open it now.")
    return redirect(_console_url(page))


@require_POST
@administrator_required
def page_unpublish(request: HttpRequest, slug: str) -> HttpResponse:
    page = _get_page(slug)
    if not page.is_published:
        messages.info(request, f"{page.title} is already a draft.")
    else:
        services.set_state(page=page, state=Page.State.DRAFT, updated_by=request.user)
        messages.success(
            request, f"Unpublished {page.title}. Only administrators see it now, as a draft."
        )
    return redirect(_console_url(page))


@require_http_methods(["GET", "POST"])
@administrator_required
def page_delete(request: HttpRequest, slug: str) -> HttpResponse:
    page = _get_page(slug)
    if request.method == "POST":
        summary = services.delete_page(page=page)
        messages.success(request, summary.message("page"))
        return redirect("content:list")
    versions = page.versions.count()
    groups = [link.group.display_name for link in page.links.select_related("group")]
    lost = [
        f"The page {page.title}, at /pages/{page.slug}/, with its text.",
        f"Its {versions} kept version{'s' if versions != 1 else ''}: it can't be restored.",
    ]
    if groups:
        lost.append(
            f"Access for {len(groups)} group{'s' if len(groups) != 1 else ''}: {', '.join(groups)}."
        )
    if page.menu != Page.Menu.NONE:
        lost.append(f"Its entry in the portal's {page.get_menu_display().lower()}.")
    if page.is_landing:
        lost.append(
            "The portal's front page: it falls back to the built-in welcome until another page "
            "is the landing page."
        )
    return console.confirm_page(
        request,
        console.Confirmation(
            title=f"Delete the page {page.title}?",
            text="This can't be undone. Links to its address will answer “Page not found”.",
            button="Delete",
            cancel_url=_console_url(page),
            breadcrumbs=_breadcrumbs(page),
            lost=lost,
            kept=["The groups and their members.", "Every other page."],
        ),
    )


@require_GET
@administrator_required
def page_access(request: HttpRequest, slug: str) -> HttpResponse:
    page = _get_page(slug)
    links = (
        PageGroup.objects.filter(page=page)
        .select_related("group", "added_by")
        .order_by("group__display_name_key", "pk")
    )
    return render(
        request,
        "content/console_page_access.html",
        _page_context(page, "access")
        | {"page": paginate(request, links), "chosen_groups": Page.Visibility.GROUPS},
    )


@require_http_methods(["GET", "POST"])
@administrator_required
def page_add_groups(request: HttpRequest, slug: str) -> HttpResponse:
    page = _get_page(slug)
    access_url = _console_url(page, "content:access")

    def select(picked: console.Picked) -> HttpResponse:
        added = services.grant_page(page=page, groups=picked.items, added_by=request.user)
        names = ", ".join(sorted(group.display_name for group in picked.items))
        if not added:
            messages.info(request, f"{names} could already see {page.title}.")
        elif page.visibility == Page.Visibility.GROUPS:
            when = "" if page.is_published else " once it is published"
            messages.success(request, f"{names} can now see {page.title}{when}.")
        else:
            messages.success(
                request,
                f"Added {names}. They count once “Who can see it” is “Chosen groups”; today "
                f"the page is for {page.get_visibility_display().lower()}.",
            )
        return redirect(access_url)

    return console.picker_page(
        request,
        console.Picker(
            offers=console.GROUPS,
            title=f"Choose groups that see {page.title}",
            help="Tick the groups whose members should see this page, and press Select. "
            "Administrators always see every page.",
            taken_label="Sees it",
            cancel_url=access_url,
            breadcrumbs=[("Pages", reverse("content:list")), (page.title, access_url)],
            empty="There are no groups to choose.",
        ),
        # Administrators see every page anyway: choosing them would change nothing.
        candidates=Group.objects.exclude(name=Group.ADMINISTRATORS).order_by(
            "type", "display_name_key", "pk"
        ),
        links=PageGroup.objects.filter(page=page),
        link_field="group",
        select=select,
    )


@require_http_methods(["GET", "POST"])
@administrator_required
def page_remove_group(request: HttpRequest, slug: str, group: str) -> HttpResponse:
    page = _get_page(slug)
    link = get_object_or_404(
        PageGroup.objects.select_related("group"), page=page, group__name=group
    )
    access_url = _console_url(page, "content:access")

    def revoke() -> str | None:
        if not services.revoke_page(page=page, group=link.group):
            return None
        return f"{link.group.display_name} no longer sees {page.title}."

    return console.confirmed(
        request,
        console.Confirmation(
            title=f"Stop {link.group.display_name} seeing {page.title}?",
            text=f"Members of {link.group.display_name} will no longer see {page.title} in the "
            "developer portal, unless another of their groups does. The group and the page are "
            "kept; you can add the group back at any time.",
            button="Remove",
            cancel_url=access_url,
            breadcrumbs=[("Pages", reverse("content:list")), (page.title, access_url)],
        ),
        act=revoke,
        then=access_url,
        nothing_done=f"{link.group.display_name} already didn't see {page.title}.",
    )


@require_GET
@administrator_required
def page_versions(request: HttpRequest, slug: str) -> HttpResponse:
    page = _get_page(slug)
    versions = list(page.versions.select_related("saved_by").order_by("-number"))
    return render(
        request,
        "content/console_page_versions.html",
        _page_context(page, "versions")
        | {
            "versions": versions,
            "current": versions[0].number if versions else None,
            "kept_versions": KEPT_VERSIONS,
        },
    )


def _get_version(page: Page, number: int) -> PageVersion:
    return get_object_or_404(
        PageVersion.objects.select_related("saved_by"), page=page, number=number
    )


@require_GET
@administrator_required
def page_version(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    page = _get_page(slug)
    kept = _get_version(page, number)
    newest = page.versions.order_by("-number").values_list("number", flat=True).first()
    return render(
        request,
        "content/console_page_version.html",
        _page_context(page, "versions") | {"kept": kept, "is_current": kept.number == newest},
    )


@require_http_methods(["GET", "POST"])
@administrator_required
def page_restore(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    page = _get_page(slug)
    kept = _get_version(page, number)
    versions_url = _console_url(page, "content:versions")

    def restore() -> str | None:
        # Whatever was saved since is kept as a version too, so Restore needs no
        # version check: nothing is lost by restoring over it.
        restored = services.restore_version(
            page=page, number=kept.number, expected_version=None, restored_by=request.user
        )
        if restored.version == page.version:
            return None
        return f"Restored version {kept.number} of {restored.title}, as a new version."

    return console.confirmed(
        request,
        console.Confirmation(
            title=f"Restore version {kept.number} of {page.title}?",
            text=f"The page's title and text become those of version {kept.number}, saved "
            f"{date_format(localtime(kept.saved_at), 'j M Y, H:i')}. The current text stays "
            "among the kept versions, so you can restore it in turn. Its settings (address, "
            "who can see it, menu, state) don't change.",
            button="Restore",
            cancel_url=reverse("content:version", args=[page.slug, kept.number]),
            breadcrumbs=[*_breadcrumbs(page), ("Versions", versions_url)],
        ),
        act=restore,
        then=_console_url(page),
        nothing_done=f"The page already has the title and text of version {kept.number}.",
    )
