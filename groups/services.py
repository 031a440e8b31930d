"""Writes to groups and memberships; the console, the admin and the API call these."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction

from groups.models import Group, Membership, SystemGroupError


class ConcurrentChangeError(Exception):
    """The group changed since the caller read it; nothing was written."""

    def __init__(self, current: Group) -> None:
        super().__init__(f"{current.display_name} changed since it was read")
        self.current = current


@dataclass(frozen=True)
class DeletionSummary:
    display_name: str
    members_removed: int


def _refuse_system(group: Group, action: str) -> None:
    if group.is_system:
        raise SystemGroupError(
            f"{group.display_name} is a system group: it can't be {action}.",
            code="system_group",
        )


@transaction.atomic
def create_group(
    *, name: str, display_name: str, description: str = "", external_id: str = ""
) -> Group:
    """Create a custom group (or an external one when given an external ID)."""
    group = Group(
        name=name,
        display_name=display_name,
        description=description,
        type=Group.Type.EXTERNAL if external_id else Group.Type.CUSTOM,
        external_id=external_id,
    )
    group.full_clean()
    group.save()
    return group


@transaction.atomic
def update_group(*, group: Group, expected_version: int | None, **changes: Any) -> Group:
    """Save new settings unless someone else saved the group since it was read.

    expected_version None means "whatever the current version is" (the API's
    If-Match: *).
    """
    _refuse_system(group, "edited")
    current = Group.objects.select_for_update().get(pk=group.pk)
    if expected_version is not None and current.version != expected_version:
        raise ConcurrentChangeError(current)
    for field, value in changes.items():
        setattr(current, field, value)
    current.full_clean()
    current.save()
    return current


@transaction.atomic
def delete_group(*, group: Group) -> DeletionSummary:
    """Delete a custom group with its memberships and product links."""
    _refuse_system(group, "deleted")
    member_ids = list(group.memberships.values_list("user_id", flat=True))
    summary = DeletionSummary(display_name=group.display_name, members_removed=len(member_ids))
    group.delete()
    _reconcile(owner_ids=member_ids)
    return summary


@transaction.atomic
def add_members(*, group: Group, users: Iterable[Any], added_by: Any) -> int:
    """Add people to a group; those already in it stay as they are.

    Returns how many were added. Safe to repeat and to race: the unique
    (group, user) constraint lets exactly one insert win, and the losers,
    each in its own savepoint, count nothing.
    """
    _refuse_system(group, "given stored members")
    wanted = {user.pk for user in users}
    already = set(
        Membership.objects.filter(group=group, user_id__in=wanted).values_list("user_id", flat=True)
    )
    added = 0
    for user_id in sorted(wanted - already):
        try:
            with transaction.atomic():
                Membership.objects.create(group=group, user_id=user_id, added_by=added_by)
        except IntegrityError:
            continue
        added += 1
    if added:
        _reconcile(owner_ids=sorted(wanted - already))
    return added


@transaction.atomic
def remove_member(*, group: Group, user: Any) -> bool:
    """Take a person out of a group; True when they were in it."""
    _refuse_system(group, "changed: its membership is derived")
    deleted, _ = Membership.objects.filter(group=group, user=user).delete()
    if deleted:
        _reconcile(owner_ids=[user.pk])
    return deleted > 0


def _reconcile(*, owner_ids: list[int]) -> None:
    """Let the subscriptions rule react to people gaining or losing groups."""
    # Imported here: the products app depends on this one, not the reverse.
    from products import services as product_services

    product_services.reconcile_access(owner_ids=owner_ids)
