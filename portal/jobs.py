"""Background work: jobs recorded in the database, run by Django's task queue.

A service that starts work off the request path calls `start()` inside its
transaction. That writes a `Job` row (what to do, who asked, progress,
outcome) and hands its id to the task backend configured in TASKS: the
database backend (django-tasks-db) by default, RQ on Redis when REDIS_URL
is set. With the database backend the task row is written in the same
transaction, so a change and the work it asks for commit together or not
at all; other backends get the id once the transaction commits.

Whichever worker runs the task claims the row for a lease
(PORTICO_JOB_LEASE_SECONDS) and renews it as it records progress. A worker
that dies mid-job leaves the row running with a lease that runs out; each
worker's sweeper (`recover()`) hands such jobs to the queue again, and the
next worker carries on. So every handler must be safe to run twice and
must finish what a killed run left half-done: each works from the current
state of the rows, in batches committed one at a time.

A failing job is retried with growing pauses, up to max_attempts; after
that it is Failed, and the console's Jobs page offers Retry.
"""

from __future__ import annotations

import contextvars
import logging
import os
import socket
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.tasks import task, task_backends
from django.tasks.exceptions import TaskResultDoesNotExist
from django.utils import timezone
from django.utils.html import format_html
from django_tasks_db.models import DBTaskResult

from audit import context as audit_context
from portal.models import Job, User, WorkerBeat, is_administrator

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Handler:
    kind: str
    run: Callable[[Job], str]
    # Started by an administrator's action, the console says so and links the job.
    announce: bool
    # Email and the like: handed to the queue only once the change commits.
    after_commit: bool


_handlers: dict[str, Handler] = {}

# The parameter naming the activity record a job follows from.
AUDIT_CAUSE = "audit_cause"


def handler(
    kind: str, *, announce: bool = False, after_commit: bool = False
) -> Callable[[Callable[[Job], str]], Callable[[Job], str]]:
    """Register `run(job) -> summary` as the way to do jobs of this kind."""

    def register(run: Callable[[Job], str]) -> Callable[[Job], str]:
        _handlers[kind] = Handler(kind, run, announce, after_commit)
        return run

    return register


# Who is making the current request: the jobs it starts name them.
_actor: contextvars.ContextVar[User | None] = contextvars.ContextVar(
    "portico_jobs_actor", default=None
)
# The jobs the current request started, so the console can say what follows.
_started: contextvars.ContextVar[list[Job] | None] = contextvars.ContextVar(
    "portico_jobs_started", default=None
)


def start(
    kind: str,
    *,
    title: str,
    params: dict[str, Any] | None = None,
    by: User | None = None,
    cause: Job | None = None,
    total: int | None = None,
    run_after: Any = None,
) -> Job:
    """Record a job of this kind and hand it to the queue; call it in the change's transaction."""
    chosen = _handlers.get(kind)
    if chosen is None:
        raise LookupError(f"No job handler is registered for {kind!r}")
    if cause is None:
        cause = current_job()
    if by is None and cause is None:
        by = _actor.get()
    params = dict(params or {})
    # What the job does is recorded as following from the change that started it.
    cause_record = audit_context.current_cause() or audit_context.last_record()
    if cause_record is not None:
        params.setdefault(AUDIT_CAUSE, cause_record)
    job = Job.objects.create(
        kind=kind,
        title=title[: Job._meta.get_field("title").max_length],  # type: ignore[misc]
        params=params,
        started_by=by if by is not None and by.pk else None,
        cause=cause,
        total=total,
        run_after=run_after,
        after_commit=chosen.after_commit,
        max_attempts=settings.PORTICO_JOB_MAX_ATTEMPTS,
    )
    started = _started.get()
    if started is not None and chosen.announce:
        started.append(job)
    _schedule(job.pk, run_after=run_after, after_commit=chosen.after_commit)
    return job


def _schedule(job_id: Any, *, run_after: Any, after_commit: bool) -> None:
    if not after_commit and _enqueues_in_transaction():
        _enqueue(job_id, run_after)
        return
    connection = transaction.get_connection()
    running = current_job()
    if running is not None and connection.in_atomic_block:
        # A job's batch that asks for hundreds of emails (the access rule's)
        # hands them over together after its commit: one transaction, not two each.
        for _savepoints, callback, _robust in connection.run_on_commit:
            if isinstance(callback, _HandOver) and callback.started_by == running.pk:
                callback.jobs.append((job_id, run_after))
                return
    hand_over = _HandOver([(job_id, run_after)], running.pk if running else None)
    transaction.on_commit(hand_over, robust=True)


class _HandOver:
    """After a commit: hand these jobs to the queue, in one transaction of their own.

    A job named here whose savepoint was rolled back has no row; handing
    it over does nothing (no worker can claim it).
    """

    def __init__(self, jobs: list[tuple[Any, Any]], started_by: Any) -> None:
        self.jobs = jobs
        self.started_by = started_by

    def __call__(self) -> None:
        with transaction.atomic():
            for job_id, run_after in self.jobs:
                _enqueue(job_id, run_after)


def _enqueues_in_transaction() -> bool:
    """Whether the backend's enqueue joins the caller's transaction (the database's does)."""
    backend = task_backends["default"]
    return type(backend).__module__.startswith(
        ("django_tasks_db.", "django.tasks.backends.immediate", "django.tasks.backends.dummy")
    )


def _enqueue(job_id: Any, run_after: Any = None) -> None:
    backend = task_backends["default"]
    if run_after is not None and run_after > timezone.now():
        if not backend.supports_defer:
            # Left queued: recover() hands it over once it is due.
            return
        result = run_job.using(run_after=run_after).enqueue(str(job_id))
    else:
        result = run_job.enqueue(str(job_id))
    Job.objects.filter(pk=job_id).update(enqueued_at=timezone.now(), task_id=str(result.id)[:64])


# --- Running a job --------------------------------------------------------------------------

_current: contextvars.ContextVar[Job | None] = contextvars.ContextVar(
    "portico_current_job", default=None
)


def current_job() -> Job | None:
    """The job running in this thread, if any: jobs it starts name it as their cause."""
    return _current.get()


def lease() -> timedelta:
    return timedelta(seconds=settings.PORTICO_JOB_LEASE_SECONDS)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@task()
def run_job(job_id: str) -> str:
    """The one task the queue carries: run the job with this id, if nobody else is."""
    return execute(job_id)


def execute(job_id: Any) -> str:
    """Claim the job for a lease, run its handler, and record the outcome."""
    now = timezone.now()
    claimable = Q(state=Job.State.QUEUED) | Q(state=Job.State.RUNNING, lease_until__lt=now)
    due = Q(run_after__isnull=True) | Q(run_after__lte=now + timedelta(seconds=1))
    claimed = (
        Job.objects.filter(pk=job_id)
        .filter(claimable, due)
        .update(
            state=Job.State.RUNNING,
            lease_until=now + lease(),
            attempts=F("attempts") + 1,
            started_at=Coalesce(F("started_at"), now),
            worker=worker_name(),
        )
    )
    if not claimed:
        return "not claimed: done, taken by another worker, or not yet due"
    job = Job.objects.select_related("started_by").get(pk=job_id)
    chosen = _handlers.get(job.kind)
    token = _current.set(job)
    try:
        if chosen is None:
            raise LookupError(f"No job handler is registered for {job.kind!r}")
        with (
            audit_context.fresh(),
            audit_context.acting(_job_actor(job)),
            audit_context.caused_by(job.params.get(AUDIT_CAUSE)),
        ):
            summary = chosen.run(job)
    except Exception as error:
        logger.exception("Job %s (%s) failed", job.pk, job.kind)
        return _failed(job, error)
    finally:
        _current.reset(token)
    Job.objects.filter(pk=job.pk).update(
        state=Job.State.SUCCEEDED,
        summary=summary,
        error="",
        finished_at=timezone.now(),
        lease_until=None,
        done=Coalesce(F("total"), F("done")),
    )
    return summary


def _job_actor(job: Job) -> audit_context.Actor:
    starter = job.started_by.email if job.started_by_id and job.started_by else ""
    return audit_context.job(job_id=job.pk, title=job.title, started_by=starter)


def backoff(attempts: int) -> timedelta:
    """The pause before another try: PORTICO_JOB_RETRY_SECONDS, then threefold each time, <= 1 h."""
    seconds = settings.PORTICO_JOB_RETRY_SECONDS * 3 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, 3600))


def _failed(job: Job, error: Exception) -> str:
    text = "".join(traceback.format_exception_only(error)).strip()[:2000]
    if job.attempts < job.max_attempts:
        run_after = timezone.now() + backoff(job.attempts)
        Job.objects.filter(pk=job.pk).update(
            state=Job.State.QUEUED, error=text, lease_until=None, run_after=run_after
        )
        _enqueue(job.pk, run_after)
        return f"failed, will try again: {text}"
    Job.objects.filter(pk=job.pk).update(
        state=Job.State.FAILED, error=text, lease_until=None, finished_at=timezone.now()
    )
    return f"failed for good: {text}"


def progress(job: Job, done: int, total: int | None = None) -> None:
    """Record how far the job got and keep its lease; call it in the batch's own transaction."""
    changes: dict[str, Any] = {"done": done, "lease_until": timezone.now() + lease()}
    if total is not None:
        changes["total"] = total
        job.total = total
    job.done = done
    Job.objects.filter(pk=job.pk).update(**changes)


def retry(job: Job) -> bool:
    """Run a failed job again from where it stopped, with its tries counted afresh."""
    with transaction.atomic():
        updated = Job.objects.filter(pk=job.pk, state=Job.State.FAILED).update(
            state=Job.State.QUEUED, attempts=0, run_after=None, finished_at=None
        )
        if updated:
            _schedule(job.pk, run_after=None, after_commit=job.after_commit)
    return bool(updated)


# --- Keeping the queue honest: the workers' sweeper -----------------------------------------


def recover() -> int:
    """Hand the queue every job that should be running and isn't; how many.

    Jobs whose worker died (their lease ran out), deferred jobs that fell
    due on a backend that can't defer, and jobs whose hand-over never
    happened (the process stopped between the commit and the enqueue) or
    happened so long ago that the queue must have lost it. Handing a job
    over twice is harmless: only one worker can claim it.
    """
    now = timezone.now()
    grace = now - timedelta(seconds=30)
    lost = now - timedelta(minutes=settings.PORTICO_JOB_REQUEUE_MINUTES)
    due = Q(run_after__isnull=True) | Q(run_after__lte=now)
    stuck = Job.objects.filter(due).filter(
        Q(state=Job.State.RUNNING, lease_until__lt=now)
        | Q(state=Job.State.QUEUED, enqueued_at__isnull=True, created_at__lt=grace)
        | Q(state=Job.State.QUEUED, enqueued_at__lt=lost)
        | Q(
            state=Job.State.QUEUED,
            run_after__lte=now,
            enqueued_at__lt=F("run_after") - timedelta(seconds=1),
        )
    )
    ids = list(stuck.values_list("pk", flat=True)[:500])
    # Handed over a while ago and still waiting: ask the queue whether its
    # task still waits. One that ran, or that the queue lost, is handed over again.
    waiting = Job.objects.filter(due, state=Job.State.QUEUED, enqueued_at__lt=grace).exclude(
        pk__in=ids
    )
    for job_id, task_id in waiting.values_list("pk", "task_id")[:200]:
        if not _task_waits(task_id):
            ids.append(job_id)
    for job_id in ids:
        _enqueue(job_id)
    if ids:
        logger.info("Handed %d stalled jobs to the queue again", len(ids))
    return len(ids)


def prune() -> int:
    """Forget jobs finished over PORTICO_JOB_KEEP_DAYS ago, and the queue's own finished tasks.

    Returns how many jobs were forgotten. Each worker's sweeper runs it once an hour.
    """
    now = timezone.now()
    old = now - timedelta(days=settings.PORTICO_JOB_KEEP_DAYS)
    finished = (Job.State.SUCCEEDED, Job.State.FAILED)
    # Jobs that followed an old one keep their own record; only the link goes.
    gone, _ = Job.objects.filter(state__in=finished, finished_at__lt=old).delete()
    DBTaskResult.objects.finished().filter(finished_at__lt=now - timedelta(days=1)).delete()
    return gone


def _task_waits(task_id: str) -> bool:
    """Whether the queue still holds this task, not yet run (or running now)."""
    if not task_id:
        return False
    backend = task_backends["default"]
    if not backend.supports_get_result:
        return True
    try:
        result = backend.get_result(task_id)
    except Exception as error:
        # RQ's backend raises the django-tasks backport's class of the same name.
        if type(error).__name__ == TaskResultDoesNotExist.__name__:
            return False
        logger.warning("Could not ask the queue about task %s", task_id, exc_info=error)
        return True
    return getattr(result.status, "value", result.status) in ("READY", "RUNNING")


def beat(worker: str) -> None:
    """Note that this worker is alive (the Jobs page and /health/ count live workers)."""
    WorkerBeat.objects.update_or_create(worker=worker[:100], defaults={"seen_at": timezone.now()})


def live_workers() -> int:
    seen = timezone.now() - timedelta(seconds=settings.PORTICO_WORKER_SILENT_SECONDS)
    return WorkerBeat.objects.filter(seen_at__gte=seen).count()


# --- Telling the administrator what follows -------------------------------------------------


@contextmanager
def collecting() -> Iterator[list[Job]]:
    """Collect the announced jobs started inside the block (one request's)."""
    started: list[Job] = []
    token = _started.set(started)
    try:
        yield started
    finally:
        _started.reset(token)


class AnnounceJobsMiddleware:
    """Jobs a request starts name who made it; after a console action that started
    background work, the administrator is told, with a link to its progress."""

    def __init__(self, get_response: Callable[[Any], Any]) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        user = request.user if request.user.is_authenticated else None
        actor = _actor.set(user)
        try:
            with collecting() as started:
                response = self.get_response(request)
        finally:
            _actor.reset(actor)
        if (
            started
            and getattr(request, "_messages", None) is not None
            and is_administrator(request.user)
        ):
            for job in started:
                messages.info(
                    request,
                    format_html(
                        '{}. This runs in the background; <a class="alert-link" href="{}">'
                        "its page shows progress</a>.",
                        job.title,
                        job.get_absolute_url(),
                    ),
                )
        return response
