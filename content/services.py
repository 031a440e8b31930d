"""Writes to the portal's pages, for every caller: the console, the Django admin,
the demo data and the commands.

Every save that changes a page's title or body keeps that text as a version
(the last KEPT_VERSIONS of them), so an administrator can restore it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from audit.services import Ref, record_many, ref
from content import menus
from content.models import KEPT_VERSIONS, Page, PageGroup, PageVersion
from groups.models import Group
from portal.entities import ConcurrentChangeError, DeletionSummary, insert_links, update_entity

# What a version keeps: a change to one of these makes a new version.
VERSIONED_FIELDS = ("title", "body")


def _keep_version(page: Page, *, saved_by: Any) -> None:
    """Record the page's title and body as its current version, and forget the oldest
    beyond KEPT_VERSIONS."""
    PageVersion.objects.create(
        page=page, number=page.version, title=page.title, body=page.body, saved_by=saved_by
    )
    stale = PageVersion.objects.filter(page=page).order_by("-number")[KEPT_VERSIONS:]
    PageVersion.objects.filter(pk__in=list(stale.values_list("pk", flat=True))).delete()


def _clear_other_landing(page: Page) -> None:
    """A page becoming the landing page takes the place of the one before."""
    Page.objects.filter(is_landing=True).exclude(pk=page.pk).update(is_landing=False)


@transaction.atomic
def create_page(*, created_by: Any = None, groups: Iterable[Group] = (), **fields: Any) -> Page:
    """Create a page (a draft unless `state` says otherwise) and keep its first version."""
    page = Page(**fields, updated_by=created_by)
    if page.is_landing:
        # Before full_clean, whose check of the one-landing constraint would
        # otherwise refuse the page that takes the place of the one before.
        _clear_other_landing(page)
    page.full_clean()
    page.save()
    _keep_version(page, saved_by=created_by)
    grant_page(page=page, groups=groups, added_by=created_by)
    menus.changed()
    return page


@transaction.atomic
def update_page(
    *, page: Page, expected_version: int | None, updated_by: Any = None, **changes: Any
) -> Page:
    """Save new settings or text unless someone else saved the page since it was read.

    A save that changes nothing is no new version. One that changes the
    title or body is kept for Restore.
    """
    current = Page.objects.select_for_update().get(pk=page.pk)
    if expected_version is not None and current.version != expected_version:
        raise ConcurrentChangeError(current)
    if all(getattr(current, name) == value for name, value in changes.items()):
        return current
    before = {name: getattr(current, name) for name in VERSIONED_FIELDS}
    if changes.get("is_landing"):
        _clear_other_landing(current)
    saved = update_entity(
        current,
        expected_version=None,
        changes={**changes, "updated_by": updated_by, "updated_at": timezone.now()},
    )
    if any(getattr(saved, name) != before[name] for name in VERSIONED_FIELDS):
        _keep_version(saved, saved_by=updated_by)
    menus.changed()
    return saved


def set_state(*, page: Page, state: str, updated_by: Any = None) -> Page:
    """Publish or unpublish; pressing it twice is no change and no new version."""
    return update_page(page=page, expected_version=None, updated_by=updated_by, state=state)


@transaction.atomic
def restore_version(
    *, page: Page, number: int, expected_version: int | None, restored_by: Any = None
) -> Page:
    """Put back the title and body a kept version had, as a new version."""
    try:
        kept = PageVersion.objects.get(page=page, number=number)
    except PageVersion.DoesNotExist:
        raise ValidationError(
            "That version is no longer kept; only the last "
            f"{KEPT_VERSIONS} versions of a page can be restored.",
            code="no_version",
        ) from None
    return update_page(
        page=page,
        expected_version=expected_version,
        updated_by=restored_by,
        title=kept.title,
        body=kept.body,
    )


@transaction.atomic
def delete_page(*, page: Page) -> DeletionSummary:
    """Delete a page, its group links and its kept versions."""
    consequences = []
    if page.is_landing:
        consequences.append(
            "the portal's front page shows the built-in welcome "
            "until another page is the landing page"
        )
    page.delete()
    menus.changed()
    return DeletionSummary(display_name=page.title, consequences=consequences)


@transaction.atomic
def grant_page(*, page: Page, groups: Iterable[Group], added_by: Any) -> int:
    """Let groups' members see a page meant for chosen groups; returns how many were new.

    Repeats and races leave one link per group (insert_links).
    """
    added = insert_links(
        PageGroup,
        fixed={"page": page},
        key="group_id",
        ids=(group.pk for group in groups),
        added_by=added_by,
    )
    if added:
        menus.changed()
    return len(added)


@transaction.atomic
def revoke_page(*, page: Page, group: Group) -> bool:
    """Stop a group's members seeing a page; True when the group saw it."""
    deleted, _ = PageGroup.objects.filter(page=page, group=group).delete()
    if deleted:
        menus.changed()
    return deleted > 0


def on_group_deleting(*, group: Group, group_ref: Ref, **kwargs: Any) -> None:
    """A group's deletion takes the pages it saw: page_access.revoke for each page,
    caused by the group.delete record (groups.services.delete_group sends this)."""
    links = PageGroup.objects.filter(group=group).select_related("page").order_by("pk")
    record_many("page_access.revoke", [(ref(link.page), group_ref) for link in links])
