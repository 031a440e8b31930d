"""Writes to products and their groups' access; the console and the API call these."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from groups.models import Group
from products.models import Product, ProductGroup


class ConcurrentChangeError(Exception):
    """The product changed since the caller read it; nothing was written."""

    def __init__(self, current: Product) -> None:
        super().__init__(f"{current.display_name} changed since it was read")
        self.current = current


@dataclass(frozen=True)
class DeletionSummary:
    display_name: str
    groups_removed: int


@transaction.atomic
def create_product(*, groups: Iterable[Group] = (), added_by: Any = None, **fields: Any) -> Product:
    """Create a product; Administrators always get access, as in Azure."""
    product = Product(**fields)
    product.full_clean()
    product.save()
    administrators = Group.objects.get(name=Group.ADMINISTRATORS)
    grant_access(product=product, groups=[administrators, *groups], added_by=added_by)
    return product


@transaction.atomic
def update_product(*, product: Product, expected_version: int | None, **changes: Any) -> Product:
    """Save new settings unless someone else saved the product since it was read.

    expected_version None means "whatever the current version is" (If-Match: *).
    """
    current = Product.objects.select_for_update().get(pk=product.pk)
    if expected_version is not None and current.version != expected_version:
        raise ConcurrentChangeError(current)
    for field, value in changes.items():
        setattr(current, field, value)
    current.full_clean()
    current.save()
    return current


def set_state(*, product: Product, state: str) -> Product:
    """Publish or unpublish; subscriptions are untouched either way, as in Azure."""
    return update_product(product=product, expected_version=None, state=state)


@transaction.atomic
def delete_product(*, product: Product) -> DeletionSummary:
    """Delete a product and every group's access to it."""
    summary = DeletionSummary(
        display_name=product.display_name, groups_removed=product.links.count()
    )
    product.delete()
    return summary


def grant_access(*, product: Product, groups: Iterable[Group], added_by: Any) -> int:
    """Let groups see a product; returns how many did not already have access.

    Repeats and races leave one link per group: the unique (product, group)
    constraint lets one insert win and the others, in savepoints, count nothing.
    """
    wanted = {group.pk for group in groups}
    already = set(
        ProductGroup.objects.filter(product=product, group_id__in=wanted).values_list(
            "group_id", flat=True
        )
    )
    added = 0
    for group_id in sorted(wanted - already):
        try:
            with transaction.atomic():
                ProductGroup.objects.create(product=product, group_id=group_id, added_by=added_by)
        except IntegrityError:
            continue
        added += 1
    return added


def revoke_access(*, product: Product, group: Group) -> bool:
    """Take a group's access away; True when it had access."""
    if group.name == Group.ADMINISTRATORS:
        raise ValidationError(
            "Administrators always see every product, so their access can't be removed.",
            code="administrators",
        )
    deleted, _ = ProductGroup.objects.filter(product=product, group=group).delete()
    return deleted > 0
