"""The access rule as a background job, through the real queue (django-tasks-db and the worker),
and the key check's guarantee while it runs: a key the rule will suspend never passes."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from groups import services as group_services
from portal import jobs
from portal.models import Job
from products import services as product_services
from subscriptions import services
from subscriptions.models import PendingAccessCheck, Subscription, SubscriptionSettings
from tests.conftest import messages_of

pytestmark = pytest.mark.django_db(transaction=True)

URL = "/gateway/check"


@pytest.fixture(autouse=True)
def database_queue(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.PORTICO_WORKER_SWEEP_SECONDS = 3600


def run_worker() -> None:
    call_command("portico_worker", burst=True, verbosity=0)


@pytest.fixture
def starter(make_product):
    """Starter: Partners see it."""
    return make_product("Starter")


@pytest.fixture
def subscribers(make_user, partners, starter):
    """make(n): n developers in Partners, each with one active subscription to Starter."""

    def make(count: int) -> list[Subscription]:
        people = [make_user(email=f"dev{n}@example.com") for n in range(count)]
        group_services.add_members(group=partners, users=people, added_by=None)
        run_worker()  # nothing to check yet: no subscriptions
        return Subscription.objects.bulk_create(
            Subscription(owner=person, product=starter, display_name="App", state="active")
            for person in people
        )

    return make


def check(key: str) -> int:
    client = Client()
    return client.get(URL, headers={"Ocp-Apim-Subscription-Key": key, "X-Product": "starter"})


def passing(subscriptions: list[Subscription]) -> list[str]:
    """The keys of these subscriptions that the key check lets through now."""
    return [s.primary_secret for s in subscriptions if check(s.primary_secret).status_code == 204]


def access_rule_jobs():
    return Job.objects.filter(kind=services.ACCESS_RULE)


def emailed(mailoutbox) -> Counter[str]:
    return Counter(address for message in mailoutbox for address in message.to)


def states(subscriptions: list[Subscription]) -> Counter[str]:
    return Counter(
        Subscription.objects.filter(pk__in=[s.pk for s in subscriptions]).values_list(
            "state", flat=True
        )
    )


def test_revoke_refuses_keys_at_once_then_the_job_suspends_and_restores(
    subscribers, starter, partners, administrator, mailoutbox
):
    subscriptions = subscribers(5)
    assert len(passing(subscriptions)) == 5

    product_services.revoke_access(product=starter, group=partners)

    # No worker has run: nothing is suspended yet, and yet no key passes.
    job = access_rule_jobs().get()
    assert job.state == Job.State.QUEUED
    assert job.title == "Access rule: checking 5 subscriptions to Starter"
    assert job.total == 5
    assert states(subscriptions) == {"active": 5}
    assert PendingAccessCheck.objects.count() == 1
    refused = check(subscriptions[0].primary_secret)
    assert (refused.status_code, refused["X-Portico-Reason"]) == (403, "access removed")
    assert passing(subscriptions) == []

    run_worker()
    job.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED
    assert (
        job.summary == "Suspended 5 subscriptions, restored 0, left 0 alone (granted beyond sight)"
    )
    assert (job.done, job.total) == (5, 5)
    assert states(subscriptions) == {"suspended": 5}
    assert not PendingAccessCheck.objects.exists()
    assert emailed(mailoutbox) == {f"dev{n}@example.com": 1 for n in range(5)}
    # Each email is its own job, caused by the rule's.
    assert Job.objects.filter(cause=job).count() == 5

    product_services.grant_access(product=starter, groups=[partners], added_by=administrator)
    restoring = access_rule_jobs().exclude(pk=job.pk).get()
    # Sight regained: the key stays refused until the job restores the subscription.
    assert passing(subscriptions) == []
    run_worker()
    restoring.refresh_from_db()
    assert restoring.summary == (
        "Suspended 0 subscriptions, restored 5, left 0 alone (granted beyond sight)"
    )
    assert states(subscriptions) == {"active": 5}
    assert len(passing(subscriptions)) == 5
    assert len(mailoutbox) == 5


def test_running_the_job_twice_changes_nothing_and_sends_no_second_email(
    subscribers, starter, partners, mailoutbox
):
    subscriptions = subscribers(4)
    product_services.revoke_access(product=starter, group=partners)
    job = access_rule_jobs().get()
    run_worker()
    versions = dict(Subscription.objects.values_list("pk", "version"))
    assert len(mailoutbox) == 4

    # The same job handed out again (a retry from the console, a sweeper that thought it lost).
    Job.objects.filter(pk=job.pk).update(state=Job.State.FAILED)
    assert jobs.retry(job)
    run_worker()
    job.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED
    assert job.summary.startswith("Suspended 0 subscriptions")
    assert dict(Subscription.objects.values_list("pk", "version")) == versions
    assert states(subscriptions) == {"suspended": 4}
    assert len(mailoutbox) == 4


class Killed(Exception):
    """The worker dies here."""


def test_a_run_killed_after_its_first_batch_is_finished_by_the_next(
    subscribers, starter, partners, mailoutbox, monkeypatch
):
    monkeypatch.setattr(services, "ACCESS_RULE_BATCH", 10)
    subscriptions = subscribers(35)
    product_services.revoke_access(product=starter, group=partners)
    job = access_rule_jobs().get()

    original = services._apply
    batches = []

    def dies_after_one_batch(*args: Any, **kwargs: Any) -> None:
        if batches:
            raise Killed("worker killed")
        batches.append(1)
        original(*args, **kwargs)

    monkeypatch.setattr(services, "_apply", dies_after_one_batch)
    run_worker()
    job.refresh_from_db()
    assert job.state == Job.State.QUEUED and "worker killed" in job.error
    assert job.done == 10
    assert states(subscriptions) == {"suspended": 10, "active": 25}
    # The first batch's emails went with its commit; the rest are still refused.
    assert len(mailoutbox) == 10
    assert passing(subscriptions) == []

    monkeypatch.setattr(services, "_apply", original)
    Job.objects.filter(pk=job.pk).update(run_after=timezone.now())
    DBTaskResult.objects.update(run_after=timezone.now())
    run_worker()
    job.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED and job.attempts == 2
    assert job.summary.startswith("Suspended 25 subscriptions")
    assert states(subscriptions) == {"suspended": 35}
    assert Subscription.objects.filter(version=2).count() == 35  # each suspended exactly once
    assert emailed(mailoutbox) == {f"dev{n}@example.com": 1 for n in range(35)}
    assert not PendingAccessCheck.objects.exists()


def test_no_key_passes_between_the_revoke_and_the_jobs_end(
    subscribers, starter, partners, monkeypatch
):
    monkeypatch.setattr(services, "ACCESS_RULE_BATCH", 100)
    subscriptions = subscribers(200)
    assert len(passing(subscriptions)) == 200
    product_services.revoke_access(product=starter, group=partners)
    seen: list[tuple[int, int]] = []

    original = services._batch

    def check_every_key_first(*args: Any, **kwargs: Any) -> list[Subscription]:
        # Each batch starts after the previous one committed: check every key then.
        suspended = states(subscriptions)["suspended"]
        seen.append((suspended, len(passing(subscriptions))))
        return original(*args, **kwargs)

    assert passing(subscriptions) == []
    monkeypatch.setattr(services, "_batch", check_every_key_first)
    run_worker()
    # Checked before each of the two batches and before the empty third.
    assert seen == [(0, 0), (100, 0), (200, 0)]
    assert passing(subscriptions) == []
    assert states(subscriptions) == {"suspended": 200}


def test_the_keep_rule_lets_keys_pass_while_the_job_waits(subscribers, starter, partners):
    SubscriptionSettings.objects.update_or_create(
        pk=1, defaults={"on_access_loss": SubscriptionSettings.AccessLoss.KEEP}
    )
    subscriptions = subscribers(3)
    product_services.revoke_access(product=starter, group=partners)
    assert PendingAccessCheck.objects.exists()
    assert len(passing(subscriptions)) == 3
    run_worker()
    assert states(subscriptions) == {"active": 3}
    assert len(passing(subscriptions)) == 3


def test_a_developer_leaving_the_group_is_refused_at_once_others_pass(subscribers, partners):
    subscriptions = subscribers(3)
    leaving = subscriptions[0]
    group_services.remove_member(group=partners, user=leaving.owner)
    job = access_rule_jobs().get()
    assert job.title == "Access rule: checking 1 subscription of dev0@example.com"
    assert passing(subscriptions) == [s.primary_secret for s in subscriptions[1:]]
    run_worker()
    assert states([leaving]) == {"suspended": 1}
    assert passing(subscriptions) == [s.primary_secret for s in subscriptions[1:]]


def test_a_change_that_concerns_no_subscription_starts_no_job(partners, starter, make_user):
    group_services.add_members(group=partners, users=[make_user()], added_by=None)
    product_services.revoke_access(product=starter, group=partners)
    assert not access_rule_jobs().exists()
    assert not PendingAccessCheck.objects.exists()


def test_the_console_says_the_revoke_runs_in_the_background_and_links_its_progress(
    client, administrator, subscribers, starter, partners
):
    subscribers(3)
    client.force_login(administrator)
    url = reverse("products:remove_group", args=[starter.name, partners.name])
    response = client.post(url, follow=True)
    assert response.status_code == 200
    job = access_rule_jobs().get()
    shown = messages_of(response)
    assert "Partners no longer has access to Starter." in shown
    assert (
        f"Access rule: checking 3 subscriptions to Starter. This runs in the background; "
        f'<a class="alert-link" href="{job.get_absolute_url()}">its page shows progress</a>.'
    ) in shown
    waiting = client.get(job.get_absolute_url()).content.decode()
    assert "Access rule: checking 3 subscriptions to Starter" in waiting
    assert "0 of 3 done" in waiting
    run_worker()
    done = client.get(job.get_absolute_url()).content.decode()
    assert "Suspended 3 subscriptions, restored 0, left 0 alone" in done
    assert "3 of 3 done" in done


def test_an_owners_subscriptions_stay_in_one_batch_and_one_email(
    subscribers, starter, partners, make_subscription, mailoutbox, monkeypatch
):
    monkeypatch.setattr(services, "ACCESS_RULE_BATCH", 3)
    first, second = subscribers(2)
    for _ in range(2):
        make_subscription(second.owner, starter)
    product_services.revoke_access(product=starter, group=partners)
    run_worker()
    job = access_rule_jobs().get()
    assert job.summary.startswith("Suspended 4 subscriptions")
    assert emailed(mailoutbox) == {"dev0@example.com": 1, "dev1@example.com": 1}
    assert "App" in next(m.body for m in mailoutbox if m.to == ["dev1@example.com"])
