"""Writes to APIs, their documents and operations, and the products that contain
them, for every caller: the console, the management API and the commands."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from apis.documents import Difference, Document, difference
from apis.models import Api, Operation, ProductApi, Restriction
from groups.models import Group
from portal import sight
from portal.entities import ConcurrentChangeError, DeletionSummary, insert_links, update_entity
from products.models import Product


def _plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


@transaction.atomic
def create_api(
    *, document: Document | None = None, document_format: str = "", **fields: Any
) -> Api:
    """Create an API, from an imported document when there is one.

    Fields not given are taken from the document: its title as the name, its
    description and version.
    """
    if document is not None:
        fields.setdefault("display_name", document.title[:300])
        fields.setdefault("description", document.description[:10000])
        fields.setdefault("api_version", document.api_version[:100])
    api = Api(**fields)
    if document is not None:
        api.document = document.content
        api.document_version = document.version
        api.document_format = document_format or _format_of(document)
    api.full_clean()
    api.save()
    if document is not None:
        _replace_operations(api, document)
    return api


def update_api(*, api: Api, expected_version: int | None, **changes: Any) -> Api:
    """Save new settings unless someone else saved the API since it was read."""
    return update_entity(api, expected_version=expected_version, changes=changes)


@transaction.atomic
def replace_document(
    *, api: Api, document: Document, expected_version: int | None, document_format: str = ""
) -> Difference:
    """Re-import: the new document replaces the old, and its operations the old ones.

    Returns what changed. Restrictions on operations that are gone are dropped.
    """
    current = Api.objects.select_for_update().get(pk=api.pk)
    if expected_version is not None and current.version != expected_version:
        raise ConcurrentChangeError(current)
    changes = preview_document(api=current, document=document)
    current.document = document.content
    current.document_version = document.version
    current.document_format = document_format or _format_of(document)
    current.save()
    _replace_operations(current, document)
    names = {operation.name.lower() for operation in document.operations}
    gone = [
        rule.pk
        for rule in Restriction.objects.filter(api=current, kind=Restriction.Kind.OPERATION)
        if rule.target.lower() not in names
    ]
    Restriction.objects.filter(pk__in=gone).delete()
    return changes


def preview_document(*, api: Api, document: Document) -> Difference:
    """What re-importing this document would add, change and remove; writes nothing."""
    old = list(api.operations.values_list("method", "url_template", "fingerprint"))
    return difference(old, document.operations)


def _replace_operations(api: Api, document: Document) -> None:
    api.operations.all().delete()
    Operation.objects.bulk_create(
        Operation(
            api=api,
            name=spec.name,
            method=spec.method,
            url_template=spec.url_template[:1000],
            display_name=spec.display_name,
            description=spec.description,
            tags=Operation.join_tags(spec.tags),
            fingerprint=spec.fingerprint,
            position=position,
        )
        for position, spec in enumerate(document.operations)
    )


def _format_of(document: Document) -> str:
    return Api.Format.SWAGGER_JSON if document.is_swagger else Api.Format.OPENAPI


@transaction.atomic
def delete_api(*, api: Api) -> DeletionSummary:
    """Delete an API, its operations and its place in every product.

    Subscriptions to the API alone are the subscriptions app's to delete first.
    """
    products = list(api.product_links.values_list("product_id", flat=True))
    operations = api.operations.count()
    api.delete()
    if products:
        sight.changed(products=products)
    return DeletionSummary(
        display_name=api.display_name,
        consequences=[
            f"its {_plural(operations, 'operation')} went with it",
            f"{_plural(len(products), 'product')} no longer contain it",
        ],
    )


@transaction.atomic
def add_apis(*, product: Product, apis: Iterable[Api], added_by: Any) -> int:
    """Put APIs in a product; returns how many were not already in it.

    Repeats and races leave one link per API (the unique constraint decides).
    """
    added = len(
        insert_links(
            ProductApi,
            fixed={"product": product},
            key="api_id",
            ids=(api.pk for api in apis),
            added_by=added_by,
        )
    )
    if added:
        sight.changed(products=[product.pk])
    return added


@transaction.atomic
def remove_api(*, product: Product, api: Api) -> bool:
    """Take an API out of a product; True when it was in it."""
    deleted, _ = ProductApi.objects.filter(product=product, api=api).delete()
    if deleted:
        # The API is no longer in the product, so name it: its viewers changed.
        sight.changed(products=[product.pk], apis=[api.pk])
    return deleted > 0


@transaction.atomic
def restrict(*, api: Api, kind: str, target: str, groups: Iterable[Group], added_by: Any) -> int:
    """Show an operation (by ID) or a tag only to these groups (and administrators)."""
    if kind == Restriction.Kind.OPERATION:
        if not api.operations.filter(name__iexact=target).exists():
            raise ValidationError({"target": f"{api.display_name} has no operation {target}."})
    elif kind == Restriction.Kind.TAG:
        if not api.operations.filter(tags__contains=Operation.tag_token(target)).exists():
            raise ValidationError(
                {"target": f"No operation of {api.display_name} has the tag {target}."}
            )
    else:
        raise ValidationError({"kind": "Restrict an operation or a tag."})
    added = insert_links(
        Restriction,
        fixed={"api": api, "kind": kind, "target": target},
        key="group_id",
        ids=(group.pk for group in groups),
        added_by=added_by,
    )
    return len(added)


@transaction.atomic
def unrestrict(*, api: Api, kind: str, target: str, group: Group | None = None) -> int:
    """Lift a restriction for one group, or for all when group is None."""
    rules = Restriction.objects.filter(api=api, kind=kind, target=target)
    if group is not None:
        rules = rules.filter(group=group)
    deleted, _ = rules.delete()
    return deleted
