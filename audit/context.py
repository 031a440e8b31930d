"""Who is making the current change, from where, and what it follows from.

A request's actor comes from the request itself (AuditContextMiddleware):
the signed-in person, the address, and which surface (console, Django
admin, developer portal) by the path. Surfaces that authenticate on their
own (the management API's tokens, SCIM's, a sign-in through an identity
provider) say who acts with `acting()`. A background job acts as itself, on
behalf of whoever started it, and its records follow from the record that
started it (portal.jobs). A management command acts as "manage.py <name>".
Anything else is Portico itself.
"""

from __future__ import annotations

import ipaddress
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse

from audit.models import Record

LABEL_LENGTH = 300


@dataclass(frozen=True)
class Actor:
    kind: str
    via: str
    id: str = ""
    label: str = ""
    on_behalf_of: str = ""
    address: str | None = None

    def at(self, address: str | None) -> Actor:
        return replace(self, address=address or None)


def person(user: Any, *, via: str, address: str | None = None) -> Actor:
    """A signed-in person (or an administrator's token-less action) as the actor."""
    if user is None or not getattr(user, "pk", None):
        return Actor(kind=Record.ActorKind.SYSTEM, via=via, label="Anonymous", address=address)
    return Actor(
        kind=Record.ActorKind.PERSON,
        via=via,
        id=str(user.pk),
        label=str(getattr(user, "email", "") or user)[:LABEL_LENGTH],
        address=address,
    )


def token(*, token_id: Any, name: str, owner: str, via: str, address: str | None) -> Actor:
    return Actor(
        kind=Record.ActorKind.TOKEN,
        via=via,
        id=str(token_id),
        label=name[:LABEL_LENGTH],
        on_behalf_of=owner[:LABEL_LENGTH],
        address=address,
    )


def directory(*, provider: str, on_behalf_of: str, address: str | None) -> Actor:
    """An identity provider, whose claims at someone's sign-in change their groups."""
    return Actor(
        kind=Record.ActorKind.DIRECTORY,
        via=Record.Via.SIGN_IN,
        id=provider[:64],
        label=provider[:LABEL_LENGTH],
        on_behalf_of=on_behalf_of[:LABEL_LENGTH],
        address=address,
    )


def job(*, job_id: Any, title: str, started_by: str) -> Actor:
    return Actor(
        kind=Record.ActorKind.JOB,
        via=Record.Via.JOB,
        id=str(job_id),
        label=title[:LABEL_LENGTH],
        on_behalf_of=started_by[:LABEL_LENGTH],
    )


PORTICO = Actor(kind=Record.ActorKind.SYSTEM, via=Record.Via.SYSTEM, label="Portico")


def _process_default() -> Actor:
    """A management command acts as itself; anything else outside a request is Portico."""
    argv = sys.argv
    if len(argv) > 1 and argv[0].endswith("manage.py"):
        return Actor(
            kind=Record.ActorKind.SYSTEM,
            via=Record.Via.COMMAND,
            label=f"manage.py {argv[1]}"[:LABEL_LENGTH],
        )
    return PORTICO


_actor: ContextVar[Actor | None] = ContextVar("portico_audit_actor", default=None)
_request: ContextVar[HttpRequest | None] = ContextVar("portico_audit_request", default=None)
_cause: ContextVar[int | None] = ContextVar("portico_audit_cause", default=None)


def current_actor() -> Actor:
    explicit = _actor.get()
    if explicit is not None:
        return explicit
    request = _request.get()
    if request is not None:
        return _from_request(request)
    return _process_default()


def _from_request(request: HttpRequest) -> Actor:
    path = request.path_info
    if path.startswith("/console/"):
        via = Record.Via.CONSOLE
    elif path.startswith("/admin/"):
        via = Record.Via.ADMIN
    else:
        via = Record.Via.PORTAL
    user = getattr(request, "user", None)
    signed_in = user is not None and user.is_authenticated
    return person(user if signed_in else None, via=via, address=request_address(request))


def client_address(request: HttpRequest) -> str:
    """The address a request came from; behind Portico's TLS proxy, the one the proxy saw.

    The proxy appends the address it saw to X-Forwarded-For, so only the
    last entry is trusted; anything before it came from the client.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    if settings.PORTICO_BEHIND_TLS_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")[-1].strip()
        try:
            return str(ipaddress.ip_address(forwarded))
        except ValueError:
            pass
    return remote


def request_address(request: HttpRequest | None = None) -> str | None:
    """The current request's client address, if there is a request."""
    request = request if request is not None else _request.get()
    if request is None:
        return None
    return client_address(request) or None


@contextmanager
def acting(actor: Actor) -> Iterator[Actor]:
    """Changes made inside are made by this actor."""
    token_ = _actor.set(actor)
    try:
        yield actor
    finally:
        _actor.reset(token_)


def current_cause() -> int | None:
    return _cause.get()


@contextmanager
def caused_by(record_id: int | None) -> Iterator[None]:
    """Records written inside follow from this record (None leaves the current cause)."""
    if record_id is None:
        yield
        return
    token_ = _cause.set(record_id)
    try:
        yield
    finally:
        _cause.reset(token_)


class _Written:
    """Marks, among a transaction's on-commit callbacks, a record written in it.

    The connection drops its callbacks when the transaction ends, and a
    savepoint's when it is rolled back, so what the marks name is exactly
    what this transaction wrote and still holds.
    """

    def __init__(self, record_id: int) -> None:
        self.record_id = record_id

    def __call__(self) -> None:
        pass


def wrote(record_id: int) -> None:
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(_Written(record_id))


def last_record() -> int | None:
    """The record written last in the current transaction, if any: a job started
    now (the access rule, after a membership's removal) follows from it."""
    connection = transaction.get_connection()
    for _savepoints, callback, _robust in reversed(connection.run_on_commit):
        if isinstance(callback, _Written):
            return callback.record_id
    return None


@contextmanager
def fresh() -> Iterator[None]:
    """A new unit of work (a request, a job): no cause and no actor carried in."""
    tokens = (_actor.set(None), _cause.set(None))
    try:
        yield
    finally:
        _cause.reset(tokens[1])
        _actor.reset(tokens[0])


class AuditContextMiddleware:
    """Let the records a request writes name its person, address and surface."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token_ = _request.set(request)
        try:
            with fresh():
                return self.get_response(request)
        finally:
            _request.reset(token_)
