"""portal.jobs and portal.mail through the real queue: django-tasks-db and the worker command.

A job is recorded in the change's transaction, runs in the worker, retries
with growing pauses, ends Failed after its last try, and a worker that
died leaves it to the next one once its lease runs out.
"""

from __future__ import annotations

from datetime import timedelta
from smtplib import SMTPServerDisconnected

import pytest
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from portal import jobs, mail
from portal.models import Job, WorkerBeat
from subscriptions.models import Subscription

pytestmark = pytest.mark.django_db(transaction=True)

sent: list[str] = []


def send_note(*, to: str) -> None:
    sent.append(to)


def hang_up(*, to: str) -> None:
    raise SMTPServerDisconnected("Connection unexpectedly closed")


@pytest.fixture(autouse=True)
def database_queue(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.PORTICO_WORKER_SWEEP_SECONDS = 3600
    sent.clear()


def run_worker() -> None:
    call_command("portico_worker", burst=True, verbosity=0)


def test_an_email_is_a_job_recorded_with_the_change_and_sent_by_the_worker(mailoutbox):
    with transaction.atomic():
        job = mail.send_later(send_note, to="dev@example.com")
        # Nothing is handed over before the commit.
        assert not DBTaskResult.objects.exists()
    assert sent == []
    job.refresh_from_db()
    assert job.state == Job.State.QUEUED and job.enqueued_at is not None
    assert DBTaskResult.objects.count() == 1
    run_worker()
    assert sent == ["dev@example.com"]
    job.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED
    assert job.summary == "sent" and job.attempts == 1
    # The values it was sent with are forgotten once it has gone out.
    assert job.params == {"send": f"{__name__}.send_note", "kwargs": {}}
    # Running the task again does nothing: the job is done.
    assert jobs.execute(job.pk).startswith("not claimed")
    assert sent == ["dev@example.com"]


def test_a_rolled_back_change_leaves_no_job_and_sends_nothing():
    with pytest.raises(RuntimeError), transaction.atomic():
        mail.send_later(send_note, to="dev@example.com")
        raise RuntimeError("the write failed")
    assert not Job.objects.exists()
    run_worker()
    assert sent == []


def test_send_later_refuses_a_function_a_worker_could_not_import():
    with pytest.raises(ValueError, match="module-level"):
        mail.send_later(lambda: None)


def test_a_failing_job_is_tried_again_later_then_failed_then_retried_from_the_console(
    client, administrator, settings
):
    settings.PORTICO_JOB_RETRY_SECONDS = 10
    job = mail.send_later(hang_up, to="dev@example.com")
    job.max_attempts = 2
    job.save(update_fields=["max_attempts"])
    before = timezone.now()
    run_worker()
    job.refresh_from_db()
    assert job.state == Job.State.QUEUED and job.attempts == 1
    assert "SMTPServerDisconnected" in job.error
    assert job.run_after >= before + timedelta(seconds=10)
    # The retry waits for its time: a worker now leaves it alone.
    run_worker()
    job.refresh_from_db()
    assert job.attempts == 1
    # Its time comes (moved forward here rather than waited for).
    Job.objects.filter(pk=job.pk).update(run_after=timezone.now())
    DBTaskResult.objects.update(run_after=timezone.now())
    run_worker()
    job.refresh_from_db()
    assert job.state == Job.State.FAILED and job.attempts == 2
    assert job.finished_at is not None

    client.force_login(administrator)
    page = client.get(reverse("console:jobs") + "?state=failed")
    assert page.status_code == 200
    assert job.title in page.content.decode()
    detail = client.get(job.get_absolute_url()).content.decode()
    assert "Why it failed" in detail and "SMTPServerDisconnected" in detail
    assert 'action="' + reverse("console:job_retry", args=[job.pk]) + '"' in detail
    response = client.post(reverse("console:job_retry", args=[job.pk]), follow=True)
    assert "will run again" in response.content.decode()
    job.refresh_from_db()
    assert job.state == Job.State.QUEUED and job.attempts == 0
    # Retrying what isn't failed says so and changes nothing.
    again = client.post(reverse("console:job_retry", args=[job.pk]), follow=True)
    assert "nothing to retry" in again.content.decode()


def test_the_pauses_between_tries_grow(settings):
    settings.PORTICO_JOB_RETRY_SECONDS = 10
    assert [jobs.backoff(n).total_seconds() for n in (1, 2, 3, 4, 9)] == [
        10,
        30,
        90,
        270,
        3600,
    ]


def test_a_job_whose_worker_died_is_taken_over_once_its_lease_runs_out():
    job = mail.send_later(send_note, to="dev@example.com")
    # A worker claimed it, then died: the row says running, the lease still holds.
    Job.objects.filter(pk=job.pk).update(
        state=Job.State.RUNNING,
        attempts=1,
        lease_until=timezone.now() + timedelta(seconds=60),
        worker="gone:1",
    )
    DBTaskResult.objects.all().delete()
    assert jobs.recover() == 0
    assert jobs.execute(job.pk).startswith("not claimed")
    Job.objects.filter(pk=job.pk).update(lease_until=timezone.now() - timedelta(seconds=1))
    run_worker()  # its sweeper hands the job over, then the worker runs it
    job.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED and job.attempts == 2
    assert sent == ["dev@example.com"]


def test_a_job_never_handed_over_is_found_by_the_sweeper():
    job = mail.send_later(send_note, to="dev@example.com")
    DBTaskResult.objects.all().delete()
    Job.objects.filter(pk=job.pk).update(
        enqueued_at=None, created_at=timezone.now() - timedelta(minutes=5)
    )
    assert jobs.recover() == 1
    run_worker()
    assert sent == ["dev@example.com"]


def test_the_worker_says_it_is_alive_and_the_jobs_page_counts_it(client, administrator):
    mail.send_later(hang_up, to="dev@example.com")
    client.force_login(administrator)
    page = client.get(reverse("console:jobs")).content.decode()
    assert "0 workers running" in page and "No worker has been seen" in page
    run_worker()
    assert WorkerBeat.objects.count() == 1
    page = client.get(reverse("console:jobs")).content.decode()
    assert "1 worker running" in page and "No worker has been seen" not in page


def test_a_mail_server_failure_after_subscribing_keeps_the_subscription(
    client, administrator, member, make_product, settings
):
    settings.MAILERS = {"default": {"BACKEND": "tests.portal.test_jobs.HangingUpBackend"}}
    product = make_product("Approvals", approval_required=True)
    client.force_login(member)
    response = client.post(
        reverse("portal:subscribe", args=[product.name]),
        {"display_name": "App", "accept_terms": "on"},
    )
    assert response.status_code == 302
    run_worker()
    assert Subscription.objects.filter(owner=member, product=product).count() == 1
    failing = Job.objects.filter(kind=mail.KIND).exclude(error="")
    assert failing.exists()
    assert all("SMTPServerDisconnected" in job.error for job in failing)


from django.core.mail.backends.base import BaseEmailBackend  # noqa: E402


class HangingUpBackend(BaseEmailBackend):
    """A mail server that hangs up on every message."""

    def send_messages(self, messages):
        raise SMTPServerDisconnected("Connection unexpectedly closed")


def test_finished_jobs_are_forgotten_after_the_days_kept(settings):
    settings.PORTICO_JOB_KEEP_DAYS = 30
    old = mail.send_later(send_note, to="old@example.com")
    recent = mail.send_later(send_note, to="recent@example.com")
    waiting = mail.send_later(send_note, to="waiting@example.com")
    Job.objects.filter(pk__in=[old.pk, recent.pk]).update(state=Job.State.SUCCEEDED)
    Job.objects.filter(pk=old.pk).update(finished_at=timezone.now() - timedelta(days=31))
    Job.objects.filter(pk=recent.pk).update(finished_at=timezone.now() - timedelta(days=29))
    Job.objects.filter(pk=waiting.pk).update(created_at=timezone.now() - timedelta(days=90))
    assert jobs.prune() == 1
    assert set(Job.objects.values_list("pk", flat=True)) == {recent.pk, waiting.pk}


def test_a_job_whose_task_ran_without_claiming_it_is_handed_over_again():
    """Say the task ran before the job could be claimed: the queue says so, the sweeper acts."""
    job = mail.send_later(send_note, to="dev@example.com")
    job.refresh_from_db()
    assert job.task_id
    Job.objects.filter(pk=job.pk).update(enqueued_at=timezone.now() - timedelta(minutes=1))
    # Its task still waits in the queue: nothing to do.
    assert jobs.recover() == 0
    DBTaskResult.objects.filter(pk=job.task_id).update(status="SUCCESSFUL")
    assert jobs.recover() == 1
    run_worker()
    assert sent == ["dev@example.com"]
    # A task the queue lost (its row gone) counts the same.
    lost = mail.send_later(send_note, to="lost@example.com")
    Job.objects.filter(pk=lost.pk).update(enqueued_at=timezone.now() - timedelta(minutes=1))
    DBTaskResult.objects.all().delete()
    assert jobs.recover() == 1
    run_worker()
    assert sent == ["dev@example.com", "lost@example.com"]


@jobs.handler("tests.many_emails")
def _many_emails(job: Job) -> str:
    with transaction.atomic():
        mail.send_later(send_note, to="one@example.com")
        with pytest.raises(RuntimeError), transaction.atomic():
            mail.send_later(send_note, to="rolled-back@example.com")
            raise RuntimeError("this part fails")
        mail.send_later(send_note, to="two@example.com")
    return "asked for two emails"


def test_the_emails_a_jobs_batch_asks_for_are_handed_over_together(monkeypatch):
    handed_over: list[int] = []
    real = jobs._HandOver.__call__

    def counting(self):
        handed_over.append(len(self.jobs))
        real(self)

    monkeypatch.setattr(jobs._HandOver, "__call__", counting)
    job = jobs.start("tests.many_emails", title="Many emails")
    run_worker()
    job.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED
    # One hand-over for the batch's three (one rolled back, and harmless).
    assert handed_over[-1] == 3
    # The job's own task, and one for each email asked for.
    assert DBTaskResult.objects.filter(task_path="portal.jobs.run_job").count() == 4
    assert Job.objects.filter(cause=job).count() == 2
    run_worker()
    assert sorted(sent) == ["one@example.com", "two@example.com"]
