"""Writes to subscriptions: subscribe, approve and the other state changes, keys,
and the rule for developers who lose sight of a product or API they subscribed to."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any
from uuid import uuid4

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from apis import services as api_services
from apis.models import Api, ProductApi
from audit import context as audit_context
from audit.models import Record
from audit.services import Ref, changes, record, record_many, ref, snapshot
from groups.models import sight_keys
from portal import approvals, jobs, mail
from portal import services as user_services
from portal.entities import DeletionSummary
from portal.models import Job, User, is_administrator
from products import services as product_services
from products.models import Product
from subscriptions import notify
from subscriptions.models import (
    PendingAccessCheck,
    Subscription,
    SubscriptionSettings,
    new_subscription_key,
)
from subscriptions.rules import SubscriptionRefused, api_terms, refusal

MIN_KEY_LENGTH = 32
PAST_TENSE = {
    "approve": "approved",
    "reject": "rejected",
    "suspend": "suspended",
    "activate": "activated",
    "cancel": "cancelled",
}
RULE_FIELDS = ["state", "suspended_for_access", "state_comment"]
# What the activity record keeps of a subscription (never its keys).
RECORDED_FIELDS = [
    "sid",
    "display_name",
    "state",
    "owner",
    "product",
    "api",
    "state_comment",
    "allow_tracing",
    "granted",
    "granted_by",
    "beyond_sight",
]
SETTINGS_FIELDS = ["notification_email", "on_access_loss"]
SETTINGS_REF = Ref("settings", "subscriptions", "Subscription settings")


def _ref(subscription: Subscription) -> Ref:
    return ref(subscription, kind="subscription")


def _owner_ref(subscription: Subscription) -> Ref | None:
    """The owner as a record's other end, labelled by email (read only if not loaded)."""
    if subscription.owner_id is None:
        return None
    if Subscription._meta.get_field("owner").is_cached(subscription):
        email = subscription.owner.email if subscription.owner is not None else ""
    else:
        email = (
            User.objects.filter(pk=subscription.owner_id).values_list("email", flat=True).first()
            or ""
        )
    return Ref("user", str(subscription.owner_id), email)


def _record(
    action: str,
    subscription: Subscription,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> Record:
    return record(
        f"subscription.{action}",
        _ref(subscription),
        related=_owner_ref(subscription),
        before=before,
        after=after,
    )


def _record_deleted(rows: list[dict[str, Any]]) -> None:
    """subscription.delete for each of these (values read before they went), each with the
    state it had; one insert per state and scope, not one per subscription."""
    alike: dict[tuple[Any, ...], list[tuple[Ref, Ref | None]]] = {}
    for row in rows:
        subscription = Ref("subscription", str(row["pk"]), f"{row['display_name']} ({row['sid']})")
        owner = (
            Ref("user", str(row["owner_id"]), row["owner__email"] or "")
            if row["owner_id"] is not None
            else None
        )
        key = (row["state"], row["product_id"], row["api_id"])
        alike.setdefault(key, []).append((subscription, owner))
    for (state, product_id, api_id), pairs in alike.items():
        before = {"state": state, "product_id": product_id, "api_id": api_id}
        record_many("subscription.delete", pairs, before=before)


DELETED_VALUES = ("pk", "sid", "display_name", "state", "product_id", "api_id", "owner_id")


def _deleted_values(subscriptions: QuerySet[Subscription]) -> list[dict[str, Any]]:
    return list(subscriptions.values(*DELETED_VALUES, "owner__email"))


def _record_of(action: str, kind: str, pk: Any) -> int | None:
    """The record a lower layer's service just wrote about this object (its deletion), to be
    the cause of what this layer does with it; None when there is none."""
    return (
        Record.objects.filter(action=action, object_kind=kind, object_id=str(pk))
        .order_by("-id")
        .values_list("pk", flat=True)
        .first()
    )


@transaction.atomic
def subscribe(
    *,
    developer: Any,
    product: Product | None = None,
    api: Api | None = None,
    display_name: str,
    accepted_terms: bool = False,
    submission: str = "",
) -> Subscription:
    """Subscribe a developer to a product, or to one API, they can see.

    Products that need approval give a submitted subscription; others an
    active one. An API takes the approval, limit and terms of the products
    through which the developer sees it (rules.api_terms). The developer's
    row is locked first, so two requests at once can't both pass the limit,
    and a form sent again (the same `submission`) gets the subscription it
    made the first time.
    """
    _one_scope(product, api)
    User.objects.select_for_update().filter(pk=developer.pk).first()
    if submission:
        earlier = Subscription.objects.filter(owner=developer, submission=submission).first()
        if earlier is not None:
            return earlier
    refused = refusal(developer=developer, product=product, api=api)
    if refused is not None and refused.code == "not_visible":
        if api is not None:
            raise Api.DoesNotExist("No API matches the given query.")
        raise Product.DoesNotExist("No product matches the given query.")
    if refused is not None:
        raise refused
    if api is not None:
        terms = api_terms(developer=developer, api=api)
        needs_terms = bool(terms.with_terms)
        needs_approval = terms.approval_required
    else:
        needs_terms = bool(product and product.terms)
        needs_approval = bool(product and product.approval_required)
    if needs_terms and not accepted_terms:
        raise SubscriptionRefused(
            {"accept_terms": "Accept the terms of use to subscribe."}, code="terms"
        )
    subscription = Subscription(
        owner=developer,
        product=product,
        api=api,
        display_name=display_name,
        state=Subscription.State.SUBMITTED if needs_approval else Subscription.State.ACTIVE,
        activated_at=None if needs_approval else timezone.now(),
        submission=submission,
    )
    subscription.full_clean()
    subscription.save()
    _record("create", subscription, after=snapshot(subscription, RECORDED_FIELDS))
    if needs_approval:
        approvals.announce()
    return subscription


def _one_scope(product: Product | None, api: Api | None) -> None:
    if (product is None) == (api is None):
        raise ValidationError({"scope": "Subscribe to a product or to one API."}, code="scope")


@transaction.atomic
def create_subscription(
    *,
    sid: str,
    owner: Any,
    product: Product | None = None,
    api: Api | None = None,
    display_name: str,
    actor: Any,
    state: str | None = None,
    primary_key: str | None = None,
    secondary_key: str | None = None,
    state_comment: str = "",
    notify_owner: bool = False,
    allow_tracing: bool = False,
) -> Subscription:
    """An administrator's grant: a subscription made for a developer (the console's
    + Add subscription, the management API's PUT).

    The developer needs no sight of the product or API: the subscription
    stands on the grant, and the access-removed rule leaves it alone until
    the developer can see it (see reconcile_access). A blocked account is
    refused, and the limit holds, as in Azure. It starts as given,
    submitted or active; with no state, as the product says (submitted when
    it needs approval; for one API, when a product the developer sees it
    through does). notify_owner emails the developer (Azure's ?notify=true).
    """
    _one_scope(product, api)
    if actor is None or not is_administrator(actor):
        raise PermissionDenied("Only administrators grant subscriptions.")
    if state is None:
        if api is not None:
            needs_approval = (
                owner is not None and api_terms(developer=owner, api=api).approval_required
            )
        else:
            needs_approval = bool(product and product.approval_required)
        state = Subscription.State.SUBMITTED if needs_approval else Subscription.State.ACTIVE
    if state not in (Subscription.State.SUBMITTED, Subscription.State.ACTIVE):
        raise ValidationError(
            {"state": "A new subscription starts as submitted or active."}, code="state"
        )
    beyond_sight = False
    if owner is not None:
        # Locked and read afresh: two grants at once can't both pass the limit,
        # and a block made meanwhile is seen.
        owner = User.objects.select_for_update().get(pk=owner.pk)
        refused = refusal(developer=owner, product=product, api=api, on_behalf=True)
        if refused is not None and refused.code == "blocked":
            raise SubscriptionRefused({"owner": refused.messages}, code=refused.code)
        if refused is not None:
            raise refused
        if api is not None:
            beyond_sight = api.pk not in _apis_shared_with(owner, [api.pk])
        elif product is not None:
            beyond_sight = not Product.objects.shared_with(owner).filter(pk=product.pk).exists()
    subscription = Subscription(
        sid=sid,
        owner=owner,
        product=product,
        api=api,
        display_name=display_name,
        state=state,
        state_comment=_state_comment(state_comment),
        activated_at=timezone.now() if state == Subscription.State.ACTIVE else None,
        granted=True,
        granted_by=actor,
        beyond_sight=beyond_sight,
        allow_tracing=allow_tracing,
    )
    for field, given in (("primary_secret", primary_key), ("secondary_secret", secondary_key)):
        if given:
            setattr(subscription, field, _checked_key(str(given), field))
    if subscription.primary_secret == subscription.secondary_secret:
        raise ValidationError("The primary and secondary keys must differ.", code="same_key")
    subscription.full_clean()
    subscription.save()
    _record("create", subscription, after=snapshot(subscription, RECORDED_FIELDS))
    if notify_owner and owner is not None:
        mail.send_later(notify.subscription_granted, subscription_id=subscription.pk)
    return subscription


def _checked_key(key: str, field: str) -> str:
    """A key chosen by the caller: long enough, and no other subscription's key."""
    azure_name = {"primary_secret": "primaryKey", "secondary_secret": "secondaryKey"}[field]
    if len(key) < MIN_KEY_LENGTH:
        raise ValidationError(
            {field: f"{azure_name} needs at least {MIN_KEY_LENGTH} characters."}, code="short"
        )
    if Subscription.objects.filter(Q(primary_secret=key) | Q(secondary_secret=key)).exists():
        raise ValidationError({field: f"{azure_name} is already in use."}, code="taken")
    return key


@transaction.atomic
def change_state(*, subscription: Subscription, action: str, comment: str = "") -> Subscription:
    """Approve, reject, suspend, activate or cancel, where Azure allows it."""
    current = Subscription.objects.select_for_update().get(pk=subscription.pk)
    if action not in Subscription.TRANSITIONS:
        raise ValidationError(f"Unknown action “{action}”.", code="action")
    if not current.allows(action):
        raise ValidationError(
            f"A subscription that is {current.get_state_display().lower()} can't be "
            f"{PAST_TENSE[action]}.",
            code="transition",
        )
    _, target = Subscription.TRANSITIONS[action]
    was = snapshot(current, RULE_FIELDS)
    current.state = target
    current.suspended_for_access = False
    current.state_comment = _state_comment(comment)
    if target == Subscription.State.ACTIVE and current.activated_at is None:
        current.activated_at = timezone.now()
    if target in (Subscription.State.CANCELLED, Subscription.State.REJECTED):
        current.ended_at = timezone.now()
    current.full_clean()
    current.save()
    before, after = changes(was, snapshot(current, RULE_FIELDS))
    changed = _record(action, current, before=before, after=after)
    if target == Subscription.State.ACTIVE and current.owner_id is not None:
        # A request approved, or a subscription activated, for someone who
        # meanwhile lost sight of the product falls under the access rule;
        # what the rule does follows from this change.
        with audit_context.caused_by(changed.pk):
            reconcile_access(
                owner_ids=[current.owner_id],
                product_ids=[current.product_id] if current.product_id else [],
                api_ids=[current.api_id] if current.api_id else [],
            )
        current.refresh_from_db()
    # Approved but suspended at once by the access rule: the developer gets
    # the rule's "access removed" email instead of a misleading "approved".
    if action == "approve" and current.state == Subscription.State.ACTIVE:
        mail.send_later(notify.subscription_approved, subscription_id=current.pk)
    elif action == "reject":
        mail.send_later(notify.subscription_rejected, subscription_id=current.pk)
    return current


@transaction.atomic
def set_state_comment(*, subscription: Subscription, comment: str) -> Subscription:
    """Change the comment on a subscription's state, which stays as it is."""
    current = Subscription.objects.select_for_update().get(pk=subscription.pk)
    comment = _state_comment(comment)
    if current.state_comment != comment:
        before = {"state_comment": current.state_comment}
        current.state_comment = comment
        current.full_clean()
        current.save(update_fields=["state_comment"])
        _record("update", current, before=before, after={"state_comment": comment})
    return current


def _state_comment(comment: str) -> str:
    """A comment on a state as it is kept: trimmed, and never holding NUL, which the
    console passes on as typed and PostgreSQL refuses in text."""
    if "\x00" in comment:
        raise ValidationError(
            {"state_comment": "A comment can't contain NUL characters."}, code="null_characters"
        )
    return comment.strip()


@transaction.atomic
def update_settings(*, notification_email: str, on_access_loss: str) -> SubscriptionSettings:
    """Save the console's subscription settings.

    A changed access rule applies from the next change of sight; existing
    subscriptions are not revisited.
    """
    current = SubscriptionSettings.load()
    was = snapshot(current, SETTINGS_FIELDS)
    current.notification_email = notification_email
    current.on_access_loss = on_access_loss
    current.full_clean()
    current.save()
    before, after = changes(was, snapshot(current, SETTINGS_FIELDS))
    if after:
        record("settings.subscriptions", SETTINGS_REF, before=before, after=after)
    return current


@transaction.atomic
def regenerate_key(*, subscription: Subscription, which: str) -> Subscription:
    """Replace the primary or secondary key; the old one stops working at once."""
    field = {"primary": "primary_secret", "secondary": "secondary_secret"}[which]
    # Re-read under lock and write only this field, so a state change made
    # since the caller read the row is never undone.
    current = Subscription.objects.select_for_update().get(pk=subscription.pk)
    setattr(current, field, new_subscription_key())
    current.save(update_fields=[field])
    # Which key was replaced, never its value.
    _record("keys", current, after={"regenerated": which})
    return current


@transaction.atomic
def rename_subscription(*, subscription: Subscription, display_name: str) -> Subscription:
    """Give a subscription another name; nothing else changes."""
    current = Subscription.objects.select_for_update().get(pk=subscription.pk)
    was = current.display_name
    current.display_name = display_name
    current.full_clean()
    current.save(update_fields=["display_name"])
    if was != current.display_name:
        _record(
            "update",
            current,
            before={"display_name": was},
            after={"display_name": current.display_name},
        )
    return current


@transaction.atomic
def set_allow_tracing(*, subscription: Subscription, allow_tracing: bool) -> Subscription:
    """Let calls made with this subscription's keys ask for a trace, or stop them."""
    current = Subscription.objects.select_for_update().get(pk=subscription.pk)
    if current.allow_tracing != allow_tracing:
        current.allow_tracing = allow_tracing
        current.save(update_fields=["allow_tracing"])
        _record(
            "update",
            current,
            before={"allow_tracing": not allow_tracing},
            after={"allow_tracing": allow_tracing},
        )
    return current


@transaction.atomic
def delete_subscription(*, subscription: Subscription) -> None:
    """Delete a subscription; its keys stop working at once."""
    current = Subscription.objects.select_for_update().filter(pk=subscription.pk).first()
    if current is None:
        return
    gone, before, related = _ref(current), snapshot(current, RECORDED_FIELDS), _owner_ref(current)
    current.delete()
    record("subscription.delete", gone, related=related, before=before)


@transaction.atomic
def delete_product(*, product: Product, delete_subscriptions: bool = False) -> DeletionSummary:
    """Delete a product, with its subscriptions when asked (Azure's deleteSubscriptions).

    A product that still has subscriptions is refused otherwise.
    """
    count = product.subscriptions.count()
    if count and not delete_subscriptions:
        raise ValidationError(
            f"{product.display_name} has {count} subscription{'s' if count != 1 else ''}, "
            "ended ones included: delete them together with the product.",
            code="has_subscriptions",
        )
    deleted = _deleted_values(product.subscriptions.all()) if count else []
    product.subscriptions.all().delete()
    # Developers may have seen some of its APIs through it alone.
    api_ids = list(ProductApi.objects.filter(product=product).values_list("api_id", flat=True))
    product_pk = product.pk
    summary = product_services.delete_product(product=product)
    # The subscriptions, and what the rule does, follow from the product's deletion.
    if deleted or api_ids:
        with audit_context.caused_by(_record_of("product.delete", "product", product_pk)):
            _record_deleted(deleted)
            if api_ids:
                reconcile_access(api_ids=api_ids)
    if count:
        summary = DeletionSummary(
            display_name=summary.display_name,
            consequences=[*summary.consequences, f"its {count} subscriptions were deleted"],
        )
    return summary


@transaction.atomic
def delete_api(*, api: Api, delete_subscriptions: bool = False) -> DeletionSummary:
    """Delete an API, with its own subscriptions when asked (Azure's deleteSubscriptions).

    An API that still has subscriptions to it alone is refused otherwise;
    subscriptions to products that contain it stay.
    """
    count = api.subscriptions.count()
    if count and not delete_subscriptions:
        raise ValidationError(
            f"{api.display_name} has {count} subscription{'s' if count != 1 else ''} to it "
            "alone, ended ones included: delete them together with the API.",
            code="has_subscriptions",
        )
    deleted = _deleted_values(api.subscriptions.all()) if count else []
    api.subscriptions.all().delete()
    api_pk = api.pk
    summary = api_services.delete_api(api=api)
    if deleted:
        with audit_context.caused_by(_record_of("api.delete", "api", api_pk)):
            _record_deleted(deleted)
    if count:
        summary = DeletionSummary(
            display_name=summary.display_name,
            consequences=[*summary.consequences, f"its {count} subscriptions were deleted"],
        )
    return summary


@transaction.atomic
def delete_user(*, user: User, actor: Any, delete_subscriptions: bool = False) -> None:
    """Close an account, with its subscriptions when asked (Azure's deleteSubscriptions)."""
    if not delete_subscriptions and user.subscriptions.exists():
        raise ValidationError(
            "The user has subscriptions; pass deleteSubscriptions=true to delete them too.",
            code="has_subscriptions",
        )
    # The account's deletion takes its subscriptions, and records each (on_user_deleting).
    user_services.delete_user(user=user, actor=actor)


# Subscriptions whose keys work now, or will once approved: closing the
# account cancels these before anything else goes.
OPEN_STATES = (
    Subscription.State.ACTIVE,
    Subscription.State.SUBMITTED,
    Subscription.State.SUSPENDED,
)


@transaction.atomic
def close_account(*, user: User, actor: Any) -> int:
    """An administrator deletes someone's account, as the console's Delete does.

    The account's open subscriptions are cancelled first, then its
    subscriptions, memberships and the account itself are deleted in the
    same transaction: their keys stop working with it. Refused for one's
    own account and for the last active administrator, with nothing changed.
    Returns how many subscriptions were cancelled.
    """
    return _close(user=user, actor=actor, own=False)


@transaction.atomic
def close_own_account(*, user: User, password: str) -> int:
    """A developer deletes their own account from the profile, after re-entering the password.

    A wrong password is a field error and nothing changes. Otherwise as
    close_account().
    """
    if not password or not user.check_password(password):
        raise ValidationError(
            {"password": "That isn't your current password. Nothing was deleted."},
            code="password",
        )
    return _close(user=user, actor=user, own=True)


def _close(*, user: User, actor: Any, own: bool) -> int:
    # Called inside the caller's transaction: a refusal from the portal's
    # rules (one's own account, the last administrator) rolls back the
    # cancellations too, so nothing changes.
    owned = Subscription.objects.filter(owner_id=user.pk)
    cancelled = owned.filter(state__in=OPEN_STATES).update(
        state=Subscription.State.CANCELLED,
        suspended_for_access=False,
        ended_at=timezone.now(),
    )
    # The account's deletion takes its subscriptions, and records each (on_user_deleting).
    user_services.delete_user(user=user, actor=actor, own=own)
    return cancelled


# What the record keeps of a subscription that goes with its owner's account.
DELETED_FIELDS = ("sid", "display_name", "state", "product", "api", "owner")


def on_user_deleting(*, user: User, user_ref: Ref, **kwargs: Any) -> None:
    """An account's deletion takes its subscriptions: subscription.delete for each, with
    the owner, caused by the user.delete record (portal.services.delete_user sends this)."""
    for owned in Subscription.objects.filter(owner_id=user.pk).order_by("pk"):
        record(
            "subscription.delete",
            ref(owned),
            related=user_ref,
            before=snapshot(owned, DELETED_FIELDS),
        )


# --- The access rule ------------------------------------------------------------------------

ACCESS_RULE = "subscriptions.access_rule"
# Subscriptions looked at in one transaction; an owner's subscriptions stay in one batch
# (and so in one email) unless they alone fill it.
ACCESS_RULE_BATCH = 500
# Past this many people, one change's markers become a single "everyone" marker.
MARKED_PEOPLE_LIMIT = 1000

SUSPEND, RESTORE, SEEN_NOW, LEFT_ALONE = "suspend", "restore", "seen now", "left alone"


@dataclass
class AccessRuleOutcome:
    """What one run of the rule did."""

    looked_at: int = 0
    suspended: int = 0
    restored: int = 0
    # Granted beyond sight and still unseen: the rule has no sight to take away.
    left_alone: int = 0
    emails: int = 0
    suspended_ids: list[int] = dataclass_field(default_factory=list)

    def summary(self) -> str:
        return (
            f"Suspended {_count(self.suspended, 'subscription')}, restored {self.restored:,}, "
            f"left {self.left_alone:,} alone (granted beyond sight)"
        )


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


def _candidates(
    owner_ids: Iterable[int] | None,
    product_ids: Iterable[int] | None,
    api_ids: Iterable[int] | None,
) -> QuerySet[Subscription]:
    """The subscriptions a change of sight may concern (see reconcile_access)."""
    candidates = Subscription.objects.filter(owner__isnull=False).filter(
        Q(state=Subscription.State.ACTIVE) | Q(suspended_for_access=True) | Q(beyond_sight=True)
    )
    if owner_ids is not None:
        candidates = candidates.filter(owner_id__in=list(owner_ids))
    if product_ids is not None or api_ids is not None:
        products = list(product_ids or [])
        candidates = candidates.filter(
            Q(product_id__in=products)
            | Q(api_id__in=list(api_ids or []))
            | Q(api_id__in=ProductApi.objects.filter(product_id__in=products).values("api_id"))
        )
    return candidates


def _suspends() -> bool:
    return SubscriptionSettings.load().on_access_loss == SubscriptionSettings.AccessLoss.SUSPEND


def _seen(owner: User, subscriptions: list[Subscription]) -> set[int]:
    """Of these subscriptions, the pks of those whose product or API this owner sees.

    Every subscription given is judged by this owner's sight: the batch
    passes the subscriptions of everyone who sees exactly what the owner sees.
    """
    product_ids = [s.product_id for s in subscriptions if s.product_id]
    shared = (
        set(
            Product.objects.shared_with(owner)
            .filter(pk__in=product_ids)
            .values_list("pk", flat=True)
        )
        if product_ids
        else set()
    )
    shared_apis = _apis_shared_with(owner, [s.api_id for s in subscriptions if s.api_id])
    return {
        s.pk
        for s in subscriptions
        if (s.product_id in shared if s.product_id is not None else s.api_id in shared_apis)
    }


def _verdict(subscription: Subscription, *, sees: bool, suspend: bool) -> str | None:
    """The rule for one subscription: what it does now, given sight and the console's setting.

    An administrator's grant on a product or API its owner could not see
    stands on the grant (beyond_sight): left alone while unseen, an ordinary
    subscription once seen.
    """
    if subscription.beyond_sight:
        return SEEN_NOW if sees else LEFT_ALONE
    if subscription.is_active and not sees and suspend:
        return SUSPEND
    if subscription.suspended_for_access and sees:
        return RESTORE
    return None


def _batch(
    candidates: QuerySet[Subscription], after: tuple[int, int] | None, size: int
) -> list[Subscription]:
    """The next batch, locked, in (owner, id) order after `after`, ending on an owner's last row."""
    if after is not None:
        owner_id, pk = after
        candidates = candidates.filter(Q(owner_id__gt=owner_id) | Q(owner_id=owner_id, pk__gt=pk))
    rows = list(candidates.order_by("owner_id", "pk").select_for_update()[: size + 1])
    if len(rows) <= size:
        return rows
    beyond = rows.pop()
    if beyond.owner_id == rows[-1].owner_id and rows[0].owner_id != beyond.owner_id:
        # The last owner has more rows past the batch: leave all of theirs to the next.
        rows = [row for row in rows if row.owner_id != beyond.owner_id]
    return rows


def _apply(rows: list[Subscription], suspend: bool, outcome: AccessRuleOutcome) -> None:
    """Apply the rule to one locked batch: one UPDATE per kind of change, one email per owner."""
    owners = User.objects.in_bulk({row.owner_id for row in rows})
    # People who are in the same groups see the same: sight is asked once per such set.
    keys = sight_keys(list(owners.values()))
    alike: dict[tuple[Any, ...], list[Subscription]] = {}
    for row in rows:
        alike.setdefault(keys[row.owner_id], []).append(row)  # type: ignore[index]
    to_suspend: dict[int, list[int]] = {}
    to_restore: list[int] = []
    now_seen: list[int] = []
    for judged in alike.values():
        seen = _seen(owners[judged[0].owner_id], judged)  # type: ignore[index]
        for row in judged:
            verdict = _verdict(row, sees=row.pk in seen, suspend=suspend)
            if verdict == SUSPEND:
                to_suspend.setdefault(row.owner_id, []).append(row.pk)  # type: ignore[arg-type]
            elif verdict == RESTORE:
                to_restore.append(row.pk)
            elif verdict == SEEN_NOW:
                now_seen.append(row.pk)
            elif verdict == LEFT_ALONE:
                outcome.left_alone += 1
    # The rows are locked, and each UPDATE names the state it found: only the
    # rule's fields (and the version) are written, so a key regenerated or a
    # comment edited meanwhile is never written back.
    suspended_ids = [pk for ids in to_suspend.values() for pk in ids]
    if suspended_ids:
        outcome.suspended += Subscription.objects.filter(
            pk__in=suspended_ids, state=Subscription.State.ACTIVE, beyond_sight=False
        ).update(
            state=Subscription.State.SUSPENDED,
            suspended_for_access=True,
            state_comment=Subscription.ACCESS_REMOVED,
            version=F("version") + 1,
        )
    if to_restore:
        outcome.restored += Subscription.objects.filter(
            pk__in=to_restore, state=Subscription.State.SUSPENDED, suspended_for_access=True
        ).update(
            state=Subscription.State.ACTIVE,
            suspended_for_access=False,
            state_comment="",
            version=F("version") + 1,
        )
    if now_seen:
        Subscription.objects.filter(pk__in=now_seen, beyond_sight=True).update(
            beyond_sight=False, version=F("version") + 1
        )
    _record_rule(rows, owners, suspended_ids, to_restore, now_seen)
    for owner_id, ids in to_suspend.items():
        # In the batch's transaction: the email is recorded once, with the suspension.
        mail.send_later(notify.access_removed, owner_id=owner_id, subscription_ids=ids)
        outcome.emails += 1
    outcome.suspended_ids.extend(suspended_ids)
    outcome.looked_at += len(rows)


# What the rule writes, as the activity record keeps it.
RULE_SUSPENDS = (
    {"state": Subscription.State.ACTIVE, "suspended_for_access": False},
    {
        "state": Subscription.State.SUSPENDED,
        "suspended_for_access": True,
        "state_comment": Subscription.ACCESS_REMOVED,
    },
)
RULE_RESTORES = (RULE_SUSPENDS[1], {**RULE_SUSPENDS[0], "state_comment": ""})


def _record_rule(
    rows: list[Subscription],
    owners: dict[Any, User],
    suspended: list[int],
    restored: list[int],
    now_seen: list[int],
) -> None:
    """One record per subscription the rule changed, in the batch's transaction: suspended,
    made active again, or a grant beyond sight that its owner now sees."""
    by_pk = {row.pk: row for row in rows}

    def pairs(ids: list[int]) -> list[tuple[Ref, Ref | None]]:
        found: list[tuple[Ref, Ref | None]] = []
        for pk in ids:
            row = by_pk[pk]
            owner = owners.get(row.owner_id)
            found.append((_ref(row), Ref("user", str(row.owner_id), owner.email if owner else "")))
        return found

    if suspended:
        before, after = RULE_SUSPENDS
        record_many("subscription.suspend", pairs(suspended), before=before, after=after)
    if restored:
        before, after = RULE_RESTORES
        record_many("subscription.activate", pairs(restored), before=before, after=after)
    if now_seen:
        record_many(
            "subscription.update",
            pairs(now_seen),
            before={"beyond_sight": True},
            after={"beyond_sight": False},
        )


def _reconcile(candidates: QuerySet[Subscription], *, job: Job | None = None) -> AccessRuleOutcome:
    """Work through the candidates batch by batch, each batch in its own transaction."""
    suspend = _suspends()
    outcome = AccessRuleOutcome()
    after: tuple[int, int] | None = None
    while True:
        with transaction.atomic():
            rows = _batch(candidates, after, ACCESS_RULE_BATCH)
            if not rows:
                break
            _apply(rows, suspend, outcome)
            if job is not None:
                jobs.progress(job, outcome.looked_at, max(job.total or 0, outcome.looked_at))
        after = (rows[-1].owner_id, rows[-1].pk)  # type: ignore[assignment]
    return outcome


def reconcile_access(
    *,
    owner_ids: Iterable[int] | None = None,
    product_ids: Iterable[int] | None = None,
    api_ids: Iterable[int] | None = None,
) -> AccessRuleOutcome:
    """Apply the console's rule for developers who lost, or regained, sight of products or APIs.

    With the "suspend" rule, active subscriptions to products no longer
    shared with their owner, or to APIs in no product shared with them, are
    suspended ("Access removed") and the owner is told. Whatever the rule,
    subscriptions this rule suspended become active again once the owner
    sees their product or API again. Publishing state plays no part, as in
    Azure.

    An administrator's grant on a product or API its owner could not see
    stands on the grant (beyond_sight): the rule leaves it alone, since there
    is no sight to lose. Once the owner can see it, it is an ordinary
    subscription, and losing that sight again suspends it like any other.

    product_ids and api_ids name what changed; the subscriptions looked at
    are those to these products, to these APIs and to the APIs now in
    these products. Neither given: every subscription (of owner_ids).

    This runs here and now, for changes that concern a handful of rows (one
    subscription approved); a change of sight runs it as a job
    (on_sight_changed).
    """
    return _reconcile(_candidates(owner_ids, product_ids, api_ids))


def _apis_shared_with(owner: User, api_ids: list[int]) -> set[int]:
    """Of these APIs, those in a product shared with the owner (all, for an administrator)."""
    if not api_ids:
        return set()
    if is_administrator(owner):
        return set(api_ids)
    return set(
        ProductApi.objects.filter(
            api_id__in=api_ids, product__in=Product.objects.shared_with(owner).values("pk")
        ).values_list("api_id", flat=True)
    )


def on_sight_changed(
    *,
    owner_ids: list[int] | None = None,
    product_ids: list[int] | None = None,
    api_ids: list[int] | None = None,
    **_: Any,
) -> None:
    """The funnel's listener (portal.sight): start the access rule's job for what changed.

    Called inside the change's transaction, it counts the subscriptions
    concerned (one COUNT), writes the markers that keep the key check
    consistent until the job is done (PendingAccessCheck), and records the
    job: all three commit with the change, or none does.
    """
    total = _candidates(owner_ids, product_ids, api_ids).count()
    if not total:
        return
    ticket = uuid4()
    _mark(ticket, owner_ids, product_ids, api_ids)
    jobs.start(
        ACCESS_RULE,
        title=f"Access rule: checking {_count(total, 'subscription')}"
        + _scope(owner_ids, product_ids, api_ids),
        params={
            "owner_ids": owner_ids,
            "product_ids": product_ids,
            "api_ids": api_ids,
            "ticket": str(ticket),
        },
        total=total,
    )


def _mark(
    ticket: Any,
    owner_ids: list[int] | None,
    product_ids: list[int] | None,
    api_ids: list[int] | None,
) -> None:
    """Markers at least as wide as the job's candidates (wider only costs the check a query)."""
    if owner_ids is not None and len(owner_ids) <= MARKED_PEOPLE_LIMIT:
        markers = [PendingAccessCheck(ticket=ticket, owner_id=pk) for pk in owner_ids]
    elif owner_ids is None and (product_ids is not None or api_ids is not None):
        markers = [PendingAccessCheck(ticket=ticket, product_id=pk) for pk in product_ids or []]
        markers += [PendingAccessCheck(ticket=ticket, api_id=pk) for pk in api_ids or []]
    else:
        markers = [PendingAccessCheck(ticket=ticket, everyone=True)]
    PendingAccessCheck.objects.bulk_create(markers, batch_size=500)


def _scope(
    owner_ids: list[int] | None, product_ids: list[int] | None, api_ids: list[int] | None
) -> str:
    """The end of the job's title: whose, or to what."""
    if product_ids is not None and len(product_ids) == 1 and not api_ids:
        name = Product.objects.filter(pk=product_ids[0]).values_list("display_name", flat=True)
        return f" to {name.first() or 'a deleted product'}"
    if product_ids or api_ids:
        parts = []
        if product_ids:
            parts.append(_count(len(product_ids), "product"))
        if api_ids:
            parts.append(_count(len(api_ids), "API"))
        return " to " + " and ".join(parts)
    if owner_ids is not None and len(owner_ids) == 1:
        email = User.objects.filter(pk=owner_ids[0]).values_list("email", flat=True).first()
        return f" of {email}" if email else ""
    if owner_ids is not None:
        return f" of {_count(len(owner_ids), 'developer')}"
    return ""


@jobs.handler(ACCESS_RULE, announce=True)
def _run_access_rule(job: Job) -> str:
    """The job: the rule, batch by batch, from the rows as they are now; then the markers go.

    A rerun (a worker died, a retry) starts again from the first row: what
    an earlier run did is no longer a change to make, so it is neither made
    nor emailed twice.
    """
    params = job.params
    outcome = _reconcile(
        _candidates(params["owner_ids"], params["product_ids"], params["api_ids"]), job=job
    )
    PendingAccessCheck.objects.filter(ticket=params["ticket"]).delete()
    return outcome.summary()


def access_rule_pending_refuses(subscription_id: int) -> bool:
    """Whether the access rule, still on its way to this subscription, will suspend it.

    The key check asks this only when a marker matches the subscription; the
    answer comes from the rule's own code (_seen, _verdict), from the state
    of sight now.
    """
    subscription = (
        Subscription.objects.select_related("owner")
        .filter(pk=subscription_id, owner__isnull=False)
        .first()
    )
    if subscription is None or subscription.owner is None or not subscription.is_active:
        return False
    sees = subscription.pk in _seen(subscription.owner, [subscription])
    return _verdict(subscription, sees=sees, suspend=_suspends()) == SUSPEND
