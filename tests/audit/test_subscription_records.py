"""Every write to a subscription leaves its activity record: who, what, the state before
and after, never a key; a refused write leaves none; what the access rule does follows
from the change that started it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse

from audit import context
from audit import services as audit_services
from audit.models import Record
from audit.services import Ref
from groups import services as group_services
from portal.models import Job
from subscriptions import services
from subscriptions.models import Subscription, SubscriptionSettings
from subscriptions.rules import SubscriptionRefused
from tests.conftest import fresh

pytestmark = pytest.mark.django_db


def mark() -> int:
    """The newest record's id now: what a test does is recorded after it."""
    return Record.objects.order_by("-id").values_list("id", flat=True).first() or 0


def written(since: int, prefix: str = "subscription.") -> list[Record]:
    """This area's records written since the mark (other areas record their own changes)."""
    return list(Record.objects.filter(id__gt=since, action__startswith=prefix).order_by("id"))


def summary(row: Record) -> tuple[Any, ...]:
    return (
        row.action,
        row.object_kind,
        row.object_id,
        row.related_kind,
        row.related_id,
        row.before,
        row.after,
    )


def test_subscribing_records_the_new_subscription(member, product):
    since = mark()
    created = services.subscribe(developer=member, product=product, display_name="App")
    (row,) = written(since)
    assert summary(row) == (
        "subscription.create",
        "subscription",
        str(created.pk),
        "user",
        str(member.pk),
        None,
        {
            "sid": created.sid,
            "display_name": "App",
            "state": "active",
            "owner_id": member.pk,
            "product_id": product.pk,
            "api_id": None,
            "state_comment": "",
            "allow_tracing": False,
            "granted": False,
            "granted_by_id": None,
            "beyond_sight": False,
        },
    )
    assert (row.object_label, row.related_label) == (f"App ({created.sid})", member.email)


def test_the_same_form_sent_again_records_nothing_more(member, product):
    services.subscribe(developer=member, product=product, display_name="App", submission="s1")
    since = mark()
    services.subscribe(developer=member, product=product, display_name="App", submission="s1")
    assert written(since) == []


def test_a_refused_subscription_leaves_no_record(member, make_product):
    terms = make_product("Terms", terms="Be nice.")
    since = mark()
    with pytest.raises(SubscriptionRefused):
        services.subscribe(developer=member, product=terms, display_name="App")
    assert written(since) == []


def test_a_grant_records_its_state_and_who_granted_it(administrator, outsider, product):
    since = mark()
    granted = services.create_subscription(
        sid="granted-1", owner=outsider, product=product, display_name="Grant", actor=administrator
    )
    (row,) = written(since)
    assert row.action == "subscription.create"
    assert row.after is not None
    assert {k: row.after[k] for k in ("state", "owner_id", "product_id", "api_id")} == {
        "state": "active",
        "owner_id": outsider.pk,
        "product_id": product.pk,
        "api_id": None,
    }
    assert (row.after["granted"], row.after["granted_by_id"], row.after["beyond_sight"]) == (
        True,
        administrator.pk,
        True,
    )
    assert row.object_id == str(granted.pk)


def test_a_grant_with_a_taken_key_leaves_no_record(administrator, outsider, product, subscription):
    since = mark()
    with pytest.raises(ValidationError):
        services.create_subscription(
            sid="granted-2",
            owner=outsider,
            product=product,
            display_name="Grant",
            actor=administrator,
            primary_key=subscription.primary_secret,
        )
    assert written(since) == []


@pytest.mark.parametrize(
    ("start", "action", "before", "after"),
    [
        ("submitted", "approve", {"state": "submitted"}, {"state": "active"}),
        (
            "submitted",
            "reject",
            {"state": "submitted", "state_comment": ""},
            {"state": "rejected", "state_comment": "No."},
        ),
        (
            "active",
            "suspend",
            {"state": "active", "state_comment": ""},
            {"state": "suspended", "state_comment": "No."},
        ),
        ("suspended", "activate", {"state": "suspended"}, {"state": "active"}),
        (
            "active",
            "cancel",
            {"state": "active", "state_comment": ""},
            {"state": "cancelled", "state_comment": "No."},
        ),
    ],
)
def test_each_state_change_records_the_state_before_and_after(
    member, product, make_subscription, start, action, before, after
):
    subscription = make_subscription(member, product, state=start)
    since = mark()
    comment = "No." if "state_comment" in after else ""
    services.change_state(subscription=subscription, action=action, comment=comment)
    (row,) = written(since)
    assert summary(row) == (
        f"subscription.{action}",
        "subscription",
        str(subscription.pk),
        "user",
        str(member.pk),
        before,
        after,
    )


def test_a_refused_state_change_leaves_no_record(member, product, make_subscription):
    subscription = make_subscription(member, product, state="cancelled")
    since = mark()
    with pytest.raises(ValidationError):
        services.change_state(subscription=subscription, action="suspend")
    assert written(since) == []


def test_a_state_change_from_the_console_names_the_administrator(
    client, administrator, member, product, make_subscription
):
    waiting = make_subscription(member, product, state="submitted")
    client.force_login(administrator)
    since = mark()
    client.post(
        reverse("subscriptions:change_state", args=[waiting.sid, "approve"]),
        REMOTE_ADDR="203.0.113.9",
    )
    (row,) = written(since)
    assert row.action == "subscription.approve"
    assert (row.actor_kind, row.actor_id, row.actor_label, row.via, row.address) == (
        "person",
        str(administrator.pk),
        administrator.email,
        "console",
        "203.0.113.9",
    )


def test_approving_for_someone_who_lost_sight_records_the_rules_suspension_as_its_effect(
    outsider, product, make_subscription
):
    waiting = make_subscription(outsider, product, state="submitted")
    since = mark()
    services.change_state(subscription=waiting, action="approve")
    approve, suspend = written(since)
    assert (approve.action, approve.after) == ("subscription.approve", {"state": "active"})
    assert summary(suspend) == (
        "subscription.suspend",
        "subscription",
        str(waiting.pk),
        "user",
        str(outsider.pk),
        {"state": "active", "suspended_for_access": False},
        {"state": "suspended", "suspended_for_access": True, "state_comment": "Access removed"},
    )
    assert suspend.cause_id == approve.pk


def test_comment_name_and_tracing_changes_are_updates(subscription, member):
    since = mark()
    services.set_state_comment(subscription=subscription, comment="  Watch it  ")
    services.rename_subscription(subscription=subscription, display_name="Shop")
    services.set_allow_tracing(subscription=subscription, allow_tracing=True)
    assert [(r.action, r.before, r.after) for r in written(since)] == [
        ("subscription.update", {"state_comment": ""}, {"state_comment": "Watch it"}),
        ("subscription.update", {"display_name": "App"}, {"display_name": "Shop"}),
        ("subscription.update", {"allow_tracing": False}, {"allow_tracing": True}),
    ]
    # The label is the name the subscription had when it changed.
    assert written(since)[2].object_label == f"Shop ({subscription.sid})"


def test_unchanged_values_record_nothing(subscription):
    since = mark()
    services.set_state_comment(subscription=subscription, comment="")
    services.rename_subscription(subscription=subscription, display_name="App")
    services.set_allow_tracing(subscription=subscription, allow_tracing=False)
    assert written(since) == []


def test_a_refused_rename_leaves_no_record(subscription):
    since = mark()
    with pytest.raises(ValidationError):
        services.rename_subscription(subscription=subscription, display_name="")
    assert written(since) == []


def test_regenerating_a_key_records_which_one_and_never_a_key(subscription):
    since = mark()
    services.regenerate_key(subscription=subscription, which="primary")
    services.regenerate_key(subscription=subscription, which="secondary")
    rows = written(since)
    assert [(r.action, r.before, r.after) for r in rows] == [
        ("subscription.keys", None, {"regenerated": "primary"}),
        ("subscription.keys", None, {"regenerated": "secondary"}),
    ]
    current = fresh(subscription)
    keys = {
        subscription.primary_secret,
        subscription.secondary_secret,
        current.primary_secret,
        current.secondary_secret,
    }
    everything = json.dumps(
        list(Record.objects.values()), default=str
    )  # every record, every column
    assert not [key for key in keys if key in everything]


def test_deleting_records_what_the_subscription_was(subscription, member):
    since = mark()
    services.delete_subscription(subscription=subscription)
    (row,) = written(since)
    assert (row.action, row.object_id, row.related_id) == (
        "subscription.delete",
        str(subscription.pk),
        str(member.pk),
    )
    assert row.before is not None
    assert (row.before["state"], row.before["display_name"], row.after) == ("active", "App", None)
    assert "primary_secret" not in row.before
    # Gone already: nothing more.
    services.delete_subscription(subscription=subscription)
    assert len(written(since)) == 1


def test_deleting_a_product_records_each_subscription_it_takes(
    member, make_user, make_product, make_subscription
):
    colleague = make_user(email="colleague@example.com")
    doomed = make_product("Doomed")
    first = make_subscription(member, doomed, state="active")
    second = make_subscription(colleague, doomed, state="cancelled")
    doomed_pk = doomed.pk
    since = mark()
    services.delete_product(product=doomed, delete_subscriptions=True)
    rows = written(since)
    assert sorted((r.action, r.object_id, r.related_id, r.before["state"]) for r in rows) == sorted(
        [
            ("subscription.delete", str(first.pk), str(member.pk), "active"),
            ("subscription.delete", str(second.pk), str(colleague.pk), "cancelled"),
        ]
    )
    assert {r.before["product_id"] for r in rows} == {doomed_pk}


def test_a_refused_product_deletion_leaves_no_record(subscription, product):
    since = mark()
    with pytest.raises(ValidationError):
        services.delete_product(product=product)
    assert written(since, prefix="") == []


def test_deleting_an_api_records_each_subscription_to_it(member, make_api, make_subscription):
    api = make_api("Ledger")
    to_api = Subscription.objects.create(
        owner=member, api=api, display_name="Direct", state="active"
    )
    api_pk = api.pk
    since = mark()
    services.delete_api(api=api, delete_subscriptions=True)
    (row,) = written(since)
    assert (row.action, row.object_id, row.before) == (
        "subscription.delete",
        str(to_api.pk),
        {"state": "active", "product_id": None, "api_id": api_pk},
    )


def test_closing_an_account_records_each_subscription_as_it_was(
    administrator, member, product, make_subscription
):
    waiting = make_subscription(member, product, state="submitted")
    ended = make_subscription(member, product, state="rejected")
    since = mark()
    assert services.close_account(user=member, actor=administrator) == 1
    rows = written(since)
    # Recorded as the account's deletion took them: the open one cancelled first.
    assert sorted((r.object_id, r.before["state"]) for r in rows) == sorted(
        [(str(waiting.pk), "cancelled"), (str(ended.pk), "rejected")]
    )
    assert {r.action for r in rows} == {"subscription.delete"}
    assert {(r.related_id, r.related_label) for r in rows} == {(str(member.pk), member.email)}


def test_a_refused_account_closing_leaves_no_record(administrator, member, subscription):
    since = mark()
    with pytest.raises(ValidationError):
        services.close_own_account(user=member, password="wrong")
    assert written(since) == []


def test_deleting_a_user_through_the_api_service_records_their_subscriptions(
    administrator, subscription, member
):
    since = mark()
    with pytest.raises(ValidationError):
        services.delete_user(user=member, actor=administrator)
    assert written(since) == []
    services.delete_user(user=member, actor=administrator, delete_subscriptions=True)
    (row,) = written(since)
    assert (row.action, row.object_id) == ("subscription.delete", str(subscription.pk))


def test_saving_the_settings_records_only_what_changed():
    since = mark()
    services.update_settings(notification_email="ops@example.com", on_access_loss="suspend")
    services.update_settings(notification_email="ops@example.com", on_access_loss="suspend")
    services.update_settings(notification_email="ops@example.com", on_access_loss="keep")
    rows = written(since, prefix="settings.")
    assert [(r.action, r.object_kind, r.object_id, r.before, r.after) for r in rows] == [
        (
            "settings.subscriptions",
            "settings",
            "subscriptions",
            {"notification_email": ""},
            {"notification_email": "ops@example.com"},
        ),
        (
            "settings.subscriptions",
            "settings",
            "subscriptions",
            {"on_access_loss": "suspend"},
            {"on_access_loss": "keep"},
        ),
    ]


def test_refused_settings_leave_no_record():
    since = mark()
    with pytest.raises(ValidationError):
        services.update_settings(notification_email="not an address", on_access_loss="keep")
    assert written(since, prefix="settings.") == []
    assert SubscriptionSettings.load().on_access_loss == "suspend"


def test_the_rule_records_suspensions_restorations_and_grants_now_seen(
    administrator, member, outsider, partners, product, make_subscription
):
    subscription = make_subscription(member, product, state="active")
    grant = services.create_subscription(
        sid="beyond", owner=outsider, product=product, display_name="Grant", actor=administrator
    )
    since = mark()
    # Each change of sight runs the rule's job at once here (tests' immediate backend).
    group_services.remove_member(group=partners, user=member)
    group_services.add_members(group=partners, users=[outsider], added_by=None)
    group_services.add_members(group=partners, users=[member], added_by=None)
    rows = written(since)
    assert [summary(r) for r in rows] == [
        (
            "subscription.suspend",
            "subscription",
            str(subscription.pk),
            "user",
            str(member.pk),
            {"state": "active", "suspended_for_access": False},
            {"state": "suspended", "suspended_for_access": True, "state_comment": "Access removed"},
        ),
        (
            "subscription.update",
            "subscription",
            str(grant.pk),
            "user",
            str(outsider.pk),
            {"beyond_sight": True},
            {"beyond_sight": False},
        ),
        (
            "subscription.activate",
            "subscription",
            str(subscription.pk),
            "user",
            str(member.pk),
            {"state": "suspended", "suspended_for_access": True, "state_comment": "Access removed"},
            {"state": "active", "suspended_for_access": False, "state_comment": ""},
        ),
    ]
    assert {(r.actor_kind, r.via) for r in rows} == {("job", "job")}
    assert rows[0].related_label == member.email


def test_a_failing_rule_batch_leaves_no_record(member, partners, product, make_subscription):
    """The rule's records are written in its batch's transaction: a batch rolled back
    leaves neither the suspension nor its record."""
    subscription = make_subscription(member, product, state="active")
    since = mark()
    with pytest.raises(RuntimeError), transaction.atomic():
        group_services.remove_member(group=partners, user=member)
        assert [r.action for r in written(since)] == ["subscription.suspend"]
        raise RuntimeError("the change fails after the rule ran")
    assert written(since) == []
    assert fresh(subscription).state == "active"


JOB_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def run_worker() -> None:
    call_command("portico_worker", burst=True, verbosity=0)


@pytest.mark.django_db(transaction=True)
def test_the_rules_job_follows_from_the_record_written_with_the_change(
    settings, administrator, member, partners, product, make_subscription
):
    """The job acts as itself, on behalf of who started it, and each suspension's cause
    is the record that the change of sight wrote in its transaction."""
    settings.TASKS = JOB_QUEUE
    settings.PORTICO_WORKER_SWEEP_SECONDS = 3600
    subscription = make_subscription(member, product, state="active")
    with transaction.atomic(), context.acting(context.person(administrator, via="console")):
        # What a group service writes with its change, and the funnel's call.
        change = audit_services.record(
            "member.remove",
            Ref("group", str(partners.pk), "Partners"),
            related=Ref("user", str(member.pk), member.email),
        )
        partners.memberships.filter(user=member).delete()
        services.on_sight_changed(owner_ids=[member.pk])
    job = Job.objects.get(kind=services.ACCESS_RULE)
    Job.objects.filter(pk=job.pk).update(started_by=administrator)
    assert job.params["audit_cause"] == change.pk
    since = mark()
    run_worker()
    (suspend,) = written(since)
    assert (suspend.action, suspend.object_id, suspend.cause_id) == (
        "subscription.suspend",
        str(subscription.pk),
        change.pk,
    )
    assert (suspend.actor_kind, suspend.actor_id, suspend.via, suspend.on_behalf_of) == (
        "job",
        str(job.pk),
        "job",
        administrator.email,
    )


@pytest.mark.django_db(transaction=True)
def test_removing_a_member_in_the_console_suspends_through_the_job_caused_by_the_removal(
    settings, client, administrator, member, partners, product, make_subscription
):
    settings.TASKS = JOB_QUEUE
    settings.PORTICO_WORKER_SWEEP_SECONDS = 3600
    subscription = make_subscription(member, product, state="active")
    client.force_login(administrator)
    client.post(reverse("groups:remove_member", args=[partners.name, member.pk]))
    job = Job.objects.get(kind=services.ACCESS_RULE)
    assert job.started_by == administrator
    since = mark()
    run_worker()
    (suspend,) = written(since)
    removal = Record.objects.get(action="member.remove", related_id=str(member.pk))
    assert (suspend.action, suspend.object_id, suspend.cause_id) == (
        "subscription.suspend",
        str(subscription.pk),
        removal.pk,
    )
    assert (suspend.actor_kind, suspend.on_behalf_of) == ("job", administrator.email)
    assert (removal.actor_kind, removal.actor_id, removal.via) == (
        "person",
        str(administrator.pk),
        "console",
    )
