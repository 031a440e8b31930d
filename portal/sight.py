"""The one funnel for "what someone sees changed".

Memberships, a group's access to a product, blocking, unblocking, promotion
and demotion all change which products someone sees. The service that makes
such a change calls `changed()` inside its transaction; the rules that
depend on sight (the subscriptions' access rule) listen to `sight_changed`,
connected in their app's `ready()`. So no domain module of a lower app
imports a higher one, and no caller has to remember the rule.

A request reads a viewer's groups once: `remember()` keeps what a read
returned for the rest of the request (the middleware below gives each
request its own memo, and nothing outside a request keeps anything), and
`changed()` empties it and stops it remembering, so a request that changes
sight and then checks it sees the change.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from contextvars import ContextVar
from typing import Any

from django.dispatch import Signal
from django.http import HttpRequest, HttpResponse

# Sent with owner_ids (people whose sight changed), product_ids (products
# whose viewers changed) and api_ids (APIs that left a product, so are seen
# by fewer people; the APIs inside the named products count as changed too).
# None means "any"; api_ids is None unless named.
sight_changed = Signal()


def changed(
    *,
    people: Iterable[int] | None = None,
    products: Iterable[int] | None = None,
    apis: Iterable[int] | None = None,
) -> None:
    """Report that these people may see other products, or these products (or APIs) other people."""
    memo = _memo.get()
    if memo is not None:
        memo.forget()
    sight_changed.send(
        sender=changed,
        owner_ids=None if people is None else list(people),
        product_ids=None if products is None else list(products),
        api_ids=None if apis is None else list(apis),
    )


class Memo:
    """What one request has read of sight, by key."""

    def __init__(self) -> None:
        self.values: dict[Hashable, Any] = {}
        self.spent = False

    def forget(self) -> None:
        # Spent, not merely emptied: the change may still be rolled back,
        # and a read made inside its transaction would then be wrong.
        self.values.clear()
        self.spent = True


# A Memo during a request (SightMemoMiddleware), None everywhere else: a
# task, a command or a test outside a request reads sight every time.
_memo: ContextVar[Memo | None] = ContextVar("portico_sight_memo", default=None)


def remember[T](key: Hashable, read: Callable[[], T]) -> T:
    """read(), or what it returned earlier in this request for this key."""
    memo = _memo.get()
    if memo is None or memo.spent:
        return read()
    if key not in memo.values:
        memo.values[key] = read()
    value: T = memo.values[key]
    return value


class SightMemoMiddleware:
    """Give each request its own memo of sight, dropped when it ends."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _memo.set(Memo())
        try:
            return self.get_response(request)
        finally:
            _memo.reset(token)
