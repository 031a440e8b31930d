"""The activity record of people, their passwords, tokens and sign-up settings: each write
path leaves exactly the records expected, with the values before and after (never a
password, its hash or a token), and a write that fails leaves none."""

from __future__ import annotations

import json
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audit.models import Record
from groups import services as group_services
from management_api import services as token_services
from management_api.models import AccessToken
from portal import services, signup
from portal.entities import ConcurrentChangeError
from portal.jobs import AUDIT_CAUSE
from portal.models import Job, SignUpSettings, User
from scim import services as scim_services
from scim.models import ScimToken
from subscriptions import services as subscription_services
from tests.conftest import TEST_PASSWORD, fresh
from tests.management_api.helpers import body, url

STRONG = "a-rather-unusual-passphrase-42"
NEWER = "another-unusual-passphrase-43"

pytestmark = pytest.mark.django_db


def mark() -> int:
    """The last record's id so far: what a test does is what comes after it (fixtures may
    have left records of their own)."""
    last = Record.objects.order_by("-id").first()
    return last.pk if last is not None else 0


def since(start: int) -> list[Record]:
    return list(Record.objects.filter(pk__gt=start).order_by("id"))


def summary(records: list[Record]) -> list[tuple[str, str, str, str]]:
    """(action, object kind, object id, related id) of each record, in order."""
    return [(r.action, r.object_kind, r.object_id, r.related_id) for r in records]


def only(start: int) -> Record:
    records = since(start)
    assert len(records) == 1, summary(records)
    return records[0]


def stored_text() -> str:
    """Every record as JSON, to look for what must never be kept."""
    rows = Record.objects.order_by("id").values()
    return json.dumps([dict(row) for row in rows], default=str)


def person(user: User) -> str:
    return str(user.pk)


# Creating accounts


def test_create_user_records_the_new_account_without_its_password():
    start = mark()
    user = services.create_user(
        email="una@example.com", first_name="Una", last_name="Uno", password=STRONG, note="VIP"
    )
    created = only(start)
    assert (created.action, created.object_kind, created.object_id, created.object_label) == (
        "user.create",
        "user",
        person(user),
        "una@example.com",
    )
    assert created.before is None
    assert created.after == {
        "email": "una@example.com",
        "first_name": "Una",
        "last_name": "Uno",
        "note": "VIP",
        "state": "active",
        "is_staff": False,
        "is_superuser": False,
        "email_confirmed_at": None,
        "api_id": user.api_id,
        "signed_up": False,
    }
    # Outside a request, Portico itself acts.
    assert (created.actor_kind, created.via) == ("system", "system")
    text = stored_text()
    assert fresh(user).password not in text and STRONG not in text


@pytest.mark.parametrize(
    "fields",
    [
        {"password": "123"},  # refused by the password rules
        {"email": "dev@example.com"},  # taken
        {"email": "not an address"},
    ],
)
def test_a_refused_account_leaves_no_record(developer, fields):
    start = mark()
    values = {"email": "una@example.com", "first_name": "Una", "last_name": "Uno"}
    values |= {"password": None} | fields
    with pytest.raises(ValidationError):
        services.create_user(**values)
    assert since(start) == []


def test_the_console_creates_an_account_as_the_administrator(client, administrator):
    client.force_login(administrator)
    start = mark()
    response = client.post(
        reverse("console:user_create"),
        {"email": "una@example.com", "first_name": "Una", "last_name": "Uno", "password": STRONG},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    created = only(start)
    assert created.action == "user.create"
    assert (created.actor_kind, created.actor_id, created.via) == (
        "person",
        person(administrator),
        "console",
    )
    assert created.address == "127.0.0.1"


# Blocking and unblocking


def test_block_and_unblock_record_the_state(administrator, developer):
    start = mark()
    services.block_user(user=developer, actor=administrator)
    blocked = only(start)
    assert (blocked.action, blocked.object_id, blocked.object_label) == (
        "user.block",
        person(developer),
        "dev@example.com",
    )
    assert (blocked.before, blocked.after) == ({"state": "active"}, {"state": "blocked"})

    start = mark()
    services.unblock_user(user=developer)
    unblocked = only(start)
    assert unblocked.action == "user.unblock"
    assert (unblocked.before, unblocked.after) == ({"state": "blocked"}, {"state": "active"})


def test_activating_a_pending_account_is_an_unblock_from_pending(pending_user):
    start = mark()
    services.unblock_user(user=pending_user)
    record = only(start)
    assert (record.action, record.before, record.after) == (
        "user.unblock",
        {"state": "pending"},
        {"state": "active"},
    )


def test_blocking_a_blocked_account_records_nothing(administrator, blocked_user):
    start = mark()
    services.block_user(user=blocked_user, actor=administrator)
    assert since(start) == []


def test_blocking_oneself_is_refused_and_records_nothing(administrator):
    start = mark()
    with pytest.raises(ValidationError):
        services.block_user(user=administrator, actor=administrator)
    assert since(start) == []


def test_the_access_rule_after_a_block_follows_from_the_block(
    administrator, developer, subscription
):
    start = mark()
    services.block_user(user=developer, actor=administrator)
    records = since(start)
    assert records[0].action == "user.block"
    # Whatever the block sets off (the access rule's job, the subscription's
    # suspension) names it as its cause.
    job = Job.objects.get(kind=subscription_services.ACCESS_RULE)
    assert job.params[AUDIT_CAUSE] == records[0].pk
    assert all(r.cause_id == records[0].pk for r in records[1:])
    assert fresh(subscription).state == "suspended"


# Updating accounts (the management API's service)


def test_a_profile_change_records_only_what_changed(administrator, developer):
    start = mark()
    services.update_user(user=developer, actor=administrator, first_name="Devi", note="Partner")
    record = only(start)
    assert record.action == "user.update"
    assert (record.before, record.after) == (
        {"first_name": "Dev", "note": ""},
        {"first_name": "Devi", "note": "Partner"},
    )


def test_an_update_that_changes_nothing_records_nothing(administrator, developer):
    start = mark()
    services.update_user(user=developer, actor=administrator, first_name="Dev")
    assert since(start) == []


def test_a_change_of_state_role_and_details_is_one_record_each(administrator, developer):
    start = mark()
    services.update_user(
        user=developer,
        actor=administrator,
        last_name="Else",
        state="blocked",
        is_superuser=True,
        password=STRONG,
    )
    records = since(start)
    assert [(r.action, r.before, r.after) for r in records] == [
        ("user.update", {"last_name": "Eloper"}, {"last_name": "Else"}),
        ("user.block", {"state": "active"}, {"state": "blocked"}),
        ("user.promote", {"is_superuser": False}, {"is_superuser": True}),
        ("user.password", None, None),
    ]
    assert {r.object_id for r in records} == {person(developer)}
    text = stored_text()
    assert fresh(developer).password not in text and STRONG not in text


def test_making_an_account_pending_is_an_update_with_its_state(administrator, developer):
    start = mark()
    services.update_user(user=developer, actor=administrator, state="pending")
    record = only(start)
    assert (record.action, record.before, record.after) == (
        "user.update",
        {"state": "active"},
        {"state": "pending"},
    )


def test_demotion_is_recorded(administrator):
    colleague = User.objects.create_superuser("col@example.com", TEST_PASSWORD)
    start = mark()
    services.update_user(user=colleague, actor=administrator, is_superuser=False)
    record = only(start)
    assert (record.action, record.before, record.after) == (
        "user.demote",
        {"is_superuser": True},
        {"is_superuser": False},
    )


@pytest.mark.parametrize(
    "call",
    [
        {"expected_version": 99, "first_name": "Late"},  # someone saved meanwhile
        {"email": "not an address"},
        {"password": "123"},
        {"state": "blocked", "is_self": True},
    ],
)
def test_a_refused_update_leaves_no_record(administrator, developer, call):
    call = dict(call)
    who = administrator if call.pop("is_self", False) else developer
    start = mark()
    with pytest.raises((ConcurrentChangeError, ValidationError)):
        services.update_user(user=who, actor=administrator, **call)
    assert since(start) == []


# The Django admin


def admin_form(user: User, **changes: Any) -> dict[str, Any]:
    values = {
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "note": user.note,
        "state": user.state,
    }
    if user.is_staff:
        values["is_staff"] = "on"
    if user.is_superuser:
        values["is_superuser"] = "on"
    return values | changes


def test_an_admin_edit_is_recorded_as_the_admin(client, administrator, developer):
    client.force_login(administrator)
    start = mark()
    response = client.post(
        f"/admin/portal/user/{developer.pk}/change/",
        admin_form(developer, first_name="Devi", state="blocked"),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    records = since(start)
    assert [(r.action, r.before, r.after) for r in records[:2]] == [
        ("user.update", {"first_name": "Dev"}, {"first_name": "Devi"}),
        ("user.block", {"state": "active"}, {"state": "blocked"}),
    ]
    assert {(r.actor_kind, r.actor_id, r.via) for r in records[:2]} == {
        ("person", person(administrator), "admin")
    }


def test_unticking_administrator_in_the_admin_is_a_demotion(client, administrator):
    colleague = User.objects.create_superuser("col@example.com", TEST_PASSWORD, is_staff=True)
    client.force_login(administrator)
    start = mark()
    data = admin_form(colleague)
    del data["is_superuser"]
    response = client.post(f"/admin/portal/user/{colleague.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    demoted = since(start)[0]
    assert (demoted.action, demoted.before, demoted.after, demoted.via) == (
        "user.demote",
        {"is_superuser": True},
        {"is_superuser": False},
        "admin",
    )


def test_an_admin_save_without_changes_records_nothing(client, administrator, developer):
    client.force_login(administrator)
    start = mark()
    client.post(f"/admin/portal/user/{developer.pk}/change/", admin_form(developer))
    assert since(start) == []


def test_permissions_given_in_the_admin_are_recorded_by_name(client, administrator, support_staff):
    view_user = Permission.objects.get(codename="view_user", content_type__app_label="portal")
    client.force_login(administrator)
    start = mark()
    data = admin_form(support_staff, user_permissions=[view_user.pk])
    response = client.post(f"/admin/portal/user/{support_staff.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    record = only(start)
    assert (record.action, record.object_id, record.before, record.after, record.via) == (
        "user.update",
        person(support_staff),
        {"permissions": []},
        {"permissions": ["portal.view_user"]},
        "admin",
    )
    assert list(support_staff.user_permissions.all()) == [view_user]
    start = mark()
    client.post(f"/admin/portal/user/{support_staff.pk}/change/", data)
    assert since(start) == []


def test_adding_a_person_in_the_admin_records_the_account(client, administrator):
    client.force_login(administrator)
    start = mark()
    response = client.post(
        "/admin/portal/user/add/",
        {
            "email": "una@example.com",
            "first_name": "Una",
            "last_name": "Uno",
            "usable_password": "true",
            "password1": STRONG,
            "password2": STRONG,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    user = User.objects.get(email="una@example.com")
    created = only(start)
    assert (created.action, created.object_id, created.via) == (
        "user.create",
        person(user),
        "admin",
    )
    assert created.after["state"] == "active" and created.after["is_superuser"] is False
    text = stored_text()
    assert user.password not in text and STRONG not in text


def test_an_administrator_setting_a_password_in_the_admin_records_no_value(
    client, administrator, developer
):
    client.force_login(administrator)
    start = mark()
    response = client.post(
        f"/admin/portal/user/{developer.pk}/password/",
        {"usable_password": "true", "password1": STRONG, "password2": STRONG},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert fresh(developer).check_password(STRONG)
    record = only(start)
    assert (record.action, record.object_id, record.before, record.after) == (
        "user.password",
        person(developer),
        None,
        None,
    )
    assert (record.actor_id, record.via) == (person(administrator), "admin")
    text = stored_text()
    assert fresh(developer).password not in text and STRONG not in text


def test_a_refused_password_in_the_admin_records_nothing(client, administrator, developer):
    client.force_login(administrator)
    start = mark()
    response = client.post(
        f"/admin/portal/user/{developer.pk}/password/",
        {"usable_password": "true", "password1": "123", "password2": "123"},
    )
    assert response.status_code == 200
    assert since(start) == []


# Passwords chosen from an emailed link


def test_a_password_set_from_the_emailed_link_is_recorded_as_the_person(developer):
    client = Client()
    link = services.set_password_url(developer).split("://", 1)[1].split("/", 1)[1]
    page = client.get(f"/{link}", follow=True)
    form_url = page.redirect_chain[-1][0]
    start = mark()
    response = client.post(form_url, {"new_password1": STRONG, "new_password2": STRONG})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert fresh(developer).check_password(STRONG)
    record = only(start)
    assert (record.action, record.object_id, record.before, record.after) == (
        "user.password",
        person(developer),
        None,
        None,
    )
    assert (record.actor_kind, record.actor_id, record.via) == (
        "person",
        person(developer),
        "portal",
    )
    text = stored_text()
    assert fresh(developer).password not in text and STRONG not in text


def test_a_refused_password_from_the_link_records_nothing(developer):
    client = Client()
    link = services.set_password_url(developer).split("://", 1)[1].split("/", 1)[1]
    form_url = client.get(f"/{link}", follow=True).redirect_chain[-1][0]
    start = mark()
    response = client.post(form_url, {"new_password1": "123", "new_password2": "123"})
    assert response.status_code == 200
    assert since(start) == []


# Deleting accounts


@pytest.fixture
def everything_of(
    administrator, developer, partners, beta, external, subscription
) -> dict[str, Any]:
    """The developer in Partners (by hand), Beta testers (by its rule) and the directory's
    group, with a subscription and a token."""
    rule = group_services.add_rule(group=beta, value="example.com", created_by=administrator)
    group_services.apply_rule(rule=rule)
    group_services.add_directory_members(group=external, users=[developer], via="provisioning")
    token, clear = token_services.issue_token(user=developer, name="CI", days=5)
    return {"subscription": subscription, "token": token, "clear": clear, "rule": rule}


def test_deleting_an_account_records_it_and_what_it_takes(
    administrator, developer, partners, beta, external, everything_of
):
    subscription, token = everything_of["subscription"], everything_of["token"]
    start = mark()
    services.delete_user(user=developer, actor=administrator)
    records = since(start)
    deleted = records[0]
    assert (deleted.action, deleted.object_id, deleted.object_label) == (
        "user.delete",
        person(developer),
        "dev@example.com",
    )
    assert deleted.before["state"] == "active" and deleted.before["is_superuser"] is False
    assert deleted.after is None
    effects = records[1:]
    assert sorted(summary(effects)) == sorted(
        [
            ("member.remove", "group", str(partners.pk), person(developer)),
            ("member.remove", "group", str(beta.pk), person(developer)),
            ("member.remove", "group", str(external.pk), person(developer)),
            ("subscription.delete", "subscription", str(subscription.pk), person(developer)),
            ("token.revoke", "token", str(token.pk), person(developer)),
        ]
    )
    assert all(r.cause_id == deleted.pk for r in effects)
    by_object = {(r.action, r.object_id): r for r in effects}
    assert by_object["member.remove", str(external.pk)].before == {"source": "directory"}
    assert by_object["member.remove", str(partners.pk)].before is None
    assert by_object["member.remove", str(beta.pk)].before == {"rule": everything_of["rule"].pk}
    assert by_object["member.remove", str(beta.pk)].object_label == "Beta testers"
    assert by_object["subscription.delete", str(subscription.pk)].before["state"] == "active"
    assert by_object["token.revoke", str(token.pk)].object_label == "CI"
    assert not User.objects.filter(pk=developer.pk).exists()
    text = stored_text()
    assert everything_of["clear"] not in text
    assert token.token_hash not in text
    assert subscription.primary_secret not in text


def test_the_management_api_deleting_a_user_with_subscriptions_records_them_as_effects(
    client, administrator, developer, everything_of
):
    _, clear = token_services.issue_token(user=administrator, name="ops", days=1)
    subscription = everything_of["subscription"]
    start = mark()
    response = client.delete(
        url(f"users/{developer.api_id}", deleteSubscriptions="true"),
        HTTP_IF_MATCH="*",
        HTTP_AUTHORIZATION=f"Bearer {clear}",
    )
    assert response.status_code == 204
    records = since(start)
    assert records[0].action == "user.delete"
    assert (records[0].actor_kind, records[0].actor_label, records[0].via) == (
        "token",
        "ops",
        "api",
    )
    deleted_subscriptions = [r for r in records if r.action == "subscription.delete"]
    assert [(r.object_id, r.cause_id) for r in deleted_subscriptions] == [
        (str(subscription.pk), records[0].pk)
    ]


def test_deleting_an_account_in_the_admin_is_recorded_as_the_admin(
    client, administrator, developer
):
    client.force_login(administrator)
    start = mark()
    response = client.post(f"/admin/portal/user/{developer.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    deleted = only(start)
    assert (deleted.action, deleted.actor_id, deleted.via) == (
        "user.delete",
        person(administrator),
        "admin",
    )


def test_closing_an_account_from_the_console_records_its_subscriptions_deletion(
    client, administrator, developer, subscription
):
    start = mark()
    subscription_services.close_account(user=developer, actor=administrator)
    records = since(start)
    deleted = next(r for r in records if r.action == "user.delete")
    [gone] = [r for r in records if r.action == "subscription.delete"]
    assert (gone.object_id, gone.related_id, gone.cause_id) == (
        str(subscription.pk),
        person(developer),
        deleted.pk,
    )
    # Closing cancels the subscription first: the record keeps the state it had then.
    assert gone.before["state"] == "cancelled"


def test_refused_deletions_leave_no_record(administrator, developer):
    start = mark()
    with pytest.raises(ValidationError):
        services.delete_user(user=administrator, actor=administrator)
    with pytest.raises(PermissionDenied):
        services.delete_user(user=developer, actor=administrator, own=True)
    # The last administrator, deleted by someone else (a support person's request, say).
    with pytest.raises(ValidationError):
        services.delete_user(user=administrator, actor=None)
    assert since(start) == []
    assert User.objects.filter(pk=administrator.pk).exists()


# Sign-up


def test_signing_up_records_a_pending_account_made_by_an_anonymous_visitor(client):
    start = mark()
    response = client.post(
        reverse("portal:signup"),
        {
            "email": "new@example.com",
            "first_name": "Nina",
            "last_name": "New",
            "password": STRONG,
            "password_again": STRONG,
        },
    )
    assert response.status_code == 302
    user = User.objects.get(email="new@example.com")
    created = only(start)
    assert created.action == "user.create"
    assert created.after["state"] == "pending" and created.after["signed_up"] is True
    assert (created.actor_kind, created.actor_label, created.via) == (
        "system",
        "Anonymous",
        "portal",
    )
    text = stored_text()
    assert user.password not in text and STRONG not in text


def test_signing_up_again_with_an_address_that_has_an_account_records_nothing(developer):
    start = mark()
    services.sign_up(email="DEV@example.com", first_name="D", last_name="E", password=STRONG)
    assert since(start) == []


def test_a_refused_sign_up_records_nothing(db):
    current = SignUpSettings.load()
    current.refused_domains = "example.com"
    current.save()
    start = mark()
    with pytest.raises(ValidationError):
        services.sign_up(email="new@example.com", first_name="N", last_name="N", password=STRONG)
    current.enabled = False
    current.save()
    with pytest.raises(services.SignUpClosed):
        services.sign_up(email="new@other.org", first_name="N", last_name="N", password=STRONG)
    assert since(start) == []


@pytest.fixture
def signed_up(db) -> User:
    services.sign_up(email="new@example.com", first_name="Nina", last_name="New", password=STRONG)
    return User.objects.get(email="new@example.com")


def test_confirming_a_sign_up_is_an_update_to_active(client, signed_up):
    path = signup.confirmation_url(user=signed_up).split("://", 1)[1].split("/", 1)[1]
    start = mark()
    response = client.post(f"/{path}")
    assert response.status_code == 200
    record = only(start)
    confirmed = fresh(signed_up)
    assert record.action == "user.update"
    assert (record.before, record.after) == (
        {"state": "pending", "email_confirmed_at": None},
        {"state": "active", "email_confirmed_at": confirmed.email_confirmed_at.isoformat()},
    )
    # The person confirms, through the link emailed to them.
    assert (record.actor_kind, record.actor_id, record.via) == (
        "person",
        person(signed_up),
        "portal",
    )


def test_confirming_when_approval_is_needed_keeps_the_account_pending(signed_up):
    services.update_signup_settings(expected_version=None, approval=True)
    start = mark()
    services.confirm_signup(user=signed_up)
    record = only(start)
    assert record.action == "user.update"
    assert list(record.after) == ["email_confirmed_at"]
    assert record.before == {"email_confirmed_at": None}


def test_confirming_twice_is_refused_and_records_nothing(signed_up):
    services.confirm_signup(user=signed_up)
    start = mark()
    with pytest.raises(ValidationError):
        services.confirm_signup(user=signed_up)
    assert since(start) == []


@pytest.fixture
def waiting(signed_up) -> User:
    services.update_signup_settings(expected_version=None, approval=True)
    return services.confirm_signup(user=signed_up)


def test_approving_a_sign_up_is_recorded(waiting):
    start = mark()
    assert services.approve_signup(user=waiting)
    records = since(start)
    assert (records[0].action, records[0].before, records[0].after) == (
        "user.approve",
        {"state": "pending"},
        {"state": "active"},
    )
    # What the activation sets off (the groups' rules) follows from the approval.
    assert all(r.cause_id == records[0].pk for r in records[1:])
    start = mark()
    assert not services.approve_signup(user=waiting)
    assert since(start) == []


def test_rejecting_a_sign_up_deletes_the_account_with_the_reason(waiting):
    start = mark()
    assert services.reject_signup(user=waiting, reason="Not a partner")
    record = only(start)
    assert (record.action, record.object_id, record.object_label) == (
        "user.delete",
        person(waiting),
        "new@example.com",
    )
    assert record.before["state"] == "pending"
    assert record.after == {"rejected": "Not a partner"}


def test_a_rejection_without_a_reason_records_nothing(waiting):
    start = mark()
    with pytest.raises(ValidationError):
        services.reject_signup(user=waiting, reason="  ")
    assert since(start) == []


# Sign-up settings


def test_sign_up_settings_record_only_what_changed(db):
    start = mark()
    services.update_signup_settings(
        expected_version=None, approval=True, allowed_domains="Partner.example"
    )
    record = only(start)
    assert (record.action, record.object_kind, record.object_id) == (
        "settings.signup",
        "settings",
        "signup",
    )
    assert (record.before, record.after) == (
        {"approval": False, "allowed_domains": ""},
        {"approval": True, "allowed_domains": "partner.example"},
    )


def test_the_terms_are_recorded_by_length_and_digest_not_text(db):
    start = mark()
    services.update_signup_settings(expected_version=None, terms="Be *nice*.")
    record = only(start)
    assert record.after["terms"]["characters"] == len("Be *nice*.")
    assert len(record.after["terms"]["sha256"]) == 64
    assert "nice" not in stored_text()


def test_saving_unchanged_or_stale_sign_up_settings_records_nothing(db):
    current = SignUpSettings.load()
    start = mark()
    services.update_signup_settings(expected_version=current.version, enabled=True)
    with pytest.raises(ConcurrentChangeError):
        services.update_signup_settings(expected_version=current.version + 5, enabled=False)
    assert since(start) == []


def test_the_console_sign_up_settings_page_records_as_the_administrator(client, administrator):
    client.force_login(administrator)
    current = SignUpSettings.load()
    start = mark()
    response = client.post(
        reverse("console:signup_settings"),
        {
            "enabled": "on",
            "approval": "on",
            "allowed_domains": "",
            "refused_domains": "",
            "terms": "",
            "version": current.version,
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    record = only(start)
    assert (record.action, record.after, record.via, record.actor_id) == (
        "settings.signup",
        {"approval": True},
        "console",
        person(administrator),
    )


# Sign-in pauses


def test_lifting_a_sign_in_pause_is_recorded(administrator, developer, settings):
    AccessAttempt.objects.create(
        username="dev@example.com",
        ip_address="203.0.113.66",
        user_agent="test",
        failures_since_start=settings.AXES_FAILURE_LIMIT,
        attempt_time=timezone.now(),
    )
    start = mark()
    assert services.lift_signin_pause(user=developer)
    record = only(start)
    assert (record.action, record.object_id, record.after) == (
        "user.unpause",
        person(developer),
        None,
    )
    assert record.before["failures"] == settings.AXES_FAILURE_LIMIT
    start = mark()
    assert not services.lift_signin_pause(user=developer)
    assert since(start) == []


# The management API's tokens


def test_a_token_is_recorded_by_name_and_expiry_never_its_value(administrator):
    start = mark()
    token, clear = token_services.issue_token(user=administrator, name="CI deploy", days=30)
    record = only(start)
    assert (record.action, record.object_kind, record.object_id, record.object_label) == (
        "token.create",
        "token",
        str(token.pk),
        "CI deploy",
    )
    assert (record.related_kind, record.related_id) == ("user", person(administrator))
    assert record.after == {"name": "CI deploy", "expires_at": token.expires_at.isoformat()}
    text = stored_text()
    assert clear not in text and token.token_hash not in text and token.prefix not in text


def test_revoking_a_token_is_recorded_once(administrator):
    token, clear = token_services.issue_token(user=administrator, name="CI deploy", days=30)
    start = mark()
    token_services.revoke_token(token=token)
    record = only(start)
    assert (record.action, record.object_id, record.related_id) == (
        "token.revoke",
        str(token.pk),
        person(administrator),
    )
    assert record.before == {"name": "CI deploy", "expires_at": token.expires_at.isoformat()}
    assert record.after == {"revoked_at": fresh(token).revoked_at.isoformat()}
    start = mark()
    token_services.revoke_token(token=token)
    assert since(start) == []
    assert clear not in stored_text()


def test_the_console_token_pages_record_as_the_administrator(client, administrator):
    client.force_login(administrator)
    start = mark()
    client.post(reverse("console:tokens"), {"name": "Laptop", "days": 7})
    token = AccessToken.objects.get(name="Laptop")
    client.post(reverse("console:token_revoke", args=[token.pk]))
    records = since(start)
    assert [(r.action, r.object_id, r.via, r.actor_id) for r in records] == [
        ("token.create", str(token.pk), "console", person(administrator)),
        ("token.revoke", str(token.pk), "console", person(administrator)),
    ]


def test_a_refused_token_form_records_nothing(client, administrator):
    client.force_login(administrator)
    start = mark()
    response = client.post(reverse("console:tokens"), {"name": "", "days": 0})
    assert response.status_code == 200
    assert since(start) == []


# The management API's users


def test_the_management_api_writes_users_as_its_token(client, administrator):
    _, clear = token_services.issue_token(user=administrator, name="ops", days=1)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {clear}"}
    start = mark()
    created = client.put(
        url("users/una"),
        body(email="una@example.com", firstName="Una", lastName="Uno", password=STRONG),
        "application/json",
        **auth,
    )
    assert created.status_code == 201
    patched = client.patch(
        url("users/una"),
        body(state="blocked", password=NEWER),
        "application/json",
        HTTP_IF_MATCH="*",
        **auth,
    )
    assert patched.status_code == 200, patched.content
    user = User.objects.get(api_id="una")
    records = since(start)
    assert [(r.action, r.object_id) for r in records] == [
        ("user.create", person(user)),
        ("user.block", person(user)),
        ("user.password", person(user)),
    ]
    assert {(r.actor_kind, r.actor_label, r.on_behalf_of, r.via) for r in records} == {
        ("token", "ops", "root@example.com", "api")
    }
    text = stored_text()
    assert clear not in text and STRONG not in text and NEWER not in text
    assert user.password not in text


def test_a_refused_management_api_patch_records_nothing(client, administrator, developer):
    _, clear = token_services.issue_token(user=administrator, name="ops", days=1)
    start = mark()
    response = client.patch(
        url(f"users/{developer.api_id}"),
        body(email="not an address"),
        "application/json",
        HTTP_IF_MATCH="*",
        HTTP_AUTHORIZATION=f"Bearer {clear}",
    )
    assert response.status_code == 400
    assert since(start) == []


# SCIM


def test_scim_tokens_are_recorded_without_their_value(administrator):
    start = mark()
    token, clear = scim_services.issue_token(created_by=administrator, name="Entra ID", days=30)
    scim_services.revoke_token(token=token)
    scim_services.revoke_token(token=token)
    records = since(start)
    assert [(r.action, r.object_kind, r.object_id, r.object_label) for r in records] == [
        ("scim_token.create", "scim_token", str(token.pk), "Entra ID"),
        ("scim_token.revoke", "scim_token", str(token.pk), "Entra ID"),
    ]
    assert records[0].after == {"name": "Entra ID", "expires_at": token.expires_at.isoformat()}
    assert records[1].after == {"revoked_at": fresh(token).revoked_at.isoformat()}
    text = stored_text()
    stored = ScimToken.objects.get(pk=token.pk)
    assert clear not in text and stored.token_hash not in text and stored.prefix not in text


def scim_send(client: Client, clear: str, method: str, path: str, data: Any) -> Any:
    return client.generic(
        method,
        f"/scim/v2/{path}",
        data=json.dumps(data),
        content_type="application/scim+json",
        headers={"Authorization": f"Bearer {clear}"},
    )


def test_provisioning_writes_people_as_its_token(client, administrator):
    _, clear = scim_services.issue_token(created_by=administrator, name="Entra ID", days=30)
    start = mark()
    created = scim_send(
        client,
        clear,
        "POST",
        "Users",
        {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "una@example.com",
            "externalId": "entra-1",
            "name": {"givenName": "Una", "familyName": "Uno"},
            "active": True,
        },
    )
    assert created.status_code == 201, created.content
    user = User.objects.get(email="una@example.com")
    deactivated = scim_send(
        client,
        clear,
        "PATCH",
        f"Users/{created.json()['id']}",
        {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "value": {"active": False}}],
        },
    )
    assert deactivated.status_code == 200, deactivated.content
    records = since(start)
    assert [(r.action, r.before, r.after) for r in records[1:]] == [
        ("user.update", {"external_id": None}, {"external_id": "entra-1"}),
        ("user.block", {"state": "active"}, {"state": "blocked"}),
    ]
    assert (records[0].action, records[0].object_id) == ("user.create", person(user))
    assert {(r.actor_kind, r.actor_label, r.via) for r in records} == {
        ("token", "Entra ID", "scim")
    }
    assert clear not in stored_text()


def test_provisioning_an_address_that_has_an_account_records_nothing(
    client, administrator, developer
):
    _, clear = scim_services.issue_token(created_by=administrator, name="Entra ID", days=30)
    start = mark()
    response = scim_send(
        client,
        clear,
        "POST",
        "Users",
        {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "DEV@example.com",
            "active": True,
        },
    )
    assert response.status_code == 409
    assert since(start) == []
