"""Writes to APIs, their documents and operations, and the products that contain
them, for every caller: the console, the management API and the commands."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from apis.documents import Difference, Document, difference
from apis.models import Api, Operation, ProductApi, Restriction
from audit import context as audit_context
from audit.services import Ref, record, record_many, ref, snapshot
from audit.services import changes as value_changes
from groups.models import Group
from portal import sight
from portal.entities import ConcurrentChangeError, DeletionSummary, insert_links, update_entity
from products.models import Product

# What the activity record keeps of an API: all of it at creation and
# deletion, and whatever of it changes. Its document is kept as a size and a
# SHA-256, never its text (document_values).
RECORDED_FIELDS = (
    "name",
    "display_name",
    "description",
    "path",
    "service_url",
    "protocols",
    "api_version",
    "api_revision",
    "subscription_required",
)


def document_values(api: Api) -> dict[str, Any]:
    """An API's document as the record names it: its size and SHA-256 (of the stored
    JSON, keys sorted, so the same document always has the same ones), version and
    format. Empty for an API without a document."""
    if not api.document:
        return {}
    stored = json.dumps(
        api.document, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode("utf-8", "surrogatepass")
    return {
        "document_size": len(stored),
        "document_sha256": hashlib.sha256(stored).hexdigest(),
        "document_version": api.document_version,
        "document_format": api.document_format,
    }


def _restriction_values(kind: str, target: str) -> dict[str, str]:
    return {"kind": kind, "target": target}


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
    after = snapshot(api, RECORDED_FIELDS) | document_values(api)
    if document is not None:
        _replace_operations(api, document)
        after["operations"] = len(document.operations)
    record("api.create", ref(api), after=after)
    return api


@transaction.atomic
def update_api(*, api: Api, expected_version: int | None, **changes: Any) -> Api:
    """Save new settings unless someone else saved the API since it was read.

    What changed is recorded (nothing when nothing did).
    """
    before = snapshot(Api.objects.select_for_update().get(pk=api.pk), RECORDED_FIELDS)
    updated = update_entity(api, expected_version=expected_version, changes=changes)
    old, new = value_changes(before, snapshot(updated, RECORDED_FIELDS))
    if new:
        record("api.update", ref(updated), before=old, after=new)
    return updated


@transaction.atomic
def replace_document(
    *, api: Api, document: Document, expected_version: int | None, document_format: str = ""
) -> Difference:
    """Re-import: the new document replaces the old, and its operations the old ones.

    Returns what changed. Restrictions on operations that are gone are dropped.
    Recorded as api.document (the documents' sizes and SHA-256, and how many
    operations came, changed and went), with operation_access.revoke for each
    dropped restriction caused by it; the same document again records nothing.
    """
    current = Api.objects.select_for_update().get(pk=api.pk)
    if expected_version is not None and current.version != expected_version:
        raise ConcurrentChangeError(current)
    changes = preview_document(api=current, document=document)
    before = document_values(current)
    current.document = document.content
    current.document_version = document.version
    current.document_format = document_format or _format_of(document)
    current.save()
    _replace_operations(current, document)
    names = {operation.name.lower() for operation in document.operations}
    gone = [
        rule
        for rule in Restriction.objects.filter(
            api=current, kind=Restriction.Kind.OPERATION
        ).select_related("group")
        if rule.target.lower() not in names
    ]
    Restriction.objects.filter(pk__in=[rule.pk for rule in gone]).delete()
    old, new = value_changes(before, document_values(current))
    if new or gone:
        counts = {
            "operations_added": len(changes.added),
            "operations_changed": len(changes.changed),
            "operations_removed": len(changes.removed),
        }
        written = record("api.document", ref(current), before=old, after=new | counts)
        with audit_context.caused_by(written.pk):
            _record_restrictions("operation_access.revoke", current, gone)
    return changes


def _record_restrictions(action: str, api: Api, rules: list[Restriction]) -> None:
    """operation_access.grant or .revoke for each rule: object the API, related the
    group, and which operation or tag."""
    api_ref = ref(api)
    for rule in rules:
        values = _restriction_values(rule.kind, rule.target)
        record(
            action,
            api_ref,
            related=ref(rule.group),
            before=values if action.endswith(".revoke") else None,
            after=values if action.endswith(".grant") else None,
        )


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

    The record is api.delete, then, caused by it, product_api.remove for
    each product and operation_access.revoke for each restriction. The
    summary's record_id names it, for what the caller took with the API.
    """
    links = list(api.product_links.select_related("product").order_by("pk"))
    products = [link.product_id for link in links]
    operations = api.operations.count()
    api_ref = ref(api)
    deleted = record(
        "api.delete", api_ref, before=snapshot(api, RECORDED_FIELDS) | document_values(api)
    )
    with audit_context.caused_by(deleted.pk):
        record_many("product_api.remove", [(ref(link.product), api_ref) for link in links])
        _record_restrictions(
            "operation_access.revoke",
            api,
            list(api.restrictions.select_related("group").order_by("pk")),
        )
    api.delete()
    if products:
        sight.changed(products=products)
    return DeletionSummary(
        display_name=api.display_name,
        consequences=[
            f"its {_plural(operations, 'operation')} went with it",
            f"{_plural(len(products), 'product')} no longer contain it",
        ],
        record_id=deleted.pk,
    )


@transaction.atomic
def add_apis(*, product: Product, apis: Iterable[Api], added_by: Any) -> int:
    """Put APIs in a product; returns how many were not already in it.

    Repeats and races leave one link per API (the unique constraint decides).
    Each new one is recorded (product_api.add); one already there is not.
    """
    chosen = {api.pk: api for api in apis}
    added = insert_links(
        ProductApi,
        fixed={"product": product},
        key="api_id",
        ids=chosen,
        added_by=added_by,
    )
    if added:
        product_ref = ref(product)
        record_many("product_api.add", [(product_ref, ref(chosen[pk])) for pk in added])
        sight.changed(products=[product.pk])
    return len(added)


@transaction.atomic
def remove_api(*, product: Product, api: Api) -> bool:
    """Take an API out of a product; True when it was in it."""
    deleted, _ = ProductApi.objects.filter(product=product, api=api).delete()
    if deleted:
        record("product_api.remove", ref(product), related=ref(api))
        # The API is no longer in the product, so name it: its viewers changed.
        sight.changed(products=[product.pk], apis=[api.pk])
    return deleted > 0


@transaction.atomic
def restrict(*, api: Api, kind: str, target: str, groups: Iterable[Group], added_by: Any) -> int:
    """Show an operation (by ID) or a tag only to these groups (and administrators).

    Each group newly allowed is recorded as operation_access.grant (object the
    API, related the group, after the kind and target).
    """
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
    chosen = {group.pk: group for group in groups}
    added = insert_links(
        Restriction,
        fixed={"api": api, "kind": kind, "target": target},
        key="group_id",
        ids=chosen,
        added_by=added_by,
    )
    if added:
        api_ref = ref(api)
        record_many(
            "operation_access.grant",
            [(api_ref, ref(chosen[pk])) for pk in added],
            after=_restriction_values(kind, target),
        )
    return len(added)


@transaction.atomic
def unrestrict(*, api: Api, kind: str, target: str, group: Group | None = None) -> int:
    """Lift a restriction for one group, or for all when group is None.

    Each group no longer allowed is recorded as operation_access.revoke.
    """
    rules = Restriction.objects.filter(api=api, kind=kind, target=target)
    if group is not None:
        rules = rules.filter(group=group)
    lifted = list(rules.select_for_update(of=("self",)).select_related("group").order_by("pk"))
    if not lifted:
        return 0
    deleted, _ = Restriction.objects.filter(pk__in=[rule.pk for rule in lifted]).delete()
    api_ref = ref(api)
    record_many(
        "operation_access.revoke",
        [(api_ref, ref(rule.group)) for rule in lifted],
        before=_restriction_values(kind, target),
    )
    return deleted


def on_product_deleting(*, product: Product, product_ref: Ref, **kwargs: Any) -> None:
    """A product's deletion takes its APIs: product_api.remove for each, caused by the
    product.delete record (products.services.delete_product sends this)."""
    links = ProductApi.objects.filter(product=product).select_related("api").order_by("pk")
    record_many("product_api.remove", [(product_ref, ref(link.api)) for link in links])
