"""Writing the activity record. Services call these inside their own
transaction, so a change and its record commit together or not at all.

A record names its object as a `Ref`: a kind ("group", "product", "user"),
the primary key and the label it has now. `ref()` makes one from a model
instance; services that know better (a user's email as the label) build
their own.

Values before and after are JSON, and never a secret: fields whose names
say key, password, secret or token are dropped, whoever passes them.
"""

from __future__ import annotations

import datetime
import decimal
import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from audit import context
from audit.models import Record, RetentionSettings

LABEL_LENGTH = 300
# Names of values that must never be recorded, whoever passes them.
SECRET_NAME = re.compile(r"(^|_)(key|keys|password|secret|token|hash)($|_)", re.IGNORECASE)
# Derived columns that only repeat another (a name's folded form).
DERIVED_NAMES = frozenset({"display_name_key", "version", "updated_at"})


@dataclass(frozen=True)
class Ref:
    kind: str
    id: str
    label: str = ""


def ref(instance: models.Model, *, kind: str | None = None, label: str | None = None) -> Ref:
    """A model instance as a record's object: its model's name, its pk and str()."""
    return Ref(
        kind=kind or instance._meta.model_name or "",
        id=str(instance.pk),
        label=(str(instance) if label is None else label)[:LABEL_LENGTH],
    )


def _json_value(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, Mapping):
        return {str(k): _json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_json_value(v) for v in value]
    return str(value)


def clean_values(values: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """Values as JSON, without secrets or derived columns."""
    if values is None:
        return None
    return {
        name: _json_value(value)
        for name, value in values.items()
        if not SECRET_NAME.search(name) and name not in DERIVED_NAMES
    }


def snapshot(instance: models.Model, fields: Iterable[str] | None = None) -> dict[str, Any]:
    """An instance's values by field name (its concrete fields, or these), secrets left out.

    A foreign key is recorded by its column (`owner_id`) so reading a
    snapshot never loads another row.
    """
    chosen = set(fields) if fields is not None else None
    values: dict[str, Any] = {}
    for field in instance._meta.concrete_fields:
        name = field.name
        if chosen is not None and name not in chosen and field.attname not in chosen:
            continue
        if field.primary_key:
            continue
        values[field.attname if field.is_relation else name] = getattr(instance, field.attname)
    return clean_values(values) or {}


def changes(
    before: Mapping[str, Any], after: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The values that differ, before and after (as JSON, secrets left out)."""
    old = clean_values(before) or {}
    new = clean_values(after) or {}
    names = [name for name in new if old.get(name) != new[name]]
    names += [name for name in old if name not in new]
    return ({n: old.get(n) for n in names}, {n: new.get(n) for n in names})


def _row(
    action: str,
    obj: Ref,
    related: Ref | None,
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
    actor: context.Actor,
    cause: int | None,
    at: datetime.datetime,
) -> Record:
    return Record(
        at=at,
        actor_kind=actor.kind,
        actor_id=actor.id,
        actor_label=actor.label,
        on_behalf_of=actor.on_behalf_of,
        via=actor.via,
        address=actor.address,
        action=action,
        object_kind=obj.kind,
        object_id=obj.id,
        object_label=obj.label[:LABEL_LENGTH],
        related_kind=related.kind if related else "",
        related_id=related.id if related else "",
        related_label=related.label[:LABEL_LENGTH] if related else "",
        before=clean_values(before),
        after=clean_values(after),
        cause_id=cause,
    )


def record(
    action: str,
    obj: Ref,
    *,
    related: Ref | None = None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
) -> Record:
    """Append one record, in the caller's transaction; it is the cause of what follows from it."""
    with transaction.atomic():
        written = _row(
            action,
            obj,
            related,
            before,
            after,
            context.current_actor(),
            context.current_cause(),
            timezone.now(),
        )
        written.save()
    context.wrote(written.pk)
    return written


def record_many(
    action: str,
    rows: Iterable[tuple[Ref, Ref | None]],
    *,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
) -> int:
    """Append one record per (object, related) pair, in batches; how many."""
    actor = context.current_actor()
    cause = context.current_cause()
    at = timezone.now()
    batch: list[Record] = []
    last: Record | None = None
    count = 0
    with transaction.atomic():
        for obj, related in rows:
            last = _row(action, obj, related, before, after, actor, cause, at)
            batch.append(last)
            if len(batch) >= 1000:
                Record.objects.bulk_create(batch)
                count += len(batch)
                batch = []
        if batch:
            Record.objects.bulk_create(batch)
            count += len(batch)
    if last is not None and last.pk is not None:
        # A job started next (the access rule, after a member's removal) follows from these.
        context.wrote(last.pk)
    return count


def set_retention(*, keep_days: int | None) -> RetentionSettings:
    """Keep records this many days (None: forever); the change is itself recorded."""
    with transaction.atomic():
        current = RetentionSettings.objects.select_for_update().order_by("pk").first()
        before = current.keep_days if current is not None else None
        if current is None:
            current = RetentionSettings(keep_days=keep_days)
        current.keep_days = keep_days
        current.save()
        if before != keep_days:
            record(
                "settings.retention",
                Ref("settings", "retention", "Activity retention"),
                before={"keep_days": before},
                after={"keep_days": keep_days},
            )
    return current


def prune(*, now: datetime.datetime | None = None) -> int:
    """Remove records older than the retention setting, and record that it did; how many."""
    keep_days = RetentionSettings.current().keep_days
    if keep_days is None:
        return 0
    cutoff = (now or timezone.now()) - datetime.timedelta(days=keep_days)
    with transaction.atomic():
        removed = Record.objects.filter(at__lt=cutoff)._prune()
        record(
            "activity.prune",
            Ref("activity", "records", "Activity records"),
            after={"removed": removed, "before": cutoff, "keep_days": keep_days},
        )
    return removed
