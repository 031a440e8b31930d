"""The record itself: written in the change's transaction, without secrets,
never edited, with its actor and cause."""

from __future__ import annotations

import datetime

import pytest
from django.db import transaction
from django.test import RequestFactory
from django.utils import timezone

from audit import context, services
from audit.models import AppendOnlyError, Record, RetentionSettings
from audit.services import Ref

GROUP = Ref("group", "7", "Partners")


@pytest.mark.django_db
def test_a_record_names_the_object_and_values():
    written = services.record(
        "group.update", GROUP, before={"description": "old"}, after={"description": "new"}
    )
    stored = Record.objects.get(pk=written.pk)
    assert (stored.action, stored.object_kind, stored.object_id, stored.object_label) == (
        "group.update",
        "group",
        "7",
        "Partners",
    )
    assert (stored.before, stored.after) == ({"description": "old"}, {"description": "new"})
    assert stored.actor_kind == Record.ActorKind.SYSTEM


@pytest.mark.django_db
def test_secrets_are_never_recorded():
    written = services.record(
        "subscription.update",
        Ref("subscription", "1", "Starter"),
        after={
            "primary_key": "abc",
            "secondary_key": "def",
            "password": "pw",
            "token_hash": "x",
            "client_secret": "y",
            "state": "active",
            "display_name_key": "folded",
        },
    )
    assert Record.objects.get(pk=written.pk).after == {"state": "active"}


@pytest.mark.django_db
def test_changes_keeps_only_what_differs():
    before, after = services.changes({"a": 1, "b": 2, "password": "x"}, {"a": 1, "b": 3})
    assert (before, after) == ({"b": 2}, {"b": 3})


@pytest.mark.django_db(transaction=True)
def test_a_failed_write_leaves_no_record():
    with pytest.raises(RuntimeError), transaction.atomic():
        services.record("group.create", GROUP)
        raise RuntimeError("the change fails after its record")
    assert not Record.objects.exists()


@pytest.mark.django_db
def test_records_cannot_be_changed_or_deleted():
    written = services.record("group.create", GROUP)
    written.action = "group.delete"
    with pytest.raises(AppendOnlyError):
        written.save()
    with pytest.raises(AppendOnlyError):
        written.delete()
    with pytest.raises(AppendOnlyError):
        Record.objects.filter(pk=written.pk).update(action="x")
    with pytest.raises(AppendOnlyError):
        Record.objects.all().delete()
    assert Record.objects.get(pk=written.pk).action == "group.create"


@pytest.mark.django_db
def test_what_follows_from_a_record_names_it_as_cause():
    cause = services.record("group.delete", GROUP)
    with context.caused_by(cause.pk):
        count = services.record_many(
            "member.remove",
            [(GROUP, Ref("user", str(n), f"u{n}@example.com")) for n in range(3)],
        )
    assert count == 3
    assert set(Record.objects.filter(action="member.remove").values_list("cause", flat=True)) == {
        cause.pk
    }
    assert cause.effects.count() == 3


@pytest.mark.django_db
def test_a_request_names_its_person_address_and_surface(administrator):
    request = RequestFactory().post("/console/groups/new/", REMOTE_ADDR="203.0.113.9")
    request.user = administrator
    seen = {}

    def view(request):
        seen["record"] = services.record("group.create", GROUP)
        return None

    context.AuditContextMiddleware(view)(request)
    stored = Record.objects.get(pk=seen["record"].pk)
    assert (stored.actor_kind, stored.actor_id, stored.actor_label) == (
        "person",
        str(administrator.pk),
        administrator.email,
    )
    assert (stored.via, stored.address) == ("console", "203.0.113.9")


@pytest.mark.django_db
def test_an_explicit_actor_wins_over_the_request():
    actor = context.token(token_id=3, name="CI", owner="ops@example.com", via="api", address="::1")
    with context.acting(actor):
        written = services.record("group.create", GROUP)
    assert (written.actor_kind, written.actor_label, written.on_behalf_of, written.via) == (
        "token",
        "CI",
        "ops@example.com",
        "api",
    )


@pytest.mark.django_db(transaction=True)
def test_the_last_record_is_only_this_transactions():
    with transaction.atomic():
        written = services.record("group.create", GROUP)
        assert context.last_record() == written.pk
    assert context.last_record() is None


@pytest.mark.django_db
def test_prune_keeps_everything_by_default():
    services.record("group.create", GROUP)
    assert services.prune() == 0
    assert Record.objects.count() == 1


@pytest.mark.django_db
def test_prune_removes_old_records_and_records_that_it_did():
    old = services.record("group.create", GROUP)
    services.set_retention(keep_days=30)
    later = timezone.now() + datetime.timedelta(days=31)
    removed = services.prune(now=later)
    # The old record and the retention change, both older than 30 days then.
    assert removed == 2
    assert not Record.objects.filter(pk=old.pk).exists()
    pruned = Record.objects.get(action="activity.prune")
    assert pruned.after["removed"] == 2
    assert RetentionSettings.current().keep_days == 30
