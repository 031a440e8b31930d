"""Writes to products and their groups' access, for every caller: the console, the
Django admin, the management API and the commands."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from audit.services import Ref, record_many, ref
from groups import services as group_services
from groups.models import Group
from portal import approvals, mail, sight
from portal.entities import DeletionSummary, decide, insert_links, update_entity
from products import notify
from products.models import AccessRequest, Product, ProductGroup


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


# --- Requests for access to a listed product ------------------------------------------

ALREADY_WAITING = (
    "You already asked for access to this product; your request is waiting for an administrator."
)


def request_access(*, user: Any, product: Product, reason: str) -> AccessRequest:
    """Ask to see a listed product; the administrators' inbox gets it.

    Refused (ValidationError) when the product isn't listed for this person
    (not listed, not published, or they see it already), without a reason,
    or while one of their requests for it still waits.
    """
    reason = reason.strip()
    if Product.objects.visible_to(user).filter(pk=product.pk).exists():
        raise ValidationError({"product": f"You can already see {product.display_name}."})
    if not Product.objects.listed_for(user).filter(pk=product.pk).exists():
        raise ValidationError({"product": "This product doesn't take requests for access."})
    if not reason:
        raise ValidationError({"reason": "Say why you need access."})
    request = AccessRequest(user=user, product=product, reason=reason)
    request.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            request.save()
            approvals.announce()
    except IntegrityError:
        # The one-waiting-request constraint: a second tab or a double click.
        raise ValidationError({"product": ALREADY_WAITING}) from None
    return request


def access_groups(product: Product) -> Any:
    """The groups an approval may add someone to: custom groups that see the product."""
    return Group.objects.filter(type=Group.Type.CUSTOM, product_links__product=product).order_by(
        "display_name_key", "pk"
    )


@transaction.atomic
def approve_access_request(
    *, request: AccessRequest, decided_by: Any, group: Group | None
) -> AccessRequest:
    """Let the person see the product by adding them to a custom group that sees it.

    The administrator picks the group; it must be a custom group (system
    groups follow accounts, external ones a directory) already linked to
    the product, so that approving gives exactly the access asked for.
    """
    if group is None:
        raise ValidationError({"group": "Choose the group to add the person to."})
    if group.type != Group.Type.CUSTOM:
        raise ValidationError(
            {"group": f"{group.display_name} isn't a custom group: people can't be added to it."}
        )
    decided = decide(request, AccessRequest.State.APPROVED, decided_by, "")
    if not ProductGroup.objects.filter(product=decided.product, group=group).exists():
        raise ValidationError(
            {
                "group": f"{group.display_name} doesn't see {decided.product.display_name}: "
                "give the group access to the product first, or choose another group."
            }
        )
    decided.group = group
    decided.save()
    group_services.add_members(group=group, users=[decided.user], added_by=decided_by)
    mail.send_later(notify.access_approved, request_id=decided.pk)
    return decided


@transaction.atomic
def reject_access_request(*, request: AccessRequest, decided_by: Any, reason: str) -> AccessRequest:
    """Refuse a request; the person gets the reason by email."""
    decided = decide(request, AccessRequest.State.REJECTED, decided_by, reason)
    decided.save()
    mail.send_later(notify.access_rejected, request_id=decided.pk)
    return decided


@transaction.atomic
def withdraw_access_request(*, request: AccessRequest) -> AccessRequest:
    """The developer takes back a request that is still waiting."""
    decided = decide(request, AccessRequest.State.WITHDRAWN, request.user, "")
    decided.save()
    return decided


def on_group_deleting(*, group: Group, group_ref: Ref, **kwargs: Any) -> None:
    """A group's deletion takes its access to products: access.revoke for each product,
    caused by the group.delete record (groups.services.delete_group sends this)."""
    links = ProductGroup.objects.filter(group=group).select_related("product").order_by("pk")
    record_many("access.revoke", [(ref(link.product), group_ref) for link in links])
