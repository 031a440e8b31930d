"""Folding records back into state: what was linked to what, and each
object's recorded values, at any moment the record covers.

This knows the record's vocabulary only (audit-contract: `<kind>.<verb>`
actions, links as object + related), not what the links mean; the apps
that own the meaning (who sees a product) read a `Replayed` and apply their
rules to it.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from audit.models import Record

# Link actions: (added, removed) by the kind of link.
LINK_ACTIONS: dict[str, tuple[str, str]] = {
    "member": ("member.add", "member.remove"),
    "access": ("access.grant", "access.revoke"),
    "product_api": ("product_api.add", "product_api.remove"),
    "page_access": ("page_access.grant", "page_access.revoke"),
}
_LINK_BY_ACTION: dict[str, tuple[str, bool]] = {
    action: (kind, index == 0)
    for kind, actions in LINK_ACTIONS.items()
    for index, action in enumerate(actions)
}
# The kinds whose objects' values are folded (the links' ends and what holds state).
ENTITY_KINDS = frozenset({"group", "product", "api", "page", "user", "subscription"})


@dataclass(frozen=True)
class Since:
    """When a link or value came to be, and who made it so."""

    at: datetime.datetime
    by: str
    via: str
    record_id: int

    @classmethod
    def of(cls, record: Record) -> Since:
        return cls(at=record.at, by=record.actor_label, via=record.via, record_id=record.pk)


@dataclass
class Entity:
    """An object's recorded values, merged from its records in order."""

    label: str
    values: dict[str, Any] = field(default_factory=dict)
    created: Since | None = None


@dataclass
class Replayed:
    # links["member"][(group_id, user_id)] = since when
    links: dict[str, dict[tuple[str, str], Since]] = field(
        default_factory=lambda: {kind: {} for kind in LINK_ACTIONS}
    )
    # entities[("user", "7")]: present unless deleted
    entities: dict[tuple[str, str], Entity] = field(default_factory=dict)

    def linked(self, kind: str) -> set[tuple[str, str]]:
        return set(self.links[kind])

    def value(self, kind: str, pk: Any, name: str, default: Any = None) -> Any:
        entity = self.entities.get((kind, str(pk)))
        return default if entity is None else entity.values.get(name, default)

    def apply(self, record: Record) -> None:
        link = _LINK_BY_ACTION.get(record.action)
        if link is not None:
            kind, added = link
            key = (record.object_id, record.related_id)
            if added:
                self.links[kind].setdefault(key, Since.of(record))
            else:
                self.links[kind].pop(key, None)
            return
        # Only an object's own actions ("user.block" of a user) carry its
        # values; a request about a group ("request.create") does not.
        if record.object_kind not in ENTITY_KINDS or record.action.partition(".")[0] != (
            record.object_kind
        ):
            return
        key = (record.object_kind, record.object_id)
        verb = record.verb
        if verb == "delete":
            self.entities.pop(key, None)
            return
        entity = self.entities.get(key)
        if entity is None or verb == "create":
            entity = Entity(label=record.object_label, created=Since.of(record))
            self.entities[key] = entity
        entity.label = record.object_label or entity.label
        if isinstance(record.after, dict):
            entity.values.update(record.after)


def replay(records: Iterable[Record]) -> Replayed:
    """The state these records (oldest first) leave behind."""
    state = Replayed()
    for record in records:
        state.apply(record)
    return state


def in_order(records: Any, until: datetime.datetime | None = None) -> Any:
    """A QuerySet of records, up to a moment, oldest first, with only what replay reads."""
    if until is not None:
        records = records.filter(at__lte=until)
    return records.order_by("at", "id").only(
        "at",
        "action",
        "actor_label",
        "via",
        "object_kind",
        "object_id",
        "object_label",
        "related_kind",
        "related_id",
        "after",
    )
