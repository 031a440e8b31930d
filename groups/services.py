"""Writes to groups and memberships; the console, the admin and the API call these."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.dispatch import Signal
from django.utils import timezone

from audit import context as audit_context
from audit.services import Ref, record, record_many, ref, snapshot
from audit.services import changes as value_changes
from groups import notify
from groups.models import Group, GroupRequest, GroupRule, Membership, system_group_error
from portal import approvals, mail, sight
from portal.entities import DeletionSummary, decide, insert_links, update_entity
from portal.models import User

# What the activity record keeps of a group: at creation, and then whatever
# of these changes.
CREATED_FIELDS = ("name", "display_name", "description", "type", "external_id")
RECORDED_FIELDS = (*CREATED_FIELDS, "requestable", "request_hint")
# How a directory's membership is marked in the record (provisioning or sign-in).
FROM_DIRECTORY = {"source": "directory"}

# Sent by delete_group, inside its transaction and before the group goes,
# with group= and group_ref= (the group as the record names it). The apps
# above groups whose links to a group its deletion takes (a product's
# access, a page's) record their removal here, caused by the group.delete
# record: groups knows none of them (the dependency order).
group_deleting = Signal()


def _people(users: Iterable[Any], ids: Iterable[int]) -> list[Ref]:
    """The records' refs for these people (by pk), labelled with their email.

    The emails come from the users given when they are loaded, else from
    one query.
    """
    wanted = list(ids)
    emails = {user.pk: user.email for user in users if getattr(user, "email", "")}
    missing = [pk for pk in wanted if pk not in emails]
    if missing:
        emails.update(User.objects.filter(pk__in=missing).values_list("pk", "email"))
    return [Ref("user", str(pk), emails.get(pk, "")) for pk in wanted]


def _record_members(
    action: str,
    group: Group,
    people: list[Ref],
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """member.add or member.remove for each person, in one group."""
    if people:
        group_ref = ref(group)
        record_many(action, [(group_ref, person) for person in people], before=before, after=after)


def _rule_values(rule: GroupRule) -> dict[str, Any]:
    return {"rule": rule.pk, "kind": rule.kind, "claim": rule.claim, "value": rule.value}


def _request_values(request: GroupRequest) -> dict[str, Any]:
    values: dict[str, Any] = {"state": request.state}
    if request.state == GroupRequest.State.SUBMITTED:
        values["reason"] = request.reason
    elif request.decision_reason:
        values["reason"] = request.decision_reason
    return values


def _record_request(action: str, request: GroupRequest, decided: GroupRequest | None = None) -> int:
    """request.<verb> for a request to join a group: object the group, related the person.

    The group and person are read from the request as the caller gave it
    (the inbox loads them with it); the state from the decided one.
    """
    return record(
        action,
        ref(request.group),
        related=Ref("user", str(request.user_id), request.user.email),
        before=None if decided is None else {"state": GroupRequest.State.SUBMITTED.value},
        after=_request_values(decided or request),
    ).pk


@transaction.atomic
def create_group(
    *, name: str, display_name: str, description: str = "", external_id: str = ""
) -> Group:
    """Create a custom group (or an external one when given an external ID)."""
    group = Group(
        name=name,
        display_name=display_name,
        description=description,
        type=Group.Type.EXTERNAL if external_id else Group.Type.CUSTOM,
        external_id=external_id,
    )
    group.full_clean()
    group.save()
    record("group.create", ref(group), after=snapshot(group, CREATED_FIELDS))
    return group


@transaction.atomic
def update_group(*, group: Group, expected_version: int | None, **changes: Any) -> Group:
    """Save new settings unless someone else saved the group since it was read.

    An external group pointed at another directory group loses its members:
    they came from the group it followed, and join again as the directory
    names them (at sign-in or provisioning).
    """
    if group.is_system:
        raise system_group_error(group)
    current = Group.objects.select_for_update().get(pk=group.pk)
    before = snapshot(current, RECORDED_FIELDS)
    updated = update_entity(group, expected_version=expected_version, changes=changes)
    old, new = value_changes(before, snapshot(updated, RECORDED_FIELDS))
    cause = record("group.update", ref(updated), before=old, after=new).pk if new else None
    if updated.type == Group.Type.EXTERNAL and updated.directory_key != current.directory_key:
        gone = list(updated.memberships.order_by("user_id").values_list("user_id", "user__email"))
        if gone:
            Membership.objects.filter(group=updated).delete()
            with audit_context.caused_by(cause):
                _record_members(
                    "member.remove",
                    updated,
                    [Ref("user", str(pk), email) for pk, email in gone],
                    before=FROM_DIRECTORY,
                )
            sight.changed(people=[pk for pk, _ in gone])
    return updated


@transaction.atomic
def delete_group(*, group: Group) -> DeletionSummary:
    """Delete a custom group with its memberships and product links."""
    if group.is_system:
        raise system_group_error(group)
    members = list(group.memberships.values_list("user_id", "user__email").order_by("user_id"))
    member_ids = [pk for pk, _ in members]
    count = len(member_ids)
    group_ref = ref(group)
    deleted = record("group.delete", group_ref, before=snapshot(group, RECORDED_FIELDS))
    with audit_context.caused_by(deleted.pk):
        _record_members("member.remove", group, [Ref("user", str(pk), e) for pk, e in members])
        group_deleting.send(sender=delete_group, group=group, group_ref=group_ref)
    group.delete()
    sight.changed(people=member_ids)
    return DeletionSummary(
        display_name=group.display_name,
        consequences=[f"{count} member{'s' if count != 1 else ''} lost the membership"],
    )


@transaction.atomic
def add_members(
    *, group: Group, users: Iterable[Any], added_by: Any, rule: GroupRule | None = None
) -> int:
    """Add people to a group; those already in it stay as they are.

    Returns how many were added. Safe to repeat and to race: the unique
    (group, user) constraint lets exactly one insert win, and the losers,
    each in its own savepoint, count nothing.
    """
    if group.is_system:
        raise system_group_error(group, field="group")
    if group.type == Group.Type.EXTERNAL:
        raise external_group_error(group)
    users = list(users)
    added = insert_links(
        Membership,
        fixed={"group": group},
        key="user_id",
        ids=(user.pk for user in users),
        added_by=added_by,
        extra={"added_by_rule": rule},
    )
    if added:
        _record_members(
            "member.add",
            group,
            _people(users, added),
            after={"rule": rule.pk} if rule is not None else None,
        )
        sight.changed(people=added)
    return len(added)


def external_group_error(group: Group) -> ValidationError:
    return ValidationError(
        {
            "group": f"{group.display_name} is an external group: its members come from the "
            "directory (sign-in or provisioning), so they can't be added or removed here."
        },
        code="external_group",
    )


def _refuse_unless_external(group: Group) -> None:
    if group.type != Group.Type.EXTERNAL:
        raise ValidationError(
            {"group": f"{group.display_name} isn't an external group."}, code="not_external"
        )


@dataclass(frozen=True)
class DirectorySync:
    """What a sign-in's groups claim changed: the external groups joined, left and kept."""

    added: list[Group]
    removed: list[Group]
    kept: list[Group]

    @property
    def changed(self) -> bool:
        return bool(self.added or self.removed)


@transaction.atomic
def sync_directory_groups(*, user: User, references: Iterable[Any], via: str) -> DirectorySync:
    """Make a person's external memberships exactly the groups the directory names.

    references are the directory's ids or names (a groups claim); groups it
    names that Portico has no external group for are ignored. Custom-group
    memberships are never touched. One transaction: the person's row is
    locked, so two sign-ins at once apply one after the other.
    """
    User.objects.select_for_update().filter(pk=user.pk).first()
    wanted = {group.pk: group for group in Group.objects.for_directory(references)}
    current = {
        membership.group_id: membership
        for membership in Membership.objects.filter(
            user=user, group__type=Group.Type.EXTERNAL
        ).select_related("group")
    }
    now = timezone.now()
    added_ids = [pk for pk in wanted if pk not in current]
    removed = [current[pk].group for pk in current if pk not in wanted]
    if removed:
        Membership.objects.filter(user=user, group__in=[group.pk for group in removed]).delete()
    Membership.objects.filter(
        user=user, group_id__in=[pk for pk in current if pk in wanted]
    ).update(synced_via=via, synced_at=now)
    joined = [
        pk
        for pk in added_ids
        if insert_links(
            Membership,
            fixed={"group": wanted[pk]},
            key="user_id",
            ids=[user.pk],
            added_by=None,
            extra={"synced_via": via, "synced_at": now},
        )
    ]
    result = DirectorySync(
        added=[wanted[pk] for pk in added_ids],
        removed=removed,
        kept=[wanted[pk] for pk in wanted if pk in current],
    )
    person = ref(user, kind="user", label=user.email)
    record_many("member.remove", [(ref(group), person) for group in removed], before=FROM_DIRECTORY)
    record_many("member.add", [(ref(wanted[pk]), person) for pk in joined], after=FROM_DIRECTORY)
    if result.changed:
        sight.changed(people=[user.pk])
    return result


@transaction.atomic
def add_directory_members(*, group: Group, users: Iterable[Any], via: str) -> int:
    """The directory puts people in an external group (provisioning); how many were new."""
    _refuse_unless_external(group)
    users = list(users)
    people = [user.pk for user in users]
    now = timezone.now()
    Membership.objects.filter(group=group, user__in=people).update(synced_via=via, synced_at=now)
    added = insert_links(
        Membership,
        fixed={"group": group},
        key="user_id",
        ids=people,
        added_by=None,
        extra={"synced_via": via, "synced_at": now},
    )
    if added:
        _record_members("member.add", group, _people(users, added), after=FROM_DIRECTORY)
        sight.changed(people=added)
    return len(added)


@transaction.atomic
def remove_directory_members(*, group: Group, users: Iterable[Any]) -> int:
    """The directory takes people out of an external group; how many were members."""
    _refuse_unless_external(group)
    people = [user.pk for user in users]
    gone = list(
        Membership.objects.filter(group=group, user__in=people)
        .order_by("user_id")
        .values_list("user_id", "user__email")
    )
    if gone:
        Membership.objects.filter(group=group, user__in=[pk for pk, _ in gone]).delete()
        _record_members(
            "member.remove",
            group,
            [Ref("user", str(pk), email) for pk, email in gone],
            before=FROM_DIRECTORY,
        )
        sight.changed(people=[pk for pk, _ in gone])
    return len(gone)


@transaction.atomic
def replace_directory_members(*, group: Group, users: Iterable[Any], via: str) -> tuple[int, int]:
    """The directory says who is in an external group, all of them: (added, removed)."""
    _refuse_unless_external(group)
    users = list(users)
    people = {user.pk for user in users}
    current = set(Membership.objects.filter(group=group).values_list("user_id", flat=True))
    removed = remove_directory_members(group=group, users=[User(pk=pk) for pk in current - people])
    added = add_directory_members(group=group, users=users, via=via)
    return added, removed


@transaction.atomic
def remove_member(*, group: Group, user: Any) -> bool:
    """Take a person out of a group; True when they were in it."""
    if group.is_system:
        raise system_group_error(group, field="group")
    if group.type == Group.Type.EXTERNAL:
        raise external_group_error(group)
    deleted, _ = Membership.objects.filter(group=group, user=user).delete()
    if deleted:
        _record_members("member.remove", group, _people([user], [user.pk]))
        sight.changed(people=[user.pk])
    return deleted > 0


@transaction.atomic
def add_rule(
    *,
    group: Group,
    value: str,
    created_by: Any,
    kind: str = GroupRule.Kind.EMAIL_DOMAIN,
    claim: str = "",
) -> GroupRule:
    """Give a custom group a rule: an email domain, or an identity provider claim's value.

    Refused (naming the field) if the domain or claim isn't one, the group
    has the rule already, or the group is a system or external group.
    """
    if group.is_system:
        raise system_group_error(group, field="group")
    if group.type == Group.Type.EXTERNAL:
        raise external_group_error(group)
    if kind not in GroupRule.Kind.values:
        raise ValidationError({"kind": "Choose an email domain or a claim."})
    rule = GroupRule(group=group, kind=kind, value=value, claim=claim, created_by=created_by)
    rule.full_clean(exclude=["created_by"])
    try:
        with transaction.atomic():
            rule.save()
    except IntegrityError:  # the same rule was added a moment ago
        raise ValidationError({"value": "The group has this rule already."}) from None
    record("rule.create", ref(group), after=_rule_values(rule))
    return rule


@transaction.atomic
def delete_rule(*, rule: GroupRule) -> bool:
    """Delete a rule; the people it added stay members. False when it was gone."""
    current = GroupRule.objects.select_related("group").filter(pk=rule.pk).first()
    if current is None:
        return False
    values = _rule_values(current)
    deleted, _ = GroupRule.objects.filter(pk=current.pk).delete()
    if deleted:
        record("rule.delete", ref(current.group), before=values)
    return deleted > 0


def rule_candidates(rule: GroupRule) -> models.QuerySet[User]:
    """The active accounts applying the rule would add to its group now.

    The preview lists these and applying adds these: one query for both.
    A claim rule has none: Portico keeps nobody's claims, so it applies
    only at a person's first sign-in through the identity provider.
    """
    if rule.is_claim:
        return User.objects.none()
    domain = rule.value
    return (
        User.objects.active()
        .filter(email__iendswith="@" + domain)
        .exclude(memberships__group_id=rule.group_id)
        .order_by("email", "pk")
    )


@transaction.atomic
def apply_rule(*, rule: GroupRule) -> int:
    """Add the active accounts the rule matches to its group; how many were added."""
    candidates = list(rule_candidates(rule))
    return add_members(group=rule.group, users=candidates, added_by=None, rule=rule)


@transaction.atomic
def apply_rules(*, user: User) -> int:
    """Put an account that has just become active in every group whose rule matches."""
    if not user.is_active:
        return 0
    added = 0
    rules = GroupRule.objects.matching(user).filter(group__type=Group.Type.CUSTOM)
    for rule in rules.select_related("group").order_by("group_id", "pk"):
        added += add_members(group=rule.group, users=[user], added_by=None, rule=rule)
    return added


@transaction.atomic
def apply_claim_rules(*, user: User, claims: dict[str, Any]) -> int:
    """At a person's first sign-in through the identity provider: join every group
    whose claim rule the ID token's claims satisfy. How many groups were joined."""
    if not user.is_active:
        return 0
    added = 0
    for rule in GroupRule.objects.filter(group__type=Group.Type.CUSTOM).matching_claims(claims):
        added += add_members(group=rule.group, users=[user], added_by=None, rule=rule)
    return added


def on_account_activated(*, user_id: int, **kwargs: Any) -> None:
    """Rules follow every activation, whichever path made it (see portal.activation)."""
    user = User.objects.filter(pk=user_id).first()
    if user is not None:
        apply_rules(user=user)


def on_user_deleting(*, user: User, user_ref: Ref, **kwargs: Any) -> None:
    """An account's deletion takes its memberships: member.remove in each group, caused
    by the user.delete record (portal.services.delete_user sends this), saying how the
    person was a member when a rule or the directory made them one."""
    memberships = user.memberships.order_by("group_id").values_list(
        "group_id", "group__display_name", "added_by_rule_id", "synced_via"
    )
    # One batch for each way of having been a member: by hand, by a rule, by the directory.
    by_how: dict[str, tuple[dict[str, Any] | None, list[tuple[Ref, Ref | None]]]] = {}
    for group_id, display_name, rule_id, synced_via in memberships:
        if synced_via:
            how: dict[str, Any] | None = {"source": "directory"}
        else:
            how = None if rule_id is None else {"rule": rule_id}
        rows = by_how.setdefault(repr(how), (how, []))[1]
        rows.append((Ref("group", str(group_id), display_name), user_ref))
    for before, rows in by_how.values():
        record_many("member.remove", rows, before=before)


ALREADY_WAITING = (
    "You already asked to join this group; your request is waiting for an administrator."
)


def request_to_join(*, user: Any, group: Group, reason: str) -> GroupRequest:
    """Ask to join a requestable custom group; the administrators get an email.

    Refused (ValidationError) when the group isn't open to requests, the
    person is already a member, or one of their requests is still waiting.
    """
    reason = reason.strip()
    if group.type != Group.Type.CUSTOM or not group.requestable:
        raise ValidationError({"group": "This group doesn't take requests to join."})
    if not reason:
        raise ValidationError({"reason": "Say why you need to join."})
    if Membership.objects.filter(group=group, user=user).exists():
        raise ValidationError({"group": f"You are already a member of {group.display_name}."})
    request = GroupRequest(user=user, group=group, reason=reason)
    request.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            request.save()
            _record_request("request.create", request)
            approvals.announce()
    except IntegrityError:
        # The one-waiting-request constraint: a second tab or a double click.
        raise ValidationError({"group": ALREADY_WAITING}) from None
    return request


@transaction.atomic
def approve_request(*, request: GroupRequest, decided_by: Any) -> GroupRequest:
    """Add the person to the group they asked for and tell them by email."""
    decided = decide(request, GroupRequest.State.APPROVED, decided_by, "")
    decided.save()
    approved = _record_request("request.approve", request, decided)
    with audit_context.caused_by(approved):
        add_members(group=decided.group, users=[decided.user], added_by=decided_by)
    mail.send_later(notify.request_approved, request_id=decided.pk)
    return decided


@transaction.atomic
def reject_request(*, request: GroupRequest, decided_by: Any, reason: str) -> GroupRequest:
    """Refuse a request; the person gets the reason by email."""
    decided = decide(request, GroupRequest.State.REJECTED, decided_by, reason)
    decided.save()
    _record_request("request.reject", request, decided)
    mail.send_later(notify.request_rejected, request_id=decided.pk)
    return decided


@transaction.atomic
def withdraw_request(*, request: GroupRequest) -> GroupRequest:
    """The developer takes back a request that is still waiting."""
    decided = decide(request, GroupRequest.State.WITHDRAWN, request.user, "")
    decided.save()
    _record_request("request.withdraw", request, decided)
    return decided
