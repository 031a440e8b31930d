"""Helpers for the products tests; the fixtures they use are in the root conftest."""

from __future__ import annotations

from typing import Any

from products.models import ProductGroup


def linked_groups(product: Any) -> set[str]:
    """The IDs of the groups that have access to the product."""
    return set(ProductGroup.objects.filter(product=product).values_list("group__name", flat=True))
