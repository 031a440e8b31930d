"""The activity record as the console shows it: rows with their words and
links, for Activity and for the History section every object page shares."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.urls import reverse

from apis.models import Api
from audit import words
from audit.models import Record
from content.models import Page
from groups.models import Group
from portal.models import User
from products.models import Product
from subscriptions.models import Subscription

# History on an object's page: the latest few, then a link to all of them.
HISTORY_ROWS = 10


@dataclass(frozen=True)
class Row:
    record: Record
    words: str
    object_url: str
    related_url: str
    changes: list[tuple[str, str, str]]


def _links(
    records: Iterable[Record], known: dict[tuple[str, str], str] | None = None
) -> dict[tuple[str, str], str]:
    """The console address of each object the records name that still exists: one
    query per kind of object, whatever the number of rows. `known` holds addresses
    the caller already has (the page's own object), which are not looked up."""
    found: dict[tuple[str, str], str] = dict(known or {})
    wanted: dict[str, set[int]] = {}
    for record in records:
        for kind, pk in (
            (record.object_kind, record.object_id),
            (record.related_kind, record.related_id),
        ):
            if pk.isdigit() and (kind, pk) not in found:
                wanted.setdefault(kind, set()).add(int(pk))
    readers: dict[str, Any] = {
        "group": lambda ids: (
            (pk, reverse("groups:detail", args=[name]))
            for pk, name in Group.objects.filter(pk__in=ids).values_list("pk", "name")
        ),
        "product": lambda ids: (
            (pk, reverse("products:detail", args=[name]))
            for pk, name in Product.objects.filter(pk__in=ids).values_list("pk", "name")
        ),
        "api": lambda ids: (
            (pk, reverse("apis:detail", args=[name]))
            for pk, name in Api.objects.filter(pk__in=ids).values_list("pk", "name")
        ),
        "page": lambda ids: (
            (pk, reverse("content:detail", args=[slug]))
            for pk, slug in Page.objects.filter(pk__in=ids).values_list("pk", "slug")
        ),
        "user": lambda ids: (
            (pk, reverse("console:user_detail", args=[pk]))
            for pk in User.objects.filter(pk__in=ids).values_list("pk", flat=True)
        ),
        "subscription": lambda ids: (
            (pk, reverse("subscriptions:detail", args=[sid]))
            for pk, sid in Subscription.objects.filter(pk__in=ids).values_list("pk", "sid")
        ),
    }
    for kind, ids in wanted.items():
        if kind in readers:
            found.update({(kind, str(pk)): url for pk, url in readers[kind](ids)})
    return found


def rows(records: list[Record], known: dict[tuple[str, str], str] | None = None) -> list[Row]:
    links = _links(records, known)
    return [
        Row(
            record=record,
            words=words.action_words(record.action),
            object_url=links.get((record.object_kind, record.object_id), ""),
            related_url=links.get((record.related_kind, record.related_id), ""),
            changes=words.changes(record.before, record.after),
        )
        for record in records
    ]


def history(kind: str, pk: Any, url: str) -> dict[str, Any]:
    """An object page's History section: its latest records, and where the rest are.
    `url` is the page's own address, the link for the object itself."""
    latest = list(Record.objects.about(kind, pk).order_by("-id")[: HISTORY_ROWS + 1])
    return {
        "history_rows": rows(latest[:HISTORY_ROWS], known={(kind, str(pk)): url}),
        "history_more": len(latest) > HISTORY_ROWS,
        "history_url": f"{reverse('audit:activity')}?object={kind}:{pk}",
    }
