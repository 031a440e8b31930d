"""The key check an API gateway calls before letting a request through.

nginx's auth_request (or any gateway) sends the caller's subscription key in
Ocp-Apim-Subscription-Key (or the subscription-key query parameter, read
only when the header is absent, as Azure does) and names the product in
X-Product or the product query parameter, or the API in X-Api or the api
query parameter, or both. Answers: 204 let it through, 401 no or unknown
key, 403 a known key that may not call that product or API now, or, when
PORTICO_GATEWAY_SECRET is set, a request without that secret.

Which keys pass: for a product, that product's subscriptions (never one to
a single API); for an API, subscriptions to that API and to any product
containing it; for both, a product subscription to that product when it
contains the API, or a subscription to that API when the product contains it.

No window while the access rule runs in the background: a change of sight
writes markers (PendingAccessCheck) with its job, and while one matches the
key's subscription the check decides sight itself, through the rule's own
code, so a key the job is about to suspend is refused already.
"""

from __future__ import annotations

import hmac
from typing import Any

import psycopg
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from apis.models import Api, ProductApi
from portal.models import User
from portal.reconnect import once_more_if_dropped
from products.models import Product
from subscriptions import services
from subscriptions.models import PendingAccessCheck, Subscription

SUBSCRIPTIONS = Subscription._meta.db_table
PRODUCTS = Product._meta.db_table
APIS = Api._meta.db_table
PRODUCT_APIS = ProductApi._meta.db_table
USERS = User._meta.db_table
PENDING = PendingAccessCheck._meta.db_table
# Whether an access-rule job that has not finished may concern this
# subscription (its owner, its product, its API or a product holding that
# API, or everyone). The table is empty but while such a job runs, so this
# costs next to nothing in the common case.
PENDING_SQL = (
    f"EXISTS (SELECT 1 FROM {PENDING} m WHERE m.everyone "
    f"OR m.owner_id = s.owner_id OR m.product_id = s.product_id OR m.api_id = s.api_id "
    f"OR (s.api_id IS NOT NULL AND m.product_id IN ("
    f"SELECT pa.product_id FROM {PRODUCT_APIS} pa WHERE pa.api_id = s.api_id)))"
)
# The hot path of every proxied API call: one indexed query in plain SQL,
# which skips the ORM's compilation (about two thirds of the time it took).
# A product is NULL for a subscription to one API.
LOOKUP_SQL = (
    f"SELECT s.primary_secret, s.secondary_secret, s.state, p.name, u.state, s.id, "
    f"{PENDING_SQL} "
    f"FROM {SUBSCRIPTIONS} s "
    f"LEFT JOIN {PRODUCTS} p ON p.id = s.product_id "
    f"LEFT JOIN {USERS} u ON u.id = s.owner_id "
    f"WHERE s.primary_secret = %s OR s.secondary_secret = %s"
)
# A request naming an API: the same row, the subscription's API, and whether
# the named API is in the subscription's product (a product subscription)
# or the named product contains the subscription's API (an API one).
LOOKUP_API_SQL = (
    f"SELECT s.primary_secret, s.secondary_secret, s.state, p.name, u.state, s.id, "
    f"{PENDING_SQL}, a.name, "
    f"CASE WHEN s.product_id IS NOT NULL THEN EXISTS ("
    f"SELECT 1 FROM {PRODUCT_APIS} pa JOIN {APIS} x ON x.id = pa.api_id "
    f"WHERE pa.product_id = s.product_id AND x.name = %s"
    f") ELSE EXISTS ("
    f"SELECT 1 FROM {PRODUCT_APIS} pa JOIN {PRODUCTS} y ON y.id = pa.product_id "
    f"WHERE pa.api_id = s.api_id AND y.name = %s"
    f") END "
    f"FROM {SUBSCRIPTIONS} s "
    f"LEFT JOIN {PRODUCTS} p ON p.id = s.product_id "
    f"LEFT JOIN {APIS} a ON a.id = s.api_id "
    f"LEFT JOIN {USERS} u ON u.id = s.owner_id "
    f"WHERE s.primary_secret = %s OR s.secondary_secret = %s"
)
KEY_HEADER = "HTTP_OCP_APIM_SUBSCRIPTION_KEY"
SECRET_HEADER = "HTTP_X_PORTICO_GATEWAY_SECRET"
PRODUCT_HEADER = "HTTP_X_PRODUCT"
API_HEADER = "HTTP_X_API"
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
    if settings.PORTICO_GATEWAY_SECRET and not hmac.compare_digest(
        request.META.get(SECRET_HEADER, "").encode("utf-8", "surrogateescape"),
        settings.PORTICO_GATEWAY_SECRET.encode(),
    ):
        return _answer(403, "missing or wrong gateway secret")
    key = request.META.get(KEY_HEADER) or request.GET.get("subscription-key", "")
    product = request.META.get(PRODUCT_HEADER) or request.GET.get("product", "")
    api = request.META.get(API_HEADER) or request.GET.get("api", "")
    if not key or len(key) > MAX_KEY_LENGTH or "\x00" in key:
        return _answer(401, "missing or malformed key")
    if "\x00" in product or "\x00" in api or not (product or api):
        return _answer(403, "missing product")
    if api:
        row = _lookup(LOOKUP_API_SQL, [api, product, key, key])
    else:
        row = _lookup(LOOKUP_SQL, [key, key])
    if row is None:
        return _answer(401, "unknown key")
    primary, secondary, state, product_name, owner_state, subscription_id, pending = row[:7]
    # The index lookup found the row; a constant-time comparison decides.
    given = key.encode()
    if not (
        hmac.compare_digest(primary.encode(), given)
        or hmac.compare_digest(secondary.encode(), given)
    ):
        return _answer(401, "unknown key")
    refused = _out_of_scope(product, api, product_name, row[7:])
    if refused:
        return _answer(403, refused)
    if state != Subscription.State.ACTIVE:
        return _answer(403, f"subscription {state}")
    if owner_state not in (None, "active"):
        return _answer(403, "developer account not active")
    if pending and services.access_rule_pending_refuses(subscription_id):
        # The access rule's job has not reached this subscription yet, but will suspend it.
        return _answer(403, "access removed")
    return HttpResponse(status=204)


def _lookup(sql: str, params: list[str]) -> tuple | None:
    """The key's row, on a connection the database may have dropped since the last call."""
    return once_more_if_dropped(connection, lambda: _fetch_one(sql, params))


def _fetch_one(sql: str, params: list[str]) -> tuple | None:
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchone()
    # Django's cursors bind parameters client-side, which psycopg never
    # prepares; a cursor binding them server-side lets psycopg prepare the
    # lookup once per connection (when the settings give a threshold, as
    # the gateway listener's do), so PostgreSQL stops planning it each call.
    connection.ensure_connection()
    # (django-stubs types these wrappers' argument as a wrapper, not a DB-API cursor.)
    raw: Any = psycopg.Cursor(connection.connection)
    wrapped = (
        connection.make_debug_cursor(raw)
        if connection.queries_logged
        else connection.make_cursor(raw)
    )
    with wrapped as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def _out_of_scope(product: str, api: str, product_name: str | None, api_columns: tuple) -> str:
    """Why the subscription's scope doesn't cover what the request names; "" when it does."""
    if not api:
        # A product alone: as before APIs had subscriptions of their own.
        return "" if product_name == product else "key is for another product"
    api_name, linked = api_columns
    if product_name is not None:
        if product and product_name != product:
            return "key is for another product"
        return "" if linked else "API is not in the key's product"
    if api_name != api:
        return "key is for another API"
    if product and not linked:
        return "API is not in this product"
    return ""
