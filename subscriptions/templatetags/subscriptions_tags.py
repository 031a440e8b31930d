from __future__ import annotations

from typing import Any

from django import template

from apis.models import Api
from portal import preview
from subscriptions.rules import Offer, api_offer

register = template.Library()


@register.simple_tag(takes_context=True)
def subscribe_api_offer(context: dict[str, Any], api: Api) -> Offer | None:
    """Subscribe to this API, or why not, for the person looking; None when it doesn't apply."""
    request = context.get("request")
    if request is None:
        return None
    return api_offer(viewer=request.user, api=api, previewing=preview.current(request) is not None)
