"""Who may subscribe to what, and what the product page offers: one answer for
the page and the services alike."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError

from portal.models import User
from products.models import Product
from subscriptions.models import Subscription

# Azure's own words, which scripts written against Azure may look for.
AZURE_LIMIT_MESSAGE = "Subscriptions limit reached for same user."
PREVIEW_MESSAGE = "Subscribing is switched off in a preview."


class SubscriptionRefused(ValidationError):
    """A developer may not subscribe; the message says why and what to do."""


def refusal(
    *, developer: Any, product: Product, on_behalf: bool = False
) -> SubscriptionRefused | None:
    """Why this developer may not subscribe to this product now; None when they may.

    A developer subscribing themselves must see the product, the product
    must need a subscription, a request waiting for approval comes first,
    and the product's limit holds. An administrator granting someone a
    subscription (the console's + Add subscription, the management API)
    needs no sight of the product, as in Azure, but the account must not
    be blocked, and the limit holds as Azure holds it. The product page and
    the services both ask this.
    """
    if on_behalf:
        if developer.state == User.State.BLOCKED:
            return SubscriptionRefused(
                f"{developer.email} is blocked: unblock the account before granting it a "
                "subscription.",
                code="blocked",
            )
    elif not Product.objects.visible_to(developer).filter(pk=product.pk).exists():
        return SubscriptionRefused(
            "The developer can't see this product, so can't subscribe to it.",
            code="not_visible",
        )
    mine = Subscription.objects.filter(owner=developer, product=product)
    if not on_behalf:
        if not product.subscription_required:
            return SubscriptionRefused(
                "This product is open: its APIs need no subscription.", code="open"
            )
        waiting = mine.filter(state=Subscription.State.SUBMITTED).first()
        if waiting is not None:
            return SubscriptionRefused(
                f"Your request “{waiting.display_name}” is still waiting for approval. You can "
                "subscribe again once an administrator has answered it.",
                code="pending",
            )
    limit = product.subscriptions_limit
    if limit is not None and mine.holding().count() >= limit:
        if on_behalf:
            return SubscriptionRefused(AZURE_LIMIT_MESSAGE, code="limit")
        return SubscriptionRefused(
            f"You have reached this product's limit of {limit} "
            f"subscription{'s' if limit != 1 else ''} per developer. "
            "Cancel one on your profile to subscribe again.",
            code="limit",
        )
    return None


@dataclass(frozen=True)
class Offer:
    """What a product's page offers the person looking at it."""

    # Their latest subscriptions to the product.
    mine: list[Subscription] = field(default_factory=list)
    # Why Subscribe is switched off, or "" when it is on.
    refused: str = ""


def offer(
    *, viewer: User | AnonymousUser, product: Product, previewing: bool = False
) -> Offer | None:
    """Subscribe, or why not, for a signed-in developer; None where subscribing doesn't apply."""
    if not product.subscription_required or not isinstance(viewer, User):
        return None
    if previewing:
        return Offer(refused=PREVIEW_MESSAGE)
    mine = list(
        Subscription.objects.filter(owner=viewer, product=product).order_by("-created_at", "-pk")[
            :20
        ]
    )
    refused = refusal(developer=viewer, product=product)
    return Offer(mine=mine, refused=refused.messages[0] if refused else "")
