"""The key check an API gateway calls before letting a request through.

nginx's auth_request (or any gateway) sends the caller's subscription key in
Ocp-Apim-Subscription-Key (or the subscription-key query parameter, read
only when the header is absent, as Azure does) and names the product in
X-Product or the product query parameter. Answers: 204 let it through, 401
no or unknown key, 403 a known key that may not call that product now.
"""

from __future__ import annotations

import hmac

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from products.models import Subscription

KEY_HEADER = "HTTP_OCP_APIM_SUBSCRIPTION_KEY"
PRODUCT_HEADER = "HTTP_X_PRODUCT"
MAX_KEY_LENGTH = 256


def _answer(status: int, reason: str) -> HttpResponse:
    response = HttpResponse(status=status)
    # A reason for the gateway's logs; never the key.
    response["X-Portico-Reason"] = reason
    # Refusals are this endpoint's ordinary answers, not warnings: keep
    # django.request from logging one line per refused call.
    response._has_been_logged = True  # type: ignore[attr-defined]
    if status == 401:
        response["WWW-Authenticate"] = 'ApiKey header="Ocp-Apim-Subscription-Key"'
    return response


@csrf_exempt
@login_not_required
@require_GET
def check(request: HttpRequest) -> HttpResponse:
    key = request.META.get(KEY_HEADER) or request.GET.get("subscription-key", "")
    product = request.META.get(PRODUCT_HEADER) or request.GET.get("product", "")
    if not key or len(key) > MAX_KEY_LENGTH:
        return _answer(401, "missing key")
    if not product:
        return _answer(403, "missing product")
    found = (
        Subscription.objects.filter(primary_secret=key)
        .values_list("primary_secret", "state", "product__name", "owner__state")
        .first()
        or Subscription.objects.filter(secondary_secret=key)
        .values_list("secondary_secret", "state", "product__name", "owner__state")
        .first()
    )
    # The index lookup finds the row; the constant-time comparison decides.
    if found is None or not hmac.compare_digest(found[0].encode(), key.encode()):
        return _answer(401, "unknown key")
    _, state, product_name, owner_state = found
    if product_name != product:
        return _answer(403, "key is for another product")
    if state != Subscription.State.ACTIVE:
        return _answer(403, f"subscription {state}")
    if owner_state not in (None, "active"):
        return _answer(403, "developer blocked")
    return HttpResponse(status=204)
