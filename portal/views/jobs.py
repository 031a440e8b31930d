"""The console's Jobs: background work in flight, done and failed, with Retry."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from portal import console, jobs
from portal.access import administrator_required
from portal.models import Job

STATE_FILTER = console.Filter(
    field="state", label="State", everything="Any state", choices=Job.State.choices
)
SORTING = console.Sorts(
    orders={"-created": ["-created_at", "-pk"], "created": ["created_at", "pk"]},
    choices=[("-created", "Newest first"), ("created", "Oldest first")],
    default="-created",
)


def _counts() -> dict[str, int]:
    return Job.objects.aggregate(
        waiting=Count("pk", filter=Q(state=Job.State.QUEUED)),
        running=Count("pk", filter=Q(state=Job.State.RUNNING)),
        failed=Count("pk", filter=Q(state=Job.State.FAILED)),
    )


@require_GET
@administrator_required
def job_list(request: HttpRequest) -> HttpResponse:
    return console.list_page(
        request,
        "portal/job_list.html",
        title="Jobs",
        items=lambda query: (
            Job.objects.filter(title__icontains=query) if query else Job.objects.all()
        ).select_related("started_by"),
        search_label="Search by what the job does",
        filter=STATE_FILTER,
        sorts=SORTING,
        context={
            "intro": "Work Portico does in the background: emails, the access rule after a "
            "change of access, directory sync. Failed jobs can be tried again.",
            "counts": _counts(),
            "workers": jobs.live_workers(),
        },
    )


def _job(pk: str) -> Job:
    try:
        return Job.objects.select_related("started_by", "cause").get(pk=pk)
    except (Job.DoesNotExist, ValueError) as error:
        raise Http404("No such job") from error


@require_GET
@administrator_required
def job_detail(request: HttpRequest, pk: str) -> HttpResponse:
    job = _job(pk)
    effects = dict(
        job.effects.values_list("state").annotate(n=Count("pk")).values_list("state", "n")
    )
    return render(
        request,
        "portal/job_detail.html",
        {
            "job": job,
            "heading": job.title,
            "breadcrumbs": [("Jobs", reverse("console:jobs"))],
            "effects": [(Job.State(state).label, n) for state, n in sorted(effects.items())],
            "effects_total": sum(effects.values()),
            "workers": jobs.live_workers(),
        },
    )


@require_POST
@administrator_required
def job_retry(request: HttpRequest, pk: str) -> HttpResponse:
    job = _job(pk)
    if jobs.retry(job):
        messages.success(request, f"“{job.title}” will run again; this page shows its progress.")
    else:
        messages.info(
            request,
            f"“{job.title}” is {job.get_state_display().lower()}, not failed: nothing to retry.",
        )
    return redirect(job)
