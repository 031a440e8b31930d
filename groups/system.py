"""The three system groups, as Azure API Management names and describes them.

This module imports no model of the project, so the data migration and the
post_migrate repair both use it with the historical model they are handed.
"""

from __future__ import annotations

from typing import Any

from portal.names import fold_name

ADMINISTRATORS = "administrators"
DEVELOPERS = "developers"
GUESTS = "guests"

SYSTEM_GROUPS: dict[str, dict[str, str]] = {
    ADMINISTRATORS: {
        "display_name": "Administrators",
        "description": (
            "Administrators is a built-in group containing the admin email account "
            "provided at the time of service creation. Its membership is managed by "
            "the system."
        ),
        "membership": "All administrators",
    },
    DEVELOPERS: {
        "display_name": "Developers",
        "description": (
            "Developers is a built-in group. Its membership is managed by the system. "
            "Signed-in users fall into this group."
        ),
        "membership": "All signed-in developers",
    },
    GUESTS: {
        "display_name": "Guests",
        "description": (
            "Guests is a built-in group. Its membership is managed by the system. "
            "Unauthenticated users visiting the developer portal fall into this group."
        ),
        "membership": "Anonymous visitors",
    },
}


def ensure_system_groups(group_model: Any, using: str = "default") -> None:
    """Create whichever system group is missing; leave existing rows alone."""
    manager = group_model._base_manager.db_manager(using)
    existing = set(manager.filter(name__in=SYSTEM_GROUPS).values_list("name", flat=True))
    # bulk_create skips Group.save(), which refuses to write system groups.
    manager.bulk_create(
        [
            group_model(
                name=name,
                display_name=data["display_name"],
                display_name_key=fold_name(data["display_name"]),
                description=data["description"],
                type="system",
                built_in=True,
            )
            for name, data in SYSTEM_GROUPS.items()
            if name not in existing
        ],
        ignore_conflicts=True,
    )


def derived_group_ids(user: Any) -> list[str]:
    """The system groups a person is in, worked out from their account alone.

    Anonymous visitors are Guests. Every active signed-in account is a
    Developer, and superusers are Administrators too. Blocked and pending
    accounts can't sign in, so they are Guests like any visitor.
    """
    if not user.is_authenticated or not user.is_active:
        return [GUESTS]
    if user.is_superuser:
        return [ADMINISTRATORS, DEVELOPERS]
    return [DEVELOPERS]


def display_names(user: Any) -> list[str]:
    """The names of the system groups a person is in, as the console shows them."""
    return [SYSTEM_GROUPS[name]["display_name"] for name in derived_group_ids(user)]
