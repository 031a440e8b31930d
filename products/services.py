"""Writes to products and their groups' access, for every caller: the console, the
Django admin, the management API and the commands."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError

from groups.models import Group
from portal import sight
from portal.entities import DeletionSummary, insert_links, update_entity
from products.models import Product, ProductGroup


@transaction.atomic
def create_product(*, groups: Iterable[Group] = (), added_by: Any = None, **fields: Any) -> Product:
    """Create a product; Administrators always get access, as in Azure."""
    product = Product(**fields)
    product.full_clean()
    product.save()
    administrators = Group.objects.get(name=Group.ADMINISTRATORS)
    grant_access(product=product, groups=[administrators, *groups], added_by=added_by)
    return product


def update_product(*, product: Product, expected_version: int | None, **changes: Any) -> Product:
    """Save new settings unless someone else saved the product since it was read."""
    return update_entity(product, expected_version=expected_version, changes=changes)


@transaction.atomic
def set_state(*, product: Product, state: str) -> Product:
    """Publish or unpublish; subscriptions are untouched either way, as in Azure.

    Pressing Publish twice is no change, and no new version.
    """
    current = Product.objects.select_for_update().get(pk=product.pk)
    if current.state == state:
        return current
    return update_product(product=current, expected_version=None, state=state)


@transaction.atomic
def delete_product(*, product: Product) -> DeletionSummary:
    """Delete a product and every group's access to it.

    Subscriptions are the subscriptions app's to delete first (its
    delete_product); a product that still has some can't be deleted.
    """
    groups = product.links.count()
    try:
        product.delete()
    except ProtectedError:
        raise ValidationError(
            f"{product.display_name} still has subscriptions; delete them first.",
            code="has_subscriptions",
        ) from None
    return DeletionSummary(
        display_name=product.display_name,
        consequences=[f"{groups} group{'s' if groups != 1 else ''} lost access to it"],
    )


@transaction.atomic
def grant_access(*, product: Product, groups: Iterable[Group], added_by: Any) -> int:
    """Let groups see a product; returns how many did not already have access.

    Repeats and races leave one link per group: the unique (product, group)
    constraint lets one insert win and the others, in savepoints, count nothing.
    """
    added = len(
        insert_links(
            ProductGroup,
            fixed={"product": product},
            key="group_id",
            ids=(group.pk for group in groups),
            added_by=added_by,
        )
    )
    if added:
        sight.changed(products=[product.pk])
    return added


@transaction.atomic
def revoke_access(*, product: Product, group: Group) -> bool:
    """Take a group's access away; True when it had access."""
    if group.name == Group.ADMINISTRATORS:
        raise ValidationError(
            "Administrators always see every product, so their access can't be removed.",
            code="administrators",
        )
    deleted, _ = ProductGroup.objects.filter(product=product, group=group).delete()
    if deleted:
        sight.changed(products=[product.pk])
    return deleted > 0
