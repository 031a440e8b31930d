"""Every write to products, their groups' access, access requests, APIs, their
documents and products, operation restrictions, pages, their groups and the
branding leaves exactly the records expected, with the values before and
after and the cause of what follows from another change; a no-op and a
refused write leave none."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Max
from django.urls import reverse

from apis import services as api_services
from apis.documents import read
from apis.models import Api, Restriction
from audit.models import Record
from content import branding
from content import services as page_services
from content.models import Page
from groups.models import Group
from portal.entities import ConcurrentChangeError
from products import services
from products.models import AccessRequest, Product
from tests.conftest import openapi_text
from tests.content.images import png


def mark() -> int:
    """The last record so far: a test looks only at what its own step wrote (the
    fixtures' groups and memberships are recorded too)."""
    return Record.objects.aggregate(last=Max("id"))["last"] or 0


def written(since: int) -> list[Record]:
    return list(Record.objects.filter(id__gt=since).order_by("id"))


def row(record: Record) -> tuple[Any, ...]:
    """A record as (action, object, related, before, after); ids as the record keeps them."""
    related = (record.related_kind, record.related_id) if record.related_kind else None
    return (
        record.action,
        (record.object_kind, record.object_id),
        related,
        record.before,
        record.after,
    )


def obj(instance: Any) -> tuple[str, str]:
    return (instance._meta.model_name, str(instance.pk))


def caused_by(records: list[Record]) -> list[int | None]:
    return [record.cause_id for record in records]


PRODUCT_VALUES = {
    "name": "starter",
    "display_name": "Starter",
    "description": "For a start",
    "terms": "",
    "state": "notPublished",
    "subscription_required": True,
    "approval_required": False,
    "subscriptions_limit": None,
    "listed": False,
}


@pytest.fixture
def starter(db: None) -> Product:
    return services.create_product(
        name="starter", display_name="Starter", description="For a start"
    )


# --- Products ---------------------------------------------------------------------------


def test_creating_a_product_records_it_and_the_access_it_gives(db, partners, administrators):
    since = mark()
    product = services.create_product(
        name="starter", display_name="Starter", description="For a start", groups=[partners]
    )
    records = written(since)
    assert [row(record) for record in records] == [
        ("product.create", obj(product), None, None, PRODUCT_VALUES),
        ("access.grant", obj(product), obj(administrators), None, None),
        ("access.grant", obj(product), obj(partners), None, None),
    ]
    assert caused_by(records) == [None, records[0].pk, records[0].pk]
    assert [record.object_label for record in records] == ["Starter"] * 3
    assert records[2].related_label == "Partners"


@pytest.mark.parametrize(
    "fields",
    [
        {"name": "bad id!", "display_name": "Bad"},
        {
            "name": "ok",
            "display_name": "Ok",
            "approval_required": True,
            "subscription_required": False,
        },
    ],
)
def test_a_refused_product_leaves_no_record(db, fields):
    since = mark()
    with pytest.raises(ValidationError):
        services.create_product(**fields)
    assert written(since) == []


def test_updating_a_product_records_only_what_changed(starter):
    since = mark()
    updated = services.update_product(
        product=starter,
        expected_version=starter.version,
        display_name="Starter plan",
        description="For a start",
        subscriptions_limit=2,
    )
    assert [row(record) for record in written(since)] == [
        (
            "product.update",
            obj(starter),
            None,
            {"display_name": "Starter", "subscriptions_limit": None},
            {"display_name": "Starter plan", "subscriptions_limit": 2},
        )
    ]
    assert written(since)[0].object_label == "Starter plan"

    # The same values again: a new version, but nothing to record.
    since = mark()
    services.update_product(
        product=updated, expected_version=updated.version, display_name="Starter plan"
    )
    assert written(since) == []


def test_a_refused_or_stale_product_update_leaves_no_record(starter):
    since = mark()
    with pytest.raises(ValidationError):
        services.update_product(product=starter, expected_version=None, subscriptions_limit=0)
    with pytest.raises(ConcurrentChangeError):
        services.update_product(
            product=starter, expected_version=starter.version - 1, display_name="Late"
        )
    assert written(since) == []
    assert Product.objects.get(pk=starter.pk).display_name == "Starter"


def test_publishing_and_unpublishing_record_the_state(starter):
    since = mark()
    services.set_state(product=starter, state=Product.State.PUBLISHED)
    services.set_state(product=starter, state=Product.State.PUBLISHED)  # no change
    services.set_state(product=starter, state=Product.State.NOT_PUBLISHED)
    assert [row(record) for record in written(since)] == [
        (
            "product.update",
            obj(starter),
            None,
            {"state": "notPublished"},
            {"state": "published"},
        ),
        (
            "product.update",
            obj(starter),
            None,
            {"state": "published"},
            {"state": "notPublished"},
        ),
    ]


def test_granting_and_revoking_access_records_each_link_once(starter, partners, beta):
    since = mark()
    assert services.grant_access(product=starter, groups=[partners, beta], added_by=None) == 2
    assert services.grant_access(product=starter, groups=[partners], added_by=None) == 0
    assert services.revoke_access(product=starter, group=beta)
    assert not services.revoke_access(product=starter, group=beta)
    assert [row(record) for record in written(since)] == [
        ("access.grant", obj(starter), obj(partners), None, None),
        ("access.grant", obj(starter), obj(beta), None, None),
        ("access.revoke", obj(starter), obj(beta), None, None),
    ]


def test_the_administrators_access_can_not_be_revoked_and_leaves_no_record(starter, administrators):
    since = mark()
    with pytest.raises(ValidationError):
        services.revoke_access(product=starter, group=administrators)
    assert written(since) == []


def test_deleting_a_product_records_each_link_it_takes_caused_by_it(
    make_product, make_api, partners, beta, administrators
):
    product = make_product("Payments", groups=[partners, beta])
    api = make_api("Billing", products=[product])
    product_ref = obj(product)
    since = mark()

    summary = services.delete_product(product=product)

    records = written(since)
    assert [row(record) for record in records] == [
        (
            "product.delete",
            product_ref,
            None,
            PRODUCT_VALUES
            | {"name": "payments", "display_name": "Payments", "description": ""}
            | {"state": "published"},
            None,
        ),
        ("access.revoke", product_ref, obj(administrators), None, None),
        ("access.revoke", product_ref, obj(partners), None, None),
        ("access.revoke", product_ref, obj(beta), None, None),
        ("product_api.remove", product_ref, obj(api), None, None),
    ]
    assert caused_by(records) == [None] + [records[0].pk] * 4
    assert {record.object_label for record in records} == {"Payments"}
    # What the caller deleted with the product (its subscriptions) follows from this record.
    assert summary.record_id == records[0].pk


def test_a_product_with_subscriptions_is_not_deleted_and_leaves_no_record(
    product, member, make_subscription
):
    make_subscription(member, product)
    since = mark()
    with pytest.raises(ValidationError, match="still has subscriptions"):
        services.delete_product(product=product)
    assert written(since) == []
    assert Product.objects.filter(pk=product.pk).exists()


# --- Requests for access ------------------------------------------------------------------


@pytest.fixture
def listed(make_product: Any, partners: Group) -> Product:
    return make_product("Starter", listed=True, groups=[partners])


def test_a_request_for_access_is_recorded_and_a_second_one_is_not(listed, outsider):
    since = mark()
    services.request_access(user=outsider, product=listed, reason="  For our app ")
    with pytest.raises(ValidationError, match="already asked"):
        services.request_access(user=outsider, product=listed, reason="Again")
    records = written(since)
    assert [row(record) for record in records] == [
        (
            "request.create",
            obj(listed),
            obj(outsider),
            None,
            {"state": "submitted", "reason": "For our app"},
        )
    ]
    assert records[0].related_label == "outsider@example.com"


def test_a_request_without_a_reason_leaves_no_record(listed, outsider):
    since = mark()
    with pytest.raises(ValidationError):
        services.request_access(user=outsider, product=listed, reason=" ")
    assert written(since) == []


def test_approving_records_the_decision_and_the_membership_follows_from_it(
    listed, outsider, partners, administrator
):
    request = services.request_access(user=outsider, product=listed, reason="Please")
    since = mark()
    services.approve_access_request(request=request, decided_by=administrator, group=partners)
    records = written(since)
    decisions = [record for record in records if not record.action.startswith("member.")]
    assert [row(record) for record in decisions] == [
        (
            "request.approve",
            obj(listed),
            obj(outsider),
            {"state": "submitted"},
            {"state": "approved", "group": partners.pk},
        )
    ]
    # The membership that gives the access (recorded by the groups' services)
    # follows from the approval.
    assert all(
        record.cause_id == decisions[0].pk for record in records if record.action == "member.add"
    )


def test_approving_into_a_group_without_access_leaves_no_record(listed, outsider, beta):
    request = services.request_access(user=outsider, product=listed, reason="Please")
    since = mark()
    with pytest.raises(ValidationError, match="doesn't see Starter"):
        services.approve_access_request(request=request, decided_by=None, group=beta)
    assert written(since) == []
    assert AccessRequest.objects.get(pk=request.pk).is_waiting


def test_rejecting_and_withdrawing_are_recorded_once(listed, outsider, developer, administrator):
    first = services.request_access(user=outsider, product=listed, reason="Please")
    second = services.request_access(user=developer, product=listed, reason="Me too")
    since = mark()
    services.reject_access_request(request=first, decided_by=administrator, reason="Not yet")
    services.withdraw_access_request(request=second)
    with pytest.raises(ValidationError, match="already rejected"):
        services.withdraw_access_request(request=first)
    with pytest.raises(ValidationError, match="Give the developer a reason"):
        services.reject_access_request(request=second, decided_by=administrator, reason="")
    assert [row(record) for record in written(since)] == [
        (
            "request.reject",
            obj(listed),
            obj(outsider),
            {"state": "submitted"},
            {"state": "rejected", "reason": "Not yet"},
        ),
        (
            "request.withdraw",
            obj(listed),
            obj(developer),
            {"state": "submitted"},
            {"state": "withdrawn"},
        ),
    ]


# --- Who acts -----------------------------------------------------------------------------


def test_the_console_records_the_administrator_and_their_address(client, administrator, starter):
    client.force_login(administrator)
    since = mark()
    client.post(reverse("products:publish", args=[starter.name]), REMOTE_ADDR="192.0.2.7")
    (record,) = written(since)
    assert (record.action, record.after) == ("product.update", {"state": "published"})
    assert (record.actor_kind, record.actor_id, record.actor_label) == (
        "person",
        str(administrator.pk),
        "root@example.com",
    )
    assert (record.via, record.address) == ("console", "192.0.2.7")


# --- APIs ---------------------------------------------------------------------------------


def stored_document(api: Api) -> bytes:
    return json.dumps(api.document, sort_keys=True, separators=(",", ":")).encode()


def test_creating_an_api_records_its_settings_and_its_document_by_size_and_hash(db):
    since = mark()
    api = api_services.create_api(
        document=read(openapi_text("Shipments")), name="shipments", path="ship"
    )
    (record,) = written(since)
    document = stored_document(api)
    assert row(record) == (
        "api.create",
        obj(api),
        None,
        None,
        {
            "name": "shipments",
            "display_name": "Shipments",
            "description": "The Shipments API.",
            "path": "ship",
            "service_url": "",
            "protocols": "https",
            "api_version": "1.0",
            "api_revision": "1",
            "subscription_required": True,
            "document_size": len(document),
            "document_sha256": hashlib.sha256(document).hexdigest(),
            "document_version": "3.0.3",
            "document_format": "openapi",
            "operations": 4,
        },
    )
    # Never the document's text.
    assert "listShipments" not in json.dumps(record.after)


def test_a_refused_api_leaves_no_record(make_api):
    make_api("Shipments")
    since = mark()
    with pytest.raises(ValidationError):
        api_services.create_api(name="SHIPMENTS", display_name="Other", path="other")
    assert written(since) == []


def test_updating_an_api_records_what_changed_and_nothing_for_no_change(make_api):
    api = make_api("Shipments")
    since = mark()
    updated = api_services.update_api(
        api=api, expected_version=api.version, service_url="https://backend.example.com"
    )
    api_services.update_api(
        api=updated, expected_version=None, service_url="https://backend.example.com"
    )
    with pytest.raises(ConcurrentChangeError):
        api_services.update_api(api=api, expected_version=api.version, path="late")
    with pytest.raises(ValidationError):
        api_services.update_api(api=api, expected_version=None, protocols="ftp")
    assert [row(record) for record in written(since)] == [
        (
            "api.update",
            obj(api),
            None,
            {"service_url": ""},
            {"service_url": "https://backend.example.com"},
        )
    ]


def test_a_new_document_is_recorded_by_hash_and_the_restrictions_it_drops_follow(make_api, beta):
    api = make_api("Shipments")
    api_services.restrict(
        api=api, kind="operation", target="cancelShipment", groups=[beta], added_by=None
    )
    old = stored_document(Api.objects.get(pk=api.pk))
    since = mark()

    api_services.replace_document(
        api=api,
        document=read(
            openapi_text(
                operations=[
                    ("get", "/shipments", "listShipments", ["Shipments"]),
                    ("get", "/labels", "listLabels", []),
                ]
            )
        ),
        expected_version=None,
    )

    new = stored_document(Api.objects.get(pk=api.pk))
    records = written(since)
    assert [row(record) for record in records] == [
        (
            "api.document",
            obj(api),
            None,
            {
                "document_size": len(old),
                "document_sha256": hashlib.sha256(old).hexdigest(),
            },
            {
                "document_size": len(new),
                "document_sha256": hashlib.sha256(new).hexdigest(),
                "operations_added": 1,
                "operations_changed": 0,
                "operations_removed": 3,
            },
        ),
        (
            "operation_access.revoke",
            obj(api),
            obj(beta),
            {"kind": "operation", "target": "cancelShipment"},
            None,
        ),
    ]
    assert caused_by(records) == [None, records[0].pk]
    assert not Restriction.objects.exists()


def test_the_same_document_again_or_a_stale_one_records_nothing(make_api):
    api = make_api("Shipments")
    since = mark()
    api_services.replace_document(api=api, document=read(openapi_text()), expected_version=None)
    with pytest.raises(ConcurrentChangeError):
        api_services.replace_document(
            api=api,
            document=read(openapi_text(operations=[("get", "/x", "x", [])])),
            expected_version=api.version - 1,
        )
    assert written(since) == []


def test_putting_apis_in_a_product_and_taking_them_out_is_recorded_once(make_api, product):
    api = make_api("Shipments")
    since = mark()
    assert api_services.add_apis(product=product, apis=[api], added_by=None) == 1
    assert api_services.add_apis(product=product, apis=[api], added_by=None) == 0
    assert api_services.remove_api(product=product, api=api)
    assert not api_services.remove_api(product=product, api=api)
    assert [row(record) for record in written(since)] == [
        ("product_api.add", obj(product), obj(api), None, None),
        ("product_api.remove", obj(product), obj(api), None, None),
    ]


def test_restricting_and_lifting_are_recorded_per_group(make_api, partners, beta):
    api = make_api("Shipments")
    since = mark()
    api_services.restrict(api=api, kind="tag", target="Admin", groups=[beta], added_by=None)
    api_services.restrict(
        api=api, kind="tag", target="Admin", groups=[beta, partners], added_by=None
    )
    assert api_services.unrestrict(api=api, kind="tag", target="Admin", group=beta) == 1
    assert api_services.unrestrict(api=api, kind="tag", target="Admin", group=beta) == 0
    assert api_services.unrestrict(api=api, kind="tag", target="Admin") == 1
    tag = {"kind": "tag", "target": "Admin"}
    assert [row(record) for record in written(since)] == [
        ("operation_access.grant", obj(api), obj(beta), None, tag),
        ("operation_access.grant", obj(api), obj(partners), None, tag),
        ("operation_access.revoke", obj(api), obj(beta), tag, None),
        ("operation_access.revoke", obj(api), obj(partners), tag, None),
    ]


def test_restricting_what_the_api_does_not_have_leaves_no_record(make_api, beta):
    api = make_api("Shipments")
    since = mark()
    with pytest.raises(ValidationError, match="has no operation"):
        api_services.restrict(
            api=api, kind="operation", target="nope", groups=[beta], added_by=None
        )
    assert written(since) == []


def test_deleting_an_api_records_each_product_and_restriction_it_takes(
    make_api, make_product, beta
):
    first, second = make_product("First"), make_product("Second")
    api = make_api("Shipments", products=[first, second])
    api_services.restrict(api=api, kind="tag", target="Admin", groups=[beta], added_by=None)
    api_ref = obj(api)
    document = stored_document(api)
    since = mark()

    summary = api_services.delete_api(api=api)

    records = written(since)
    assert [row(record)[:3] for record in records] == [
        ("api.delete", api_ref, None),
        ("product_api.remove", obj(first), api_ref),
        ("product_api.remove", obj(second), api_ref),
        ("operation_access.revoke", api_ref, obj(beta)),
    ]
    assert records[0].before["document_sha256"] == hashlib.sha256(document).hexdigest()
    assert records[0].before["path"] == "shipments"
    assert records[3].before == {"kind": "tag", "target": "Admin"}
    assert caused_by(records) == [None] + [records[0].pk] * 3
    assert summary.record_id == records[0].pk


# --- Pages --------------------------------------------------------------------------------


@pytest.fixture
def make_page(db: None) -> Any:
    def make(title: str, **fields: Any) -> Page:
        return page_services.create_page(title=title, **fields)

    return make


def body_values(body: str) -> dict[str, Any]:
    return {"body_length": len(body), "body_sha256": hashlib.sha256(body.encode()).hexdigest()}


def test_creating_a_page_records_it_with_its_body_by_length_and_hash(db, partners):
    since = mark()
    page = page_services.create_page(
        title="Partner guide",
        slug="partner-guide",
        body="Secret plans",
        visibility=Page.Visibility.GROUPS,
        groups=[partners],
    )
    records = written(since)
    assert [row(record) for record in records] == [
        (
            "page.create",
            obj(page),
            None,
            None,
            {
                "title": "Partner guide",
                "slug": "partner-guide",
                "order": 0,
                "menu": "none",
                "visibility": "groups",
                "state": "draft",
                "is_landing": False,
            }
            | body_values("Secret plans"),
        ),
        ("page_access.grant", obj(page), obj(partners), None, None),
    ]
    assert caused_by(records) == [None, records[0].pk]
    assert "Secret plans" not in json.dumps([record.after for record in records])


def test_a_refused_page_leaves_no_record(make_page):
    make_page("Guide", slug="guide")
    since = mark()
    with pytest.raises(ValidationError):
        page_services.create_page(title="Other", slug="guide")
    with pytest.raises(ValidationError):
        page_services.create_page(title="Other", slug="Not A Slug")
    assert written(since) == []


def test_updating_a_page_records_what_changed_and_nothing_for_no_change(make_page):
    page = make_page("Guide", slug="guide", body="Old")
    since = mark()
    saved = page_services.update_page(
        page=page, expected_version=page.version, title="Guide", body="New", order=3
    )
    page_services.update_page(page=saved, expected_version=None, body="New", order=3)
    with pytest.raises(ConcurrentChangeError):
        page_services.update_page(page=page, expected_version=page.version, body="Late")
    with pytest.raises(ValidationError):
        page_services.update_page(page=page, expected_version=None, slug="new")
    assert [row(record) for record in written(since)] == [
        (
            "page.update",
            obj(page),
            None,
            {"order": 0} | body_values("Old"),
            {"order": 3} | body_values("New"),
        )
    ]


def test_publishing_and_unpublishing_a_page_are_recorded_once_each(make_page):
    page = make_page("Guide", slug="guide")
    since = mark()
    page_services.set_state(page=page, state=Page.State.PUBLISHED)
    page_services.set_state(page=page, state=Page.State.PUBLISHED)
    page_services.set_state(page=page, state=Page.State.DRAFT)
    assert [row(record) for record in written(since)] == [
        ("page.publish", obj(page), None, {"state": "draft"}, {"state": "published"}),
        ("page.unpublish", obj(page), None, {"state": "published"}, {"state": "draft"}),
    ]


def test_restoring_a_version_is_recorded_with_the_version_put_back(make_page):
    page = make_page("Guide", slug="guide", body="First")
    first = page.version
    page = page_services.update_page(page=page, expected_version=None, body="Second")
    since = mark()
    page_services.restore_version(page=page, number=first, expected_version=page.version)
    with pytest.raises(ValidationError, match="no longer kept"):
        page_services.restore_version(page=page, number=99, expected_version=None)
    assert [row(record) for record in written(since)] == [
        (
            "page.restore",
            obj(page),
            None,
            body_values("Second"),
            body_values("First") | {"restored_version": first},
        )
    ]


def test_a_new_landing_page_records_the_one_it_replaces(make_page):
    old = make_page("Welcome", slug="welcome-back", is_landing=True)
    page = make_page("Guide", slug="guide")
    since = mark()
    page_services.update_page(page=page, expected_version=None, is_landing=True)
    records = written(since)
    assert [row(record) for record in records] == [
        ("page.update", obj(page), None, {"is_landing": False}, {"is_landing": True}),
        ("page.update", obj(old), None, {"is_landing": True}, {"is_landing": False}),
    ]
    assert caused_by(records) == [None, records[0].pk]
    assert records[1].object_label == "Welcome"


def test_granting_and_revoking_a_page_is_recorded_once(make_page, partners, beta):
    page = make_page("Guide", slug="guide", visibility=Page.Visibility.GROUPS)
    since = mark()
    assert page_services.grant_page(page=page, groups=[partners, beta], added_by=None) == 2
    assert page_services.grant_page(page=page, groups=[beta], added_by=None) == 0
    assert page_services.revoke_page(page=page, group=beta)
    assert not page_services.revoke_page(page=page, group=beta)
    assert [row(record) for record in written(since)] == [
        ("page_access.grant", obj(page), obj(partners), None, None),
        ("page_access.grant", obj(page), obj(beta), None, None),
        ("page_access.revoke", obj(page), obj(beta), None, None),
    ]


def test_deleting_a_page_records_each_group_it_was_shown_to(make_page, partners, beta):
    page = make_page(
        "Guide", slug="guide", body="Text", visibility="groups", groups=[partners, beta]
    )
    page_ref = obj(page)
    since = mark()
    page_services.delete_page(page=page)
    records = written(since)
    assert [row(record) for record in records] == [
        (
            "page.delete",
            page_ref,
            None,
            {
                "title": "Guide",
                "slug": "guide",
                "order": 0,
                "menu": "none",
                "visibility": "groups",
                "state": "draft",
                "is_landing": False,
            }
            | body_values("Text"),
            None,
        ),
        ("page_access.revoke", page_ref, obj(partners), None, None),
        ("page_access.revoke", page_ref, obj(beta), None, None),
    ]
    assert caused_by(records) == [None, records[0].pk, records[0].pk]


# --- Branding -----------------------------------------------------------------------------


def test_branding_records_the_name_and_colour_that_changed(db):
    since = mark()
    saved = branding.update_branding(
        expected_version=None, portal_name=" Acme ", accent_colour="#1F4E79"
    )
    branding.update_branding(expected_version=saved.version, portal_name="Acme")
    assert [row(record) for record in written(since)] == [
        (
            "settings.branding",
            ("settings", "branding"),
            None,
            {"portal_name": "Portico"},
            {"portal_name": "Acme"},
        )
    ]


def test_branding_records_the_logo_by_size_and_hash_never_its_bytes(db):
    logo = png(4, 4)
    since = mark()
    saved = branding.set_logo(expected_version=None, content=logo)
    branding.remove_logo(expected_version=saved.version)
    digest = hashlib.sha256(logo).hexdigest()
    assert [row(record) for record in written(since)] == [
        (
            "settings.branding",
            ("settings", "branding"),
            None,
            {"logo_type": "", "logo_size": None, "logo_sha256": None},
            {"logo_type": "image/png", "logo_size": len(logo), "logo_sha256": digest},
        ),
        (
            "settings.branding",
            ("settings", "branding"),
            None,
            {"logo_type": "image/png", "logo_size": len(logo), "logo_sha256": digest},
            {"logo_type": "", "logo_size": None, "logo_sha256": None},
        ),
    ]


def test_refused_or_stale_branding_leaves_no_record(db):
    saved = branding.update_branding(expected_version=None, portal_name="Acme")
    since = mark()
    with pytest.raises(ValidationError):
        branding.update_branding(expected_version=None, accent_colour="#ffff00")
    with pytest.raises(ValidationError):
        branding.set_logo(expected_version=None, content=b"GIF89a")
    with pytest.raises(ConcurrentChangeError):
        branding.update_branding(expected_version=saved.version - 1, portal_name="Late")
    assert written(since) == []
