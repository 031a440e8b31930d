"""Who may subscribe to what, and what the product page offers: one answer for
the page and the services alike.

A subscription to one API takes the rules of the products through which the
developer sees that API (those needing a subscription): it needs approval
when any of them does, the lowest of their limits holds for the API, and
their terms are accepted together. So subscribing to an API alone never
skips an approval or terms that a product containing it asks for.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError

from apis.models import Api, ProductApi
from portal.models import User
from products.models import Product
from subscriptions.models import Subscription

# Azure's own words, which scripts written against Azure may look for.
AZURE_LIMIT_MESSAGE = "Subscriptions limit reached for same user."
PREVIEW_MESSAGE = "Subscribing is switched off in a preview."


class SubscriptionRefused(ValidationError):
    """A developer may not subscribe; the message says why and what to do."""


@dataclass(frozen=True)
class ApiTerms:
    """What subscribing to one API takes, from the products the developer sees it through."""

    # Those products that need a subscription, by name.
    products: list[Product]
    approval_required: bool
    # The lowest of their limits, or None when none has one.
    subscriptions_limit: int | None
    # Those of them with terms of use, all accepted at once.
    with_terms: list[Product]


def api_terms(*, developer: Any, api: Api) -> ApiTerms:
    """The approval, limit and terms of a subscription to this API for this developer."""
    products = list(
        Product.objects.visible_to(developer)
        .filter(
            pk__in=ProductApi.objects.filter(api=api).values("product_id"),
            subscription_required=True,
        )
        .order_by("display_name_key")
    )
    limits = [p.subscriptions_limit for p in products if p.subscriptions_limit is not None]
    return ApiTerms(
        products=products,
        approval_required=any(p.approval_required for p in products),
        subscriptions_limit=min(limits) if limits else None,
        with_terms=[p for p in products if p.terms],
    )


def refusal(
    *,
    developer: Any,
    product: Product | None = None,
    api: Api | None = None,
    on_behalf: bool = False,
    seen: bool = False,
    held: list[Subscription] | None = None,
) -> SubscriptionRefused | None:
    """Why this developer may not subscribe to this product now; None when they may.

    A developer subscribing themselves must see the product, the product
    must need a subscription, a request waiting for approval comes first,
    and the product's limit holds. An administrator granting someone a
    subscription (the console's + Add subscription, the management API)
    needs no sight of the product, as in Azure, but the account must not
    be blocked, and the limit holds as Azure holds it. The product page and
    the services both ask this.

    Given an API instead of a product, the same checks hold for the API,
    with the limit from `api_terms`.

    A caller that has just read the product through visible_to(developer)
    says so with seen=True; one that has read every subscription the
    developer has to it (newest first) passes them as held. The rules are
    the same; they are only not read twice.
    """
    if on_behalf and developer.state == User.State.BLOCKED:
        return SubscriptionRefused(
            f"{developer.email} is blocked: unblock the account before granting it a subscription.",
            code="blocked",
        )
    if api is not None:
        return _api_refusal(developer=developer, api=api, on_behalf=on_behalf)
    if product is None:
        raise TypeError("refusal() needs a product or an API.")
    if (
        not on_behalf
        and not seen
        and not Product.objects.visible_to(developer).filter(pk=product.pk).exists()
    ):
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
        if held is None:
            waiting = mine.filter(state=Subscription.State.SUBMITTED).first()
        else:
            waiting = next((s for s in held if s.state == Subscription.State.SUBMITTED), None)
        if waiting is not None:
            return SubscriptionRefused(
                f"Your request “{waiting.display_name}” is still waiting for approval. You can "
                "subscribe again once an administrator has answered it.",
                code="pending",
            )
    limit = product.subscriptions_limit
    if limit is not None and _holding(mine, held) >= limit:
        if on_behalf:
            return SubscriptionRefused(AZURE_LIMIT_MESSAGE, code="limit")
        return SubscriptionRefused(
            f"You have reached this product's limit of {limit} "
            f"subscription{'s' if limit != 1 else ''} per developer. "
            "Cancel one on your profile to subscribe again.",
            code="limit",
        )
    return None


def _holding(mine: Any, held: list[Subscription] | None) -> int:
    """How many subscriptions count towards the limit: counted in held when given."""
    if held is None:
        return int(mine.holding().count())
    return sum(1 for s in held if s.state in Subscription.HOLDING_STATES)


def _api_refusal(*, developer: Any, api: Api, on_behalf: bool) -> SubscriptionRefused | None:
    if not on_behalf and not Api.objects.visible_to(developer).filter(pk=api.pk).exists():
        return SubscriptionRefused(
            "The developer can't see this API, so can't subscribe to it.", code="not_visible"
        )
    mine = Subscription.objects.filter(owner=developer, api=api)
    if not on_behalf:
        if not api.subscription_required:
            return SubscriptionRefused("This API is open: it needs no subscription.", code="open")
        waiting = mine.filter(state=Subscription.State.SUBMITTED).first()
        if waiting is not None:
            return SubscriptionRefused(
                f"Your request “{waiting.display_name}” is still waiting for approval. You can "
                "subscribe again once an administrator has answered it.",
                code="pending",
            )
    limit = api_terms(developer=developer, api=api).subscriptions_limit
    if limit is not None and mine.holding().count() >= limit:
        if on_behalf:
            return SubscriptionRefused(AZURE_LIMIT_MESSAGE, code="limit")
        return SubscriptionRefused(
            f"You have reached this API's limit of {limit} "
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


# How many of their subscriptions a product's page shows a developer.
OFFER_SHOWN = 20


def offer(
    *,
    viewer: User | AnonymousUser,
    product: Product,
    previewing: bool = False,
    seen: bool = False,
) -> Offer | None:
    """Subscribe, or why not, for a signed-in developer; None where subscribing doesn't apply.

    seen=True: the caller read the product through visible_to(viewer).
    """
    if not product.subscription_required or not isinstance(viewer, User):
        return None
    if previewing:
        return Offer(refused=PREVIEW_MESSAGE)
    latest = list(
        Subscription.objects.filter(owner=viewer, product=product).order_by("-created_at", "-pk")[
            : OFFER_SHOWN + 1
        ]
    )
    # When they all fit, the rules look through these for a waiting request
    # and count them against the limit, instead of asking again.
    held = latest if len(latest) <= OFFER_SHOWN else None
    refused = refusal(developer=viewer, product=product, seen=seen, held=held)
    return Offer(mine=latest[:OFFER_SHOWN], refused=refused.messages[0] if refused else "")


def api_offer(*, viewer: User | AnonymousUser, api: Api, previewing: bool = False) -> Offer | None:
    """Subscribe to one API, or why not, for a signed-in developer who sees it.

    None for visitors, for an open API and for one the viewer can't see.
    """
    if not api.subscription_required or not isinstance(viewer, User):
        return None
    if not Api.objects.visible_to(viewer).filter(pk=api.pk).exists():
        return None
    if previewing:
        return Offer(refused=PREVIEW_MESSAGE)
    mine = list(
        Subscription.objects.filter(owner=viewer, api=api).order_by("-created_at", "-pk")[:20]
    )
    refused = refusal(developer=viewer, api=api)
    return Offer(mine=mine, refused=refused.messages[0] if refused else "")
