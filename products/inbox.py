"""Requests for access to a listed product, as one kind of the approvals inbox.

Registered from ProductsConfig.ready(); the inbox (portal/views/approvals.py)
lists these rows beside the other kinds and decides them through here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, Q, QuerySet

from groups.models import Group
from portal.approvals import Kind
from products import services
from products.models import AccessRequest, ProductGroup


def waiting() -> QuerySet[AccessRequest]:
    return AccessRequest.objects.waiting()


def search(items: QuerySet[AccessRequest], query: str) -> QuerySet[AccessRequest]:
    """Requests whose person (email, first or last name) or product name hold every word."""
    for word in query.split():
        items = items.filter(
            Q(user__email__icontains=word)
            | Q(user__first_name__icontains=word)
            | Q(user__last_name__icontains=word)
            | Q(product__display_name__icontains=word)
        )
    return items


def load(ids: list[int]) -> dict[int, AccessRequest]:
    """A page's requests with their person, product and the product's custom groups:
    two queries, however many rows."""
    custom_links = (
        ProductGroup.objects.filter(group__type=Group.Type.CUSTOM)
        .select_related("group")
        .order_by("group__display_name_key", "group_id")
    )
    requests = (
        AccessRequest.objects.filter(pk__in=ids)
        .select_related("user", "product")
        .prefetch_related(Prefetch("product__links", queryset=custom_links, to_attr="custom_links"))
    )
    return {request.pk: request for request in requests}


def _name(request: AccessRequest) -> str:
    return request.user.get_full_name() or request.user.email


def approve(item: AccessRequest, actor: Any, data: Mapping[str, Any]) -> str:
    """Approve into the group the row's select names (a custom group's pk)."""
    chosen = str(data.get(f"product-{item.pk}-group") or "").strip()
    group = (
        Group.objects.filter(type=Group.Type.CUSTOM, pk=int(chosen)).first()
        if chosen.isdigit()
        else None
    )
    if group is None:
        raise ValidationError("Choose a custom group that sees the product to add the person to.")
    decided = services.approve_access_request(request=item, decided_by=actor, group=group)
    return (
        f"{_name(decided)} can now see {decided.product.display_name}, "
        f"as a member of {group.display_name}."
    )


def reject(item: AccessRequest, actor: Any, reason: str) -> str:
    decided = services.reject_access_request(request=item, decided_by=actor, reason=reason)
    return f"Rejected {_name(decided)}'s request for access to {decided.product.display_name}."


def summary(item: AccessRequest) -> str:
    return f"{_name(item)} <{item.user.email}> asks to see {item.product.display_name}"


KIND = Kind(
    key="product",
    label="Product access",
    noun="request for access",
    waiting=waiting,
    since="created_at",
    search=search,
    load=load,
    template="products/approval_row.html",
    approve=approve,
    reject=reject,
    summary=summary,
    order=30,
)
