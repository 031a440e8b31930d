"""Email about subscriptions, sent through portal.mail.send_later, never inside a transaction."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from portal import mail
from portal.models import User
from subscriptions.models import Subscription, SubscriptionSettings


def _send(template: str, context: dict, recipients: list[str]) -> None:
    context = {**context, "profile_url": settings.PORTICO_BASE_URL + reverse("portal:profile")}
    mail.send_templated(f"subscriptions/email/{template}", context, recipients)


def administrators_addresses() -> list[str]:
    """The console's notification address, or every active administrator's."""
    address = SubscriptionSettings.load().notification_email
    if address:
        return [address]
    return list(User.objects.administrators().values_list("email", flat=True))


def subscription_approved(*, subscription_id: int) -> None:
    subscription = Subscription.objects.select_related("owner", "product", "api").get(
        pk=subscription_id
    )
    if subscription.owner:
        _send("subscription_approved", {"subscription": subscription}, [subscription.owner.email])


def subscription_rejected(*, subscription_id: int) -> None:
    subscription = Subscription.objects.select_related("owner", "product", "api").get(
        pk=subscription_id
    )
    if subscription.owner:
        _send("subscription_rejected", {"subscription": subscription}, [subscription.owner.email])


def access_removed(*, owner_id: int, subscription_ids: list[int]) -> None:
    owner = User.objects.get(pk=owner_id)
    subscriptions = Subscription.objects.filter(pk__in=subscription_ids).select_related(
        "product", "api"
    )
    _send("access_removed", {"owner": owner, "subscriptions": subscriptions}, [owner.email])


def subscription_granted(*, subscription_id: int) -> None:
    subscription = Subscription.objects.select_related("owner", "product", "api").get(
        pk=subscription_id
    )
    if subscription.owner:
        _send("subscription_granted", {"subscription": subscription}, [subscription.owner.email])
