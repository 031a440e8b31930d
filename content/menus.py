"""The portal's top menu and footer: the published pages placed in them.

Every portal page shows both menus, so the pages are read once into the
shared cache, under a generation that each page save, deletion or change of
a page's groups renews (content.services calls changed()), and filtered
for each viewer in Python. The filter is PageQuerySet.visible_to's rule
over the cached rows; tests/content/test_menus.py proves that both agree
for every audience and every kind of viewer.
"""

from __future__ import annotations

from typing import NamedTuple

from django.db.models.functions import Lower

from content.models import Page, counts_as_signed_in
from groups.models import Group, Viewer
from portal.counts import CachedValue
from portal.models import is_administrator


class MenuPage(NamedTuple):
    """What a menu needs of a page, and what decides who sees it."""

    pk: int
    title: str
    slug: str
    menu: str
    visibility: str
    group_ids: frozenset[int]


# The key names MenuPage's fields: a release that changes them reads a new key
# instead of unpickling the old release's rows into the new shape (a TypeError
# on every portal page until the entry expired).
MENU_PAGES: CachedValue[list[MenuPage]] = CachedValue(
    "content:menu-pages:" + ",".join(MenuPage._fields)
)


def _read() -> list[MenuPage]:
    """The published pages in a menu, in menu order, with their groups: one query."""
    rows = (
        Page.objects.filter(state=Page.State.PUBLISHED)
        .exclude(menu=Page.Menu.NONE)
        .order_by("order", Lower("title"), "pk")
        .values_list("pk", "title", "slug", "menu", "visibility", "links__group_id")
    )
    pages: dict[int, tuple[str, str, str, str]] = {}
    groups: dict[int, set[int]] = {}
    for pk, title, slug, menu, visibility, group_id in rows:
        pages.setdefault(pk, (title, slug, menu, visibility))
        found = groups.setdefault(pk, set())
        if group_id is not None:
            found.add(group_id)
    return [
        MenuPage(pk, title, slug, menu, visibility, frozenset(groups[pk]))
        for pk, (title, slug, menu, visibility) in pages.items()
    ]


def changed() -> None:
    """A page was saved or deleted, or its groups changed: the menus are read again."""
    MENU_PAGES.changed()


def visible(pages: list[MenuPage], viewer: Viewer) -> list[MenuPage]:
    """The pages among these that visible_to(viewer) would give, in the same order."""
    if is_administrator(viewer):
        return list(pages)
    signed_in = counts_as_signed_in(viewer)
    # The viewer's groups are read (once a request, groups' memo) only when a
    # page in the menus is meant for chosen groups.
    group_ids: set[int] = set()
    if any(page.visibility == Page.Visibility.GROUPS and page.group_ids for page in pages):
        group_ids = set(Group.objects.ids_for_user(viewer))
    return [
        page
        for page in pages
        if page.visibility == Page.Visibility.EVERYONE
        or (page.visibility == Page.Visibility.SIGNED_IN and signed_in)
        or (page.visibility == Page.Visibility.GROUPS and not page.group_ids.isdisjoint(group_ids))
    ]


def menu_pages(viewer: Viewer) -> list[MenuPage]:
    """Both menus' pages the viewer sees, from the shared cache when nothing changed."""
    return visible(MENU_PAGES.get(_read), viewer)
