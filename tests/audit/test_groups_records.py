"""Every write to groups and memberships leaves exactly its records: groups, members,
rules, requests to join, invitations, the directory's sync at sign-in and through SCIM.
A change that follows from another names it as its cause; a no-op and a refused write
leave none."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Max
from django.urls import reverse
from scim2_models import Group as ScimGroup
from scim2_models import GroupMember, PatchOp, PatchOperation

from audit.models import Record
from content import services as content_services
from groups import invitations
from groups import services as group_services
from groups.models import Group, GroupRequest, GroupRule, Invitation, Membership
from portal import activation
from portal.entities import ConcurrentChangeError
from portal.models import User
from sso import services as sso_services
from tests.groups.test_invitations import PASSWORD, token_in
from tests.scim import conftest as scim_fixtures
from tests.sso import conftest as sso_fixtures
from tests.sso.conftest import sign_in_through

pytestmark = pytest.mark.django_db

# The identity provider's and SCIM's fixtures, from their tests.
fake_provider = sso_fixtures.fake_provider
creates_accounts = sso_fixtures.creates_accounts
scim_token = scim_fixtures.scim_token
scim = scim_fixtures.scim


def mark() -> int:
    """The last record so far: a test looks at what comes after it."""
    return Record.objects.aggregate(last=Max("id"))["last"] or 0


def since(start: int, *, actions: tuple[str, ...] = ()) -> list[Record]:
    found = Record.objects.filter(id__gt=start).order_by("id")
    if actions:
        found = found.filter(action__in=actions)
    return list(found)


def row(record: Record) -> tuple:
    """What a record says, without who and when."""
    return (
        record.action,
        f"{record.object_kind}:{record.object_label}",
        f"{record.related_kind}:{record.related_label}" if record.related_kind else None,
        record.before,
        record.after,
    )


def rows(start: int, **kwargs) -> list[tuple]:
    return [row(record) for record in since(start, **kwargs)]


@pytest.fixture
def directory_group(db):
    return group_services.create_group(
        name="partners-directory",
        display_name="Partners (directory)",
        external_id="Partners-Directory",
    )


# Groups


def test_creating_a_group_records_its_values():
    start = mark()
    group = group_services.create_group(
        name="partners", display_name="Partners", description="Partner companies"
    )
    [created] = since(start)
    assert row(created) == (
        "group.create",
        "group:Partners",
        None,
        None,
        {
            "name": "partners",
            "display_name": "Partners",
            "description": "Partner companies",
            "type": "custom",
            "external_id": "",
        },
    )
    assert created.object_id == str(group.pk)
    assert created.actor_kind == Record.ActorKind.SYSTEM


def test_a_refused_group_leaves_no_record(partners):
    start = mark()
    with pytest.raises(ValidationError):
        group_services.create_group(name="partners", display_name="Partners again")
    with pytest.raises(ValidationError):
        group_services.create_group(name="bad id!", display_name="Bad")
    assert since(start) == []


def test_an_update_records_what_changed_and_a_no_op_nothing(partners):
    start = mark()
    group_services.update_group(
        group=partners,
        expected_version=partners.version,
        display_name="Partner companies",
        description="Partner companies",
        requestable=True,
    )
    assert rows(start) == [
        (
            "group.update",
            "group:Partner companies",
            None,
            {"display_name": "Partners", "requestable": False},
            {"display_name": "Partner companies", "requestable": True},
        )
    ]
    start = mark()
    group_services.update_group(group=partners, expected_version=None, requestable=True)
    assert since(start) == []


def test_a_refused_update_leaves_no_record(partners, developers):
    start = mark()
    with pytest.raises(ConcurrentChangeError):
        group_services.update_group(
            group=partners, expected_version=partners.version + 5, display_name="Other"
        )
    with pytest.raises(ValidationError):
        group_services.update_group(group=partners, expected_version=None, display_name="")
    with pytest.raises(ValidationError):
        group_services.update_group(group=developers, expected_version=None, description="x")
    assert since(start) == []


def test_an_external_group_pointed_elsewhere_records_the_members_it_loses(
    external, developer, outsider
):
    group_services.add_directory_members(group=external, users=[developer, outsider], via="sign-in")
    start = mark()
    group_services.update_group(group=external, expected_version=None, external_id="aad://y")
    update, *removed = since(start)
    assert row(update) == (
        "group.update",
        "group:Directory people",
        None,
        {"external_id": "aad://x"},
        {"external_id": "aad://y"},
    )
    assert sorted(row(record) for record in removed) == [
        ("member.remove", "group:Directory people", f"user:{email}", {"source": "directory"}, None)
        for email in sorted([developer.email, outsider.email])
    ]
    assert {record.related_id for record in removed} == {str(developer.pk), str(outsider.pk)}
    assert all(record.cause_id == update.pk for record in removed)


def test_deleting_a_group_records_each_member_product_and_page_it_takes(
    partners, member, outsider, make_product
):
    group_services.add_members(group=partners, users=[outsider], added_by=None)
    deals = make_product("Partner Deals", groups=[partners])
    offers = make_product("Partner Offers", groups=[partners])
    page = content_services.create_page(
        title="Partner terms", slug="partner-terms", body="Terms", groups=[partners]
    )
    start = mark()
    group_services.delete_group(group=partners)
    deleted, *effects = since(start)
    assert row(deleted) == (
        "group.delete",
        "group:Partners",
        None,
        {
            "name": "partners",
            "display_name": "Partners",
            "description": "Partner companies",
            "type": "custom",
            "external_id": "",
            "requestable": False,
            "request_hint": "",
        },
        None,
    )
    assert sorted(row(effect) for effect in effects) == sorted(
        [
            ("member.remove", "group:Partners", f"user:{member.email}", None, None),
            ("member.remove", "group:Partners", f"user:{outsider.email}", None, None),
            ("access.revoke", "product:Partner Deals", "group:Partners", None, None),
            ("access.revoke", "product:Partner Offers", "group:Partners", None, None),
            ("page_access.revoke", "page:Partner terms", "group:Partners", None, None),
        ]
    )
    assert all(effect.cause_id == deleted.pk for effect in effects)
    revoked = {e.object_id for e in effects if e.action == "access.revoke"}
    assert revoked == {str(deals.pk), str(offers.pk)}
    assert {e.object_id for e in effects if e.action == "page_access.revoke"} == {str(page.pk)}
    assert {e.related_id for e in effects if e.action != "member.remove"} == {deleted.object_id}


def test_a_system_group_refused_deletion_leaves_no_record(developers):
    start = mark()
    with pytest.raises(ValidationError):
        group_services.delete_group(group=developers)
    assert since(start) == []


# Members


def test_adding_members_records_each_new_one_once(partners, member, outsider, make_user):
    third = make_user(email="third@example.com")
    start = mark()
    added = group_services.add_members(
        group=partners, users=[member, outsider, User(pk=third.pk)], added_by=None
    )
    assert added == 2
    assert rows(start) == [
        ("member.add", "group:Partners", f"user:{outsider.email}", None, None),
        ("member.add", "group:Partners", "user:third@example.com", None, None),
    ]
    start = mark()
    assert group_services.add_members(group=partners, users=[outsider], added_by=None) == 0
    assert since(start) == []


def test_members_refused_leave_no_record(external, developers, developer):
    start = mark()
    for group in (external, developers):
        with pytest.raises(ValidationError):
            group_services.add_members(group=group, users=[developer], added_by=None)
        with pytest.raises(ValidationError):
            group_services.remove_member(group=group, user=developer)
    assert since(start) == []


def test_removing_a_member_records_it_and_a_non_member_nothing(partners, member, outsider):
    start = mark()
    assert group_services.remove_member(group=partners, user=member)
    assert not group_services.remove_member(group=partners, user=outsider)
    [removed] = since(start)
    assert row(removed) == ("member.remove", "group:Partners", f"user:{member.email}", None, None)
    assert removed.related_id == str(member.pk)


def test_the_console_records_the_administrator_and_the_address(
    client, administrator, partners, member
):
    client.force_login(administrator)
    start = mark()
    client.post(
        reverse("groups:remove_member", args=[partners.name, member.pk]),
        REMOTE_ADDR="192.0.2.7",
    )
    [removed] = since(start)
    assert removed.action == "member.remove"
    assert (removed.actor_kind, removed.actor_id, removed.actor_label) == (
        Record.ActorKind.PERSON,
        str(administrator.pk),
        administrator.email,
    )
    assert (removed.via, removed.address) == (Record.Via.CONSOLE, "192.0.2.7")


def test_the_django_admin_records_its_surface(client, administrator, partners, developer):
    client.force_login(administrator)
    start = mark()
    response = client.post(
        reverse("admin:groups_membership_add"), {"group": partners.pk, "user": developer.pk}
    )
    assert response.status_code == 302
    [added] = since(start)
    assert (added.action, added.related_label) == ("member.add", developer.email)
    assert (added.actor_kind, added.via) == (Record.ActorKind.PERSON, Record.Via.ADMIN)


# The directory


def test_directory_members_are_recorded_with_their_source(external, developer, outsider):
    start = mark()
    assert (
        group_services.add_directory_members(
            group=external, users=[developer, outsider], via="provisioning"
        )
        == 2
    )
    assert (
        group_services.add_directory_members(group=external, users=[developer], via="provisioning")
        == 0
    )
    assert group_services.remove_directory_members(group=external, users=[outsider]) == 1
    assert group_services.remove_directory_members(group=external, users=[outsider]) == 0
    assert rows(start) == [
        (
            "member.add",
            "group:Directory people",
            f"user:{developer.email}",
            None,
            {"source": "directory"},
        ),
        (
            "member.add",
            "group:Directory people",
            f"user:{outsider.email}",
            None,
            {"source": "directory"},
        ),
        (
            "member.remove",
            "group:Directory people",
            f"user:{outsider.email}",
            {"source": "directory"},
            None,
        ),
    ]


def test_replacing_directory_members_records_who_left_and_who_joined(external, developer, outsider):
    group_services.add_directory_members(group=external, users=[developer], via="provisioning")
    start = mark()
    assert group_services.replace_directory_members(
        group=external, users=[outsider], via="provisioning"
    ) == (1, 1)
    assert rows(start) == [
        (
            "member.remove",
            "group:Directory people",
            f"user:{developer.email}",
            {"source": "directory"},
            None,
        ),
        (
            "member.add",
            "group:Directory people",
            f"user:{outsider.email}",
            None,
            {"source": "directory"},
        ),
    ]
    start = mark()
    group_services.replace_directory_members(group=external, users=[outsider], via="provisioning")
    assert since(start) == []


def test_directory_members_of_a_custom_group_are_refused_without_a_record(partners, developer):
    start = mark()
    with pytest.raises(ValidationError):
        group_services.add_directory_members(group=partners, users=[developer], via="sign-in")
    with pytest.raises(ValidationError):
        group_services.replace_directory_members(group=partners, users=[], via="sign-in")
    assert since(start) == []


def test_a_sign_in_sync_records_the_groups_joined_and_left(external, directory_group, developer):
    group_services.sync_directory_groups(user=developer, references=["aad://x"], via="sign-in")
    start = mark()
    result = group_services.sync_directory_groups(
        user=developer, references=["Partners-Directory"], via="sign-in"
    )
    assert result.changed
    assert rows(start) == [
        (
            "member.remove",
            "group:Directory people",
            f"user:{developer.email}",
            {"source": "directory"},
            None,
        ),
        (
            "member.add",
            "group:Partners (directory)",
            f"user:{developer.email}",
            None,
            {"source": "directory"},
        ),
    ]
    start = mark()
    group_services.sync_directory_groups(
        user=developer, references=["partners-directory"], via="sign-in"
    )
    assert since(start) == []


# Rules


def test_rules_are_recorded_when_added_and_deleted(partners, administrator):
    start = mark()
    rule = group_services.add_rule(
        group=partners, value="Partner.Example", created_by=administrator
    )
    values = {"rule": rule.pk, "kind": "email_domain", "claim": "", "value": "partner.example"}
    with pytest.raises(ValidationError):
        group_services.add_rule(group=partners, value="partner.example", created_by=None)
    with pytest.raises(ValidationError):
        group_services.add_rule(group=partners, value="not a domain", created_by=None)
    assert group_services.delete_rule(rule=rule)
    assert not group_services.delete_rule(rule=rule)
    assert rows(start) == [
        ("rule.create", "group:Partners", None, None, values),
        ("rule.delete", "group:Partners", None, values, None),
    ]


def test_members_a_rule_adds_name_the_rule(partners, make_user):
    rule = group_services.add_rule(group=partners, value="partner.example", created_by=None)
    first = make_user(email="a@partner.example")
    second = make_user(email="b@partner.example")
    Membership.objects.all().delete()
    start = mark()
    assert group_services.apply_rule(rule=rule) == 2
    assert group_services.apply_rule(rule=rule) == 0
    assert rows(start) == [
        ("member.add", "group:Partners", f"user:{person.email}", None, {"rule": rule.pk})
        for person in (first, second)
    ]


def test_an_activation_records_the_rules_it_applies(partners, make_user):
    rule = group_services.add_rule(group=partners, value="partner.example", created_by=None)
    pending = make_user(email="c@partner.example", state=User.State.PENDING)
    assert group_services.apply_rules(user=pending) == 0
    User.objects.filter(pk=pending.pk).update(state=User.State.ACTIVE)
    start = mark()
    activation.activated(user_id=pending.pk)
    assert rows(start, actions=("member.add",)) == [
        ("member.add", "group:Partners", "user:c@partner.example", None, {"rule": rule.pk})
    ]


def test_claim_rules_record_the_rule(partners, developer):
    rule = group_services.add_rule(
        group=partners,
        kind=GroupRule.Kind.CLAIM,
        claim="department",
        value="Sales",
        created_by=None,
    )
    start = mark()
    assert group_services.apply_claim_rules(user=developer, claims={"department": "sales"}) == 1
    assert group_services.apply_claim_rules(user=developer, claims={"department": "sales"}) == 0
    assert rows(start) == [
        ("member.add", "group:Partners", f"user:{developer.email}", None, {"rule": rule.pk})
    ]


# Requests to join


@pytest.fixture
def open_partners(partners):
    return group_services.update_group(group=partners, expected_version=None, requestable=True)


def test_a_request_and_its_approval_are_recorded_with_the_membership_it_gives(
    open_partners, developer, administrator
):
    start = mark()
    request = group_services.request_to_join(
        user=developer, group=open_partners, reason=" Partner at Contoso "
    )
    group_services.approve_request(request=request, decided_by=administrator)
    created, approved, added = since(start)
    person = f"user:{developer.email}"
    assert [row(created), row(approved), row(added)] == [
        (
            "request.create",
            "group:Partners",
            person,
            None,
            {"state": "submitted", "reason": "Partner at Contoso"},
        ),
        (
            "request.approve",
            "group:Partners",
            person,
            {"state": "submitted"},
            {"state": "approved"},
        ),
        ("member.add", "group:Partners", person, None, None),
    ]
    assert added.cause_id == approved.pk
    assert created.related_id == str(developer.pk)


def test_a_rejection_records_its_reason_and_a_withdrawal_its_state(
    open_partners, developer, outsider, administrator
):
    first = group_services.request_to_join(user=developer, group=open_partners, reason="Please")
    second = group_services.request_to_join(user=outsider, group=open_partners, reason="Me too")
    start = mark()
    group_services.reject_request(request=first, decided_by=administrator, reason="Not a partner")
    group_services.withdraw_request(request=second)
    assert rows(start) == [
        (
            "request.reject",
            "group:Partners",
            f"user:{developer.email}",
            {"state": "submitted"},
            {"state": "rejected", "reason": "Not a partner"},
        ),
        (
            "request.withdraw",
            "group:Partners",
            f"user:{outsider.email}",
            {"state": "submitted"},
            {"state": "withdrawn"},
        ),
    ]


def test_refused_requests_and_decisions_leave_no_record(
    open_partners, member, outsider, administrator
):
    waiting = group_services.request_to_join(user=outsider, group=open_partners, reason="Please")
    start = mark()
    with pytest.raises(ValidationError):  # already a member
        group_services.request_to_join(user=member, group=open_partners, reason="Again")
    with pytest.raises(ValidationError):  # one waiting already
        group_services.request_to_join(user=outsider, group=open_partners, reason="Again")
    with pytest.raises(ValidationError):  # a rejection needs a reason
        group_services.reject_request(request=waiting, decided_by=administrator, reason=" ")
    assert since(start) == []
    group_services.withdraw_request(request=waiting)
    start = mark()
    with pytest.raises(ValidationError):  # decided already
        group_services.approve_request(request=waiting, decided_by=administrator)
    assert since(start) == []
    assert GroupRequest.objects.get(pk=waiting.pk).state == "withdrawn"


# Invitations


@pytest.fixture
def invite(administrator, partners, mailoutbox, django_capture_on_commit_callbacks):
    def send(email="pat@partner.example"):
        with django_capture_on_commit_callbacks(execute=True):
            invitation = invitations.invite(
                email=email, first_name="Pat", groups=[partners], invited_by=administrator
            )
        return invitation, token_in(mailoutbox[-1].body)

    return send


def test_an_invitation_is_recorded_sent_resent_and_revoked_never_its_link(invite, partners):
    start = mark()
    invitation, token = invite()
    invitations.resend(invitation=invitation)
    assert invitations.revoke(invitation=invitation)
    assert not invitations.revoke(invitation=invitation)
    invitation.refresh_from_db()
    created, resent, revoked = since(start)
    assert [record.action for record in (created, resent, revoked)] == [
        "invitation.create",
        "invitation.resend",
        "invitation.revoke",
    ]
    assert {record.object_label for record in (created, resent, revoked)} == {"pat@partner.example"}
    assert created.after == {
        "email": "pat@partner.example",
        "first_name": "Pat",
        "last_name": "",
        "groups": [partners.pk],
        "expires_at": created.after["expires_at"],
    }
    assert resent.after == {"expires_at": invitation.expires_at.isoformat()}
    assert revoked.after == {"revoked_at": invitation.revoked_at.isoformat()}
    stored = str(Record.objects.filter(id__gt=start).values_list("before", "after"))
    assert token not in stored and invitation.token_hash not in stored


def test_an_expired_invitation_replaced_is_recorded_as_revoked_by_the_new_one(invite):
    old, _ = invite()
    Invitation.objects.filter(pk=old.pk).update(expires_at=old.expires_at - timedelta(days=30))
    start = mark()
    new, _ = invite()
    created, revoked = since(start)
    assert (created.action, created.object_id) == ("invitation.create", str(new.pk))
    assert (revoked.action, revoked.object_id) == ("invitation.revoke", str(old.pk))
    assert revoked.cause_id == created.pk


def test_an_accepted_invitation_records_the_memberships_it_gives(invite, partners):
    invitation, token = invite()
    start = mark()
    user = invitations.accept(token=token, first_name="Pat", last_name="Partner", password=PASSWORD)
    # The account's own record (user.create) belongs to the people's services.
    accepted, added = since(start, actions=("invitation.accept", "member.add"))
    assert row(accepted)[:3] == (
        "invitation.accept",
        "invitation:pat@partner.example",
        f"user:{user.email}",
    )
    assert row(added) == ("member.add", "group:Partners", f"user:{user.email}", None, None)
    assert added.cause_id == accepted.pk


def test_a_refused_invitation_or_acceptance_leaves_no_record(invite, developer):
    _, token = invite()
    start = mark()
    with pytest.raises(ValidationError):
        invitations.invite(email=developer.email, invited_by=None)
    with pytest.raises(ValidationError):
        invitations.invite(email="pat@partner.example", invited_by=None)
    with pytest.raises(ValidationError):
        invitations.accept(token=token, first_name="Pat", last_name="", password="short")
    with pytest.raises(ValidationError):
        invitations.accept(token="no-such-link", first_name="", last_name="", password=PASSWORD)
    assert since(start) == []


# Sign-in through the identity provider


def test_a_sign_in_records_its_groups_as_the_identity_provider_did(
    client, fake_provider, creates_accounts, directory_group, external
):
    start = mark()
    response = sign_in_through(client, fake_provider)
    assert response.status_code == 302
    [joined] = since(start, actions=("member.add", "member.remove"))
    assert row(joined) == (
        "member.add",
        "group:Partners (directory)",
        "user:new.person@partner.example",
        None,
        {"source": "directory"},
    )
    assert (joined.actor_kind, joined.via, joined.actor_label, joined.on_behalf_of) == (
        Record.ActorKind.DIRECTORY,
        Record.Via.SIGN_IN,
        "Contoso",
        "new.person@partner.example",
    )
    assert joined.address == "127.0.0.1"

    client.logout()
    fake_provider.claims["groups"] = ["aad://x"]
    start = mark()
    sign_in_through(client, fake_provider)
    left, joined = since(start)
    assert (left.action, left.object_label, left.actor_kind) == (
        "member.remove",
        "Partners (directory)",
        Record.ActorKind.DIRECTORY,
    )
    assert (joined.action, joined.object_label) == ("member.add", "Directory people")

    client.logout()
    start = mark()
    sign_in_through(client, fake_provider)
    assert since(start) == []


def test_a_refused_sign_in_leaves_no_record(client, fake_provider, directory_group, make_user):
    make_user(email="new.person@partner.example", state=User.State.BLOCKED)
    start = mark()
    sign_in_through(client, fake_provider)
    assert since(start) == []


def test_the_identity_providers_settings_are_recorded_without_the_secret(db):
    start = mark()
    sso_services.update_provider_settings(
        expected_version=None,
        display_name="Contoso",
        client_id="portico",
        client_secret="a-new-client-secret",
    )
    [saved] = since(start)
    assert saved.action == "settings.identity_provider"
    assert saved.after == {
        "display_name": "Contoso",
        "client_id": "portico",
        "client_credentials": "replaced",
    }
    assert "a-new-client-secret" not in str((saved.before, saved.after))
    start = mark()
    sso_services.update_provider_settings(expected_version=None, client_id="portico")
    assert since(start) == []


# SCIM provisioning


def test_scim_group_writes_are_recorded_once_each_as_the_token(scim, make_user):
    first = make_user(email="one@example.com")
    second = make_user(email="two@example.com")
    start = mark()
    made = scim.create(
        ScimGroup(display_name="Warehouse", members=[GroupMember(value=first.api_id)])
    )
    group = Group.objects.get(name=made.id)
    scim.modify(
        ScimGroup,
        made.id,
        PatchOp[ScimGroup](
            operations=[
                PatchOperation[ScimGroup](
                    op="replace", path="members", value=[{"value": second.api_id}]
                )
            ]
        ),
    )
    scim.delete(ScimGroup, made.id)
    records = since(start)
    assert [row(record) for record in records] == [
        (
            "group.create",
            "group:Warehouse",
            None,
            None,
            {
                "name": group.name,
                "display_name": "Warehouse",
                "description": "",
                "type": "external",
                "external_id": "Warehouse",
            },
        ),
        ("member.add", "group:Warehouse", "user:one@example.com", None, {"source": "directory"}),
        ("member.remove", "group:Warehouse", "user:one@example.com", {"source": "directory"}, None),
        ("member.add", "group:Warehouse", "user:two@example.com", None, {"source": "directory"}),
        ("group.delete", "group:Warehouse", None, records[4].before, None),
        ("member.remove", "group:Warehouse", "user:two@example.com", None, None),
    ]
    assert records[5].cause_id == records[4].pk
    assert {(record.actor_kind, record.via, record.actor_label) for record in records} == {
        (Record.ActorKind.TOKEN, Record.Via.SCIM, "Entra ID")
    }
