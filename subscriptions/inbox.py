"""Subscription requests (to products that need approval), as the approvals inbox lists them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from portal import approvals
from subscriptions import services
from subscriptions.models import Subscription, SubscriptionQuerySet


def _waiting() -> SubscriptionQuerySet:
    return Subscription.objects.filter(state=Subscription.State.SUBMITTED)


def _search(items: SubscriptionQuerySet, query: str) -> SubscriptionQuerySet:
    return items.search(query)


def _load(ids: list[int]) -> dict[int, Subscription]:
    return Subscription.objects.select_related("owner", "product", "api").in_bulk(ids)


def _approve(subscription: Subscription, actor: Any, data: Mapping[str, Any]) -> str:
    current = services.change_state(subscription=subscription, action="approve")
    if current.state != Subscription.State.ACTIVE:
        return (
            f"{subscription.display_name} was approved, then suspended at once: its owner "
            f"can no longer see {subscription.scope_label}."
        )
    return f"{subscription.display_name} is active now; its owner got an email saying so."


def _reject(subscription: Subscription, actor: Any, reason: str) -> str:
    services.change_state(subscription=subscription, action="reject", comment=reason)
    return f"{subscription.display_name} was rejected; its owner got your reason."


def _summary(subscription: Subscription) -> str:
    owner = subscription.owner
    who = f"{owner.display_name} <{owner.email}>" if owner else "Someone"
    return f"{who} asks to subscribe to {subscription.scope_in_words}"


SUBSCRIPTION_REQUESTS = approvals.Kind(
    key="subscription",
    label="Subscription requests",
    noun="subscription request",
    waiting=_waiting,
    since="created_at",
    search=_search,
    load=_load,
    template="subscriptions/approval_row.html",
    approve=_approve,
    reject=_reject,
    summary=_summary,
    order=40,
)
