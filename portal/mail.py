"""Email leaves the request path: each one is a background job, handed over once the change commits.

A page's answer time must not depend on whether an email went out (that
would tell an attacker which addresses have accounts) nor on how fast the
mail server answers. `send_later(send, **kwargs)` records a job
(portal/jobs.py) in the caller's transaction; a worker calls
`send(**kwargs)` after the commit, retrying with growing pauses when the
mail server fails. The callable is a module-level function that receives
ids and plain values (stored as JSON), not objects, and reads what it
needs itself.

A job's record keeps its values only until the email has gone out (an
invitation's link is one of them).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils.module_loading import import_string

from portal import jobs
from portal.models import Job

logger = logging.getLogger(__name__)

KIND = "portal.email"


def send_later(send: Callable[..., None], /, **kwargs: Any) -> Job:
    """Run `send(**kwargs)` in the background once the current transaction commits."""
    path = f"{send.__module__}.{send.__qualname__}"
    if "<" in path:
        raise ValueError(f"send_later needs a module-level function, not {path}")
    # _send_signup_approved → "Email: signup approved".
    what = send.__name__.strip("_").removeprefix("send_").replace("_", " ")
    return jobs.start(KIND, title=f"Email: {what}", params={"send": path, "kwargs": kwargs})


@jobs.handler(KIND, after_commit=True)
def _deliver(job: Job) -> str:
    send = import_string(job.params["send"])
    send(**job.params["kwargs"])
    # Done: forget the values (a link's token among them).
    Job.objects.filter(pk=job.pk).update(params={"send": job.params["send"], "kwargs": {}})
    return "sent"


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
