"""Writes to the portal's pages, for every caller: the console, the Django admin,
the demo data and the commands.

Every save that changes a page's title or body keeps that text as a version
(the last KEPT_VERSIONS of them), so an administrator can restore it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from audit import context as audit_context
from audit.services import Ref, record, record_many, ref, snapshot
from audit.services import changes as value_changes
from content import menus
from content.models import KEPT_VERSIONS, Page, PageGroup, PageVersion
from groups.models import Group
from portal.entities import ConcurrentChangeError, DeletionSummary, insert_links, update_entity

# What a version keeps: a change to one of these makes a new version.
VERSIONED_FIELDS = ("title", "body")
# What the activity record keeps of a page, besides its body's length and
# SHA-256 (never its text): all of it at creation and deletion, and
# whatever of it changes.
RECORDED_FIELDS = ("title", "slug", "order", "menu", "visibility", "state", "is_landing")


def recorded_values(page: Page) -> dict[str, Any]:
    """A page as the activity record keeps it: its settings, and its body as a length
    and a SHA-256."""
    return snapshot(page, RECORDED_FIELDS) | {
        "body_length": len(page.body),
        "body_sha256": hashlib.sha256(page.body.encode("utf-8", "surrogatepass")).hexdigest(),
    }


def _keep_version(page: Page, *, saved_by: Any) -> None:
    """Record the page's title and body as its current version, and forget the oldest
    beyond KEPT_VERSIONS."""
    PageVersion.objects.create(
        page=page, number=page.version, title=page.title, body=page.body, saved_by=saved_by
    )
    stale = PageVersion.objects.filter(page=page).order_by("-number")[KEPT_VERSIONS:]
    PageVersion.objects.filter(pk__in=list(stale.values_list("pk", flat=True))).delete()


def _clear_other_landing(page: Page) -> list[Page]:
    """A page becoming the landing page takes the place of the one before; returns it
    (as the record names it) to be recorded once the change it follows from is."""
    before = list(Page.objects.filter(is_landing=True).exclude(pk=page.pk).only("pk", "title"))
    if before:
        Page.objects.filter(pk__in=[other.pk for other in before]).update(is_landing=False)
    return before


def _record_landing_moved(cleared: list[Page], cause: int) -> None:
    """page.update for the page that was the landing page, caused by the change that
    made another one the landing page."""
    with audit_context.caused_by(cause):
        for other in cleared:
            record(
                "page.update", ref(other), before={"is_landing": True}, after={"is_landing": False}
            )


@transaction.atomic
def create_page(*, created_by: Any = None, groups: Iterable[Group] = (), **fields: Any) -> Page:
    """Create a page (a draft unless `state` says otherwise) and keep its first version."""
    page = Page(**fields, updated_by=created_by)
    cleared = []
    if page.is_landing:
        # Before full_clean, whose check of the one-landing constraint would
        # otherwise refuse the page that takes the place of the one before.
        cleared = _clear_other_landing(page)
    page.full_clean()
    page.save()
    _keep_version(page, saved_by=created_by)
    created = record("page.create", ref(page), after=recorded_values(page))
    _record_landing_moved(cleared, created.pk)
    with audit_context.caused_by(created.pk):
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

    Recorded as page.update with what changed, or page.publish / page.unpublish
    when the state changes (nothing when nothing changed).
    """
    return _update_page(page, expected_version, updated_by, changes)


def _update_page(
    page: Page,
    expected_version: int | None,
    updated_by: Any,
    changes: dict[str, Any],
    *,
    restored: int | None = None,
) -> Page:
    """update_page's work; `restored` is the version put back, recorded as page.restore."""
    current = Page.objects.select_for_update().get(pk=page.pk)
    if expected_version is not None and current.version != expected_version:
        raise ConcurrentChangeError(current)
    if all(getattr(current, name) == value for name, value in changes.items()):
        return current
    before = {name: getattr(current, name) for name in VERSIONED_FIELDS}
    recorded_before = recorded_values(current)
    cleared = _clear_other_landing(current) if changes.get("is_landing") else []
    saved = update_entity(
        current,
        expected_version=None,
        changes={**changes, "updated_by": updated_by, "updated_at": timezone.now()},
    )
    if any(getattr(saved, name) != before[name] for name in VERSIONED_FIELDS):
        _keep_version(saved, saved_by=updated_by)
    recorded_after = recorded_values(saved)
    old, new = value_changes(recorded_before, recorded_after)
    if "body_sha256" in new:
        # A new body is named by both its length and its hash, even at the same length.
        old["body_length"] = recorded_before["body_length"]
        new["body_length"] = recorded_after["body_length"]
    if new:
        if restored is not None:
            action, new = "page.restore", new | {"restored_version": restored}
        elif "state" in new:
            action = "page.publish" if saved.is_published else "page.unpublish"
        else:
            action = "page.update"
        written = record(action, ref(saved), before=old, after=new)
        _record_landing_moved(cleared, written.pk)
    menus.changed()
    return saved


@transaction.atomic
def set_state(*, page: Page, state: str, updated_by: Any = None) -> Page:
    """Publish or unpublish; pressing it twice is no change and no new version."""
    return _update_page(page, None, updated_by, {"state": state})


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
    return _update_page(
        page,
        expected_version,
        restored_by,
        {"title": kept.title, "body": kept.body},
        restored=number,
    )


@transaction.atomic
def delete_page(*, page: Page) -> DeletionSummary:
    """Delete a page, its group links and its kept versions.

    Recorded as page.delete, then page_access.revoke for each group that saw
    it, caused by it.
    """
    links = list(PageGroup.objects.filter(page=page).select_related("group").order_by("pk"))
    page_ref = ref(page)
    deleted = record("page.delete", page_ref, before=recorded_values(page))
    with audit_context.caused_by(deleted.pk):
        record_many("page_access.revoke", [(page_ref, ref(link.group)) for link in links])
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

    Repeats and races leave one link per group (insert_links). Each new link is
    recorded (page_access.grant); one already there is not.
    """
    chosen = {group.pk: group for group in groups}
    added = insert_links(
        PageGroup,
        fixed={"page": page},
        key="group_id",
        ids=chosen,
        added_by=added_by,
    )
    if added:
        page_ref = ref(page)
        record_many("page_access.grant", [(page_ref, ref(chosen[pk])) for pk in added])
        menus.changed()
    return len(added)


@transaction.atomic
def revoke_page(*, page: Page, group: Group) -> bool:
    """Stop a group's members seeing a page; True when the group saw it."""
    deleted, _ = PageGroup.objects.filter(page=page, group=group).delete()
    if deleted:
        record("page_access.revoke", ref(page), related=ref(group))
        menus.changed()
    return deleted > 0


def on_group_deleting(*, group: Group, group_ref: Ref, **kwargs: Any) -> None:
    """A group's deletion takes the pages it saw: page_access.revoke for each page,
    caused by the group.delete record (groups.services.delete_group sends this)."""
    links = PageGroup.objects.filter(group=group).select_related("page").order_by("pk")
    record_many("page_access.revoke", [(ref(link.page), group_ref) for link in links])
