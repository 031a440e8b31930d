"""Email leaves the request path: sent after the transaction commits, from a background thread.

A page's answer time must not depend on whether an email went out (that
would tell an attacker which addresses have accounts) nor on how fast the
mail server answers. Until a task queue runs Portico's background work
(issue #14), emails go to a small pool of threads in the process that
asked for them. The callable receives ids, not objects, and reads what it
needs itself, with its own database connection.

PORTICO_MAIL_IN_BACKGROUND=false sends in the request's thread instead,
after the commit; the tests use that to read the outbox at once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import close_old_connections, connections, transaction
from django.template.loader import render_to_string

logger = logging.getLogger(__name__)

_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="portico-mail")
_pending: set[Future[None]] = set()


def send_later(send: Callable[..., None], /, **kwargs: Any) -> None:
    """Run `send(**kwargs)` once the current transaction commits, off the request path."""
    transaction.on_commit(partial(_dispatch, send, kwargs), robust=True)


def _dispatch(send: Callable[..., None], kwargs: dict[str, Any]) -> None:
    if not settings.PORTICO_MAIL_IN_BACKGROUND:
        send(**kwargs)
        return
    future = _pool.submit(_run, send, kwargs)
    _pending.add(future)
    future.add_done_callback(_pending.discard)


def _run(send: Callable[..., None], kwargs: dict[str, Any]) -> None:
    close_old_connections()
    try:
        send(**kwargs)
    except Exception:
        logger.exception("Sending email with %s failed", getattr(send, "__name__", send))
    finally:
        connections.close_all()


def send_templated(template: str, context: dict[str, Any], recipients: list[str]) -> None:
    """Send the email written by `<template>_subject.txt` and `<template>.txt`; nobody, nothing.

    Every email Portico sends is a pair of templates like these (listed in
    the README); the caller runs off the request path, through send_later.
    """
    if not recipients:
        return
    subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
    body = render_to_string(f"{template}.txt", context)
    send_mail(subject=subject, message=body, from_email=None, recipient_list=recipients)


def wait(timeout: float = 30) -> None:
    """Wait until every email handed to the background has been sent (tests, shutdown)."""
    for future in list(_pending):
        future.result(timeout=timeout)
