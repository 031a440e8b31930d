"""The console's one inbox: everything that waits for an administrator's decision.

Sign-ups waiting for approval, requests to join a group, requests for access
to a listed product and subscription requests live in different apps. Each
app describes its waiting items once, as a Kind, and registers it in its
AppConfig.ready(), as the sight funnel's listeners do; the inbox
(portal/views/approvals.py) lists every kind together, newest or oldest
first, with a constant number of queries, and approves or rejects through
each kind's own services.

Whatever makes an item wait calls announce() inside its transaction: once it
commits, the administrators get one email listing what arrived, at most one
every PORTICO_APPROVALS_EMAIL_MINUTES (items that arrive meanwhile go in the
next email).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import CharField, F, Model, QuerySet, Value
from django.db.models.signals import post_delete, post_save
from django.urls import reverse
from django.utils import timezone

from portal import jobs, mail
from portal.counts import CachedCount
from portal.models import ApprovalNotice, Job, User


@dataclass(frozen=True)
class Kind:
    """One sort of item that waits in the inbox.

    waiting() gives the items waiting now, each with a datetime field named
    by `since` (when it started waiting). search(items, query) narrows them
    to a search box's words. load(ids) fetches a page's items with whatever
    their row template shows, in a fixed number of queries, as {pk: item}.
    approve(item, actor, data) and reject(item, actor, reason) decide one
    item through the app's services, returning the words that say what
    happened; they raise ValidationError to refuse (already decided, a
    choice missing). `data` is the inbox form's POST, for a kind whose rows
    carry a choice (the group to add someone to), named
    f"{key}-{pk}-<field>". summary(item) is one line for the email.
    """

    key: str
    label: str
    noun: str
    waiting: Callable[[], QuerySet[Any]]
    since: str
    search: Callable[[Any, str], QuerySet[Any]]
    load: Callable[[list[int]], dict[int, Any]]
    template: str
    approve: Callable[[Any, Any, Mapping[str, Any]], str]
    reject: Callable[[Any, Any, str], str]
    summary: Callable[[Any], str]
    order: int = 50


_kinds: dict[str, Kind] = {}


def register(kind: Kind) -> None:
    """Add a kind to the inbox (from an AppConfig.ready(); registering twice replaces).

    Every save or delete of the kind's model recounts the menu's badge:
    whichever service, admin page or cascade makes an item enter or leave
    waiting, the next page shows it.
    """
    _kinds[kind.key] = kind
    model = kind.waiting().model
    post_save.connect(_saved, sender=model, dispatch_uid=f"approvals-badge-{kind.key}")
    post_delete.connect(_deleted, sender=model, dispatch_uid=f"approvals-badge-{kind.key}")


def kinds() -> list[Kind]:
    return sorted(_kinds.values(), key=lambda kind: (kind.order, kind.key))


def kind(key: str) -> Kind | None:
    return _kinds.get(key)


def entries(selected: list[Kind], query: str = "") -> QuerySet[Any]:
    """The waiting items of the chosen kinds as one list of (pk, kind key, since).

    One SQL UNION, so counting it and taking one page of it are one query
    each, whatever the number of items and kinds.
    """
    parts = []
    for item_kind in selected:
        items = item_kind.waiting()
        if query:
            items = item_kind.search(items, query)
        parts.append(
            items.order_by()
            .annotate(
                entry_id=F("pk"),
                entry_kind=Value(item_kind.key, output_field=CharField()),
                entry_at=F(item_kind.since),
            )
            .values_list("entry_id", "entry_kind", "entry_at")
        )
    if not parts:
        return User.objects.none().values_list("pk")
    first, *rest = parts
    return first.union(*rest, all=True) if rest else first


# --- The console menu's badge ----------------------------------------------------------------
#
# Every console page shows how many items wait. Counting is a UNION over
# four tables, so the count is kept in the shared cache (portal.counts)
# and counted again whenever an item may have entered or left waiting.

BADGE = CachedCount("approvals:badge")
# A save that writes only other fields (last_login at sign-in, a profile's
# name) can't make anything enter or leave waiting.
_WAITING_FIELDS = frozenset({"state", "email_confirmed_at"})


def waiting_count() -> int:
    """Everything waiting, for the console menu's badge: one cache read when nothing changed."""
    return BADGE.get(lambda: entries(kinds()).count())


def changed() -> None:
    """Something may have entered or left waiting: the badge is counted again."""
    BADGE.changed()


def _saved(sender: type[Model], update_fields: Any = None, **kwargs: Any) -> None:
    if update_fields is None or _WAITING_FIELDS.intersection(update_fields):
        changed()


def _deleted(sender: type[Model], **kwargs: Any) -> None:
    changed()


def counts(query: str = "") -> dict[str, int]:
    """How many items of each kind wait (matching the search): one query per kind."""
    result = {}
    for item_kind in kinds():
        items = item_kind.waiting()
        if query:
            items = item_kind.search(items, query)
        result[item_kind.key] = items.count()
    return result


# --- The administrators' email -----------------------------------------------------------

_recipients: list[Callable[[], list[str]]] = []


def set_recipients(recipients: Callable[[], list[str]]) -> None:
    """Who gets the inbox's emails; subscriptions sets its notification address."""
    _recipients[:] = [recipients]


def recipients() -> list[str]:
    if _recipients:
        return _recipients[0]()
    return list(User.objects.administrators().values_list("email", flat=True))


def interval() -> timedelta:
    return timedelta(minutes=settings.PORTICO_APPROVALS_EMAIL_MINUTES)


def announce() -> None:
    """Something new waits: email the administrators once the transaction commits, batched.

    (The badge hears of it from the waiting row's own save, see register().)
    """
    mail.send_later(send_approvals_digest)


def send_approvals_digest() -> None:
    """send_later's form of _send_digest."""
    _send_digest()


def _send_digest() -> bool:
    """Email what arrived since the last email, unless one went out too recently.

    Then the email is due when the interval ends: a job deferred until
    then sends it (one such job waits at a time), and so does the next
    announce() after that time. True when an email went out.
    """
    now = timezone.now()
    with transaction.atomic():
        notice, _ = ApprovalNotice.objects.select_for_update().get_or_create(pk=1)
        if notice.last_sent_at is not None and now < notice.last_sent_at + interval():
            due = notice.last_sent_at + interval()
            if notice.due_at != due:
                notice.due_at = due
                notice.save(update_fields=["due_at"])
            _send_at(due)
            return False
        since = notice.last_sent_at
        new = _arrived_since(since)
        notice.last_sent_at = now if new else notice.last_sent_at
        notice.due_at = None
        notice.save(update_fields=["last_sent_at", "due_at"])
    if not new:
        return False
    addresses = recipients()
    total = sum(len(items) for _, items in new)
    context = {
        "groups": [
            (item_kind, [item_kind.summary(item) for item in items]) for item_kind, items in new
        ],
        "total": total,
        "link": settings.PORTICO_BASE_URL + reverse("console:approvals"),
    }
    mail.send_templated("portal/email/approvals_waiting", context, addresses)
    return bool(addresses)


# An email lists at most this many items of each kind, then says how many more.
DIGEST_ITEMS = 20


def _arrived_since(since: Any) -> list[tuple[Kind, list[Any]]]:
    found = []
    for item_kind in kinds():
        items = item_kind.waiting()
        if since is not None:
            items = items.filter(**{f"{item_kind.since}__gt": since})
        ids = list(items.order_by(item_kind.since).values_list("pk", flat=True)[:DIGEST_ITEMS])
        if ids:
            loaded = item_kind.load(ids)
            found.append((item_kind, [loaded[pk] for pk in ids if pk in loaded]))
    return found


def _send_at(due: Any) -> None:
    """Send the digest when it falls due: a deferred job, unless one already waits."""
    path = f"{send_approvals_digest.__module__}.{send_approvals_digest.__qualname__}"
    waiting = Job.objects.filter(
        kind=mail.KIND, state=Job.State.QUEUED, params__send=path, run_after__isnull=False
    )
    if not waiting.exists():
        jobs.start(
            mail.KIND,
            title="Email: approvals waiting (when the pause ends)",
            params={"send": path, "kwargs": {}},
            run_after=due,
        )
