"""Writes to subscriptions: subscribe, approve and the other state changes, keys,
and the rule for developers who lose sight of a product they subscribed to."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from portal import mail
from portal import services as user_services
from portal.entities import DeletionSummary
from portal.models import User, is_administrator
from products import services as product_services
from products.models import Product
from subscriptions import notify
from subscriptions.models import Subscription, SubscriptionSettings, new_subscription_key
from subscriptions.rules import SubscriptionRefused, refusal

MIN_KEY_LENGTH = 32
PAST_TENSE = {
    "approve": "approved",
    "reject": "rejected",
    "suspend": "suspended",
    "activate": "activated",
    "cancel": "cancelled",
}
RULE_FIELDS = ["state", "suspended_for_access", "state_comment"]


@transaction.atomic
def subscribe(
    *,
    developer: Any,
    product: Product,
    display_name: str,
    accepted_terms: bool = False,
    submission: str = "",
) -> Subscription:
    """Subscribe a developer to a product they can see.

    Products that need approval give a submitted subscription; others an
    active one. The developer's row is locked first, so two requests at
    once can't both pass the limit, and a form sent again (the same
    `submission`) gets the subscription it made the first time.
    """
    User.objects.select_for_update().filter(pk=developer.pk).first()
    if submission:
        earlier = Subscription.objects.filter(owner=developer, submission=submission).first()
        if earlier is not None:
            return earlier
    refused = refusal(developer=developer, product=product)
    if refused is not None and refused.code == "not_visible":
        raise Product.DoesNotExist("No product matches the given query.")
    if refused is not None:
        raise refused
    if product.terms and not accepted_terms:
        raise SubscriptionRefused(
            {"accept_terms": "Accept the terms of use to subscribe."}, code="terms"
        )
    needs_approval = product.approval_required
    subscription = Subscription(
        owner=developer,
        product=product,
        display_name=display_name,
        state=Subscription.State.SUBMITTED if needs_approval else Subscription.State.ACTIVE,
        activated_at=None if needs_approval else timezone.now(),
        submission=submission,
    )
    subscription.full_clean()
    subscription.save()
    if needs_approval:
        mail.send_later(notify.subscription_waiting, subscription_id=subscription.pk)
    return subscription


@transaction.atomic
def create_subscription(
    *,
    sid: str,
    owner: Any,
    product: Product,
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

    The developer needs no sight of the product: the subscription stands on
    the grant, and the access-removed rule leaves it alone until the
    developer can see the product (see reconcile_access). A blocked account
    is refused, and the product's limit holds, as in Azure. It starts as
    given, submitted or active; with no state, as the product says
    (submitted when it needs approval). notify_owner emails the developer
    (Azure's ?notify=true).
    """
    if actor is None or not is_administrator(actor):
        raise PermissionDenied("Only administrators grant subscriptions.")
    if state is None:
        state = (
            Subscription.State.SUBMITTED if product.approval_required else Subscription.State.ACTIVE
        )
    if state not in (Subscription.State.SUBMITTED, Subscription.State.ACTIVE):
        raise ValidationError(
            {"state": "A new subscription starts as submitted or active."}, code="state"
        )
    beyond_sight = False
    if owner is not None:
        # Locked and read afresh: two grants at once can't both pass the limit,
        # and a block made meanwhile is seen.
        owner = User.objects.select_for_update().get(pk=owner.pk)
        refused = refusal(developer=owner, product=product, on_behalf=True)
        if refused is not None and refused.code == "blocked":
            raise SubscriptionRefused({"owner": refused.messages}, code=refused.code)
        if refused is not None:
            raise refused
        beyond_sight = not Product.objects.shared_with(owner).filter(pk=product.pk).exists()
    subscription = Subscription(
        sid=sid,
        owner=owner,
        product=product,
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
    current.state = target
    current.suspended_for_access = False
    current.state_comment = _state_comment(comment)
    if target == Subscription.State.ACTIVE and current.activated_at is None:
        current.activated_at = timezone.now()
    if target in (Subscription.State.CANCELLED, Subscription.State.REJECTED):
        current.ended_at = timezone.now()
    current.full_clean()
    current.save()
    if target == Subscription.State.ACTIVE and current.owner_id is not None:
        # A request approved, or a subscription activated, for someone who
        # meanwhile lost sight of the product falls under the access rule.
        reconcile_access(owner_ids=[current.owner_id], product_ids=[current.product_id])
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
        current.state_comment = comment
        current.full_clean()
        current.save(update_fields=["state_comment"])
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
    current.notification_email = notification_email
    current.on_access_loss = on_access_loss
    current.full_clean()
    current.save()
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
    return current


@transaction.atomic
def rename_subscription(*, subscription: Subscription, display_name: str) -> Subscription:
    """Give a subscription another name; nothing else changes."""
    current = Subscription.objects.select_for_update().get(pk=subscription.pk)
    current.display_name = display_name
    current.full_clean()
    current.save(update_fields=["display_name"])
    return current


@transaction.atomic
def set_allow_tracing(*, subscription: Subscription, allow_tracing: bool) -> Subscription:
    """Let calls made with this subscription's keys ask for a trace, or stop them."""
    current = Subscription.objects.select_for_update().get(pk=subscription.pk)
    if current.allow_tracing != allow_tracing:
        current.allow_tracing = allow_tracing
        current.save(update_fields=["allow_tracing"])
    return current


@transaction.atomic
def delete_subscription(*, subscription: Subscription) -> None:
    """Delete a subscription; its keys stop working at once."""
    Subscription.objects.filter(pk=subscription.pk).delete()


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
    product.subscriptions.all().delete()
    summary = product_services.delete_product(product=product)
    if count:
        summary = DeletionSummary(
            display_name=summary.display_name,
            consequences=[*summary.consequences, f"its {count} subscriptions were deleted"],
        )
    return summary


@transaction.atomic
def delete_user(*, user: User, actor: Any, delete_subscriptions: bool = False) -> None:
    """Close an account, with its subscriptions when asked (Azure's deleteSubscriptions)."""
    if user.subscriptions.exists():
        if not delete_subscriptions:
            raise ValidationError(
                "The user has subscriptions; pass deleteSubscriptions=true to delete them too.",
                code="has_subscriptions",
            )
        user.subscriptions.all().delete()
    user_services.delete_user(user=user, actor=actor)


def reconcile_access(
    *, owner_ids: Iterable[int] | None = None, product_ids: Iterable[int] | None = None
) -> None:
    """Apply the console's rule for developers who lost, or regained, sight of products.

    With the "suspend" rule, active subscriptions to products no longer
    shared with their owner are suspended ("Access removed") and the owner
    is told. Whatever the rule, subscriptions this rule suspended become
    active again once the product is shared with the owner again.
    Publishing state plays no part, as in Azure.

    An administrator's grant on a product its owner could not see stands on
    the grant (beyond_sight): the rule leaves it alone, since there is no
    sight to lose. Once the owner can see the product, it is an ordinary
    subscription, and losing that sight again suspends it like any other.
    """
    suspend = SubscriptionSettings.load().on_access_loss == SubscriptionSettings.AccessLoss.SUSPEND
    candidates = Subscription.objects.filter(owner__isnull=False).filter(
        Q(state=Subscription.State.ACTIVE) | Q(suspended_for_access=True) | Q(beyond_sight=True)
    )
    if owner_ids is not None:
        candidates = candidates.filter(owner_id__in=list(owner_ids))
    if product_ids is not None:
        candidates = candidates.filter(product_id__in=list(product_ids))
    owner_ids_found = set(candidates.values_list("owner_id", flat=True))
    for owner in User.objects.filter(pk__in=owner_ids_found):
        suspended = []
        with transaction.atomic():
            # Locked and written field by field, so a key regenerated or a
            # state changed meanwhile is never written back.
            subscriptions = list(candidates.filter(owner=owner).select_for_update())
            shared = set(
                Product.objects.shared_with(owner)
                .filter(pk__in=[s.product_id for s in subscriptions])
                .values_list("pk", flat=True)
            )
            for subscription in subscriptions:
                sees = subscription.product_id in shared
                if subscription.beyond_sight:
                    if sees:
                        subscription.beyond_sight = False
                        subscription.save(update_fields=["beyond_sight"])
                    continue
                if subscription.is_active and not sees and suspend:
                    subscription.state = Subscription.State.SUSPENDED
                    subscription.suspended_for_access = True
                    subscription.state_comment = Subscription.ACCESS_REMOVED
                    subscription.save(update_fields=RULE_FIELDS)
                    suspended.append(subscription.pk)
                elif subscription.suspended_for_access and sees:
                    subscription.state = Subscription.State.ACTIVE
                    subscription.suspended_for_access = False
                    subscription.state_comment = ""
                    subscription.save(update_fields=RULE_FIELDS)
            if suspended:
                mail.send_later(
                    notify.access_removed, owner_id=owner.pk, subscription_ids=suspended
                )


def on_sight_changed(
    *, owner_ids: list[int] | None = None, product_ids: list[int] | None = None, **_: Any
) -> None:
    """The funnel's listener (portal.sight): apply the access rule to what changed."""
    reconcile_access(owner_ids=owner_ids, product_ids=product_ids)
