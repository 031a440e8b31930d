"""Writes to groups and memberships; the console, the admin and the API call these."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction

from groups.models import Group, Membership, system_group_error
from portal import sight
from portal.entities import DeletionSummary, insert_links, update_entity


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


def update_group(*, group: Group, expected_version: int | None, **changes: Any) -> Group:
    """Save new settings unless someone else saved the group since it was read."""
    if group.is_system:
        raise system_group_error(group)
    return update_entity(group, expected_version=expected_version, changes=changes)


@transaction.atomic
def delete_group(*, group: Group) -> DeletionSummary:
    """Delete a custom group with its memberships and product links."""
    if group.is_system:
        raise system_group_error(group)
    member_ids = list(group.memberships.values_list("user_id", flat=True))
    count = len(member_ids)
    group.delete()
    sight.changed(people=member_ids)
    return DeletionSummary(
        display_name=group.display_name,
        consequences=[f"{count} member{'s' if count != 1 else ''} lost the membership"],
    )


@transaction.atomic
def add_members(*, group: Group, users: Iterable[Any], added_by: Any) -> int:
    """Add people to a group; those already in it stay as they are.

    Returns how many were added. Safe to repeat and to race: the unique
    (group, user) constraint lets exactly one insert win, and the losers,
    each in its own savepoint, count nothing.
    """
    if group.is_system:
        raise system_group_error(group, field="group")
    added = insert_links(
        Membership,
        fixed={"group": group},
        key="user_id",
        ids=(user.pk for user in users),
        added_by=added_by,
    )
    if added:
        sight.changed(people=added)
    return len(added)


@transaction.atomic
def remove_member(*, group: Group, user: Any) -> bool:
    """Take a person out of a group; True when they were in it."""
    if group.is_system:
        raise system_group_error(group, field="group")
    deleted, _ = Membership.objects.filter(group=group, user=user).delete()
    if deleted:
        sight.changed(people=[user.pk])
    return deleted > 0
