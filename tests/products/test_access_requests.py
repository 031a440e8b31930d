"""Requests for access to a listed product: who sees what, the service rules, the
emails, and the approvals inbox's "product" kind."""

from __future__ import annotations

import pytest
from django.core import mail as outbox
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from audit import context
from groups import services as group_services
from groups.models import Membership
from portal import approvals
from portal.models import Job
from products import services
from products.models import AccessRequest, Product
from tests.concurrency import run_together


@pytest.fixture
def starter(make_product, partners):
    """Starter: published and listed, seen by Partners (and Administrators) only."""
    return make_product("Starter", description="Build *quickly*", listed=True, groups=[partners])


@pytest.fixture
def waiting(starter, outsider):
    return services.request_access(user=outsider, product=starter, reason="We build apps")


# --- Who a product is listed for --------------------------------------------------


def test_listed_for_is_published_listed_products_the_viewer_does_not_see(
    make_product, starter, outsider, member, administrator, developers
):
    make_product("Hidden", listed=False)
    make_product("Draft", listed=True, state=Product.State.NOT_PUBLISHED)
    make_product("Open", listed=True, groups=[developers])
    assert set(Product.objects.listed_for(outsider).values_list("name", flat=True)) == {"starter"}
    assert not Product.objects.listed_for(member).exists()
    assert not Product.objects.listed_for(administrator).exists()


def test_listing_leaves_what_people_see_alone(starter, outsider, member):
    assert starter not in Product.objects.visible_to(outsider)
    assert starter in Product.objects.visible_to(member)


# --- Asking --------------------------------------------------------------------


def test_request_is_stored_waiting_and_announced_once_committed(
    starter, outsider, administrator, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        asked = services.request_access(user=outsider, product=starter, reason="  We build  ")
    assert asked.state == AccessRequest.State.SUBMITTED
    assert asked.reason == "We build"
    # One job is handed to the queue once the request commits: the administrators' email.
    # (Beside it, the activity record's mark of what the transaction wrote, which does nothing.)
    handed = [callback for callback in callbacks if not isinstance(callback, context._Written)]
    assert len(handed) == 1
    job = Job.objects.get()
    assert job.params["send"] == "portal.approvals.send_approvals_digest"


def test_a_second_request_while_one_waits_is_refused(waiting, starter, outsider):
    with pytest.raises(ValidationError, match="already asked for access to this product"):
        services.request_access(user=outsider, product=starter, reason="Again")
    assert AccessRequest.objects.count() == 1


def test_the_database_allows_one_waiting_request_per_person_and_product(starter, outsider):
    AccessRequest.objects.create(user=outsider, product=starter, reason="One")
    with pytest.raises(IntegrityError), transaction.atomic():
        AccessRequest.objects.create(user=outsider, product=starter, reason="Two")


@pytest.mark.django_db(transaction=True)
def test_racing_requests_leave_one_waiting(make_product, make_user, partners):
    starter = make_product("Starter", listed=True, groups=[partners])
    person = make_user()

    def ask(index):
        return services.request_access(user=person, product=starter, reason=f"Try {index}")

    results, errors = run_together(4, ask)
    assert AccessRequest.objects.filter(user=person, product=starter).count() == 1
    assert len([result for result in results if result is not None]) == 1
    assert len(errors) == 3
    assert all("already asked for access" in str(error) for error in errors)


def test_people_who_see_the_product_can_not_ask(starter, member, administrator):
    for person in (member, administrator):
        with pytest.raises(ValidationError, match="You can already see Starter"):
            services.request_access(user=person, product=starter, reason="Please")
    assert not AccessRequest.objects.exists()


def test_products_not_listed_or_not_published_take_no_requests(make_product, outsider):
    hidden = make_product("Hidden")
    draft = make_product("Draft", listed=True, state=Product.State.NOT_PUBLISHED)
    for product in (hidden, draft):
        with pytest.raises(ValidationError, match="doesn't take requests"):
            services.request_access(user=outsider, product=product, reason="Please")
    assert not AccessRequest.objects.exists()


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_reason_is_required(starter, outsider, reason):
    with pytest.raises(ValidationError, match="Say why you need access"):
        services.request_access(user=outsider, product=starter, reason=reason)


def test_a_reason_over_1000_characters_is_refused(starter, outsider):
    with pytest.raises(ValidationError):
        services.request_access(user=outsider, product=starter, reason="x" * 1001)
    assert not AccessRequest.objects.exists()


def test_after_a_rejection_the_person_may_ask_again(waiting, starter, outsider, administrator):
    services.reject_access_request(request=waiting, decided_by=administrator, reason="Who?")
    again = services.request_access(user=outsider, product=starter, reason="I'm Otto")
    assert again.is_waiting


# --- Deciding --------------------------------------------------------------------


def test_approving_adds_the_person_to_the_group_and_emails_them(
    waiting, starter, outsider, administrator, partners, django_capture_on_commit_callbacks
):
    outbox.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        decided = services.approve_access_request(
            request=waiting, decided_by=administrator, group=partners
        )
    assert decided.state == AccessRequest.State.APPROVED
    assert (decided.decided_by, decided.group) == (administrator, partners)
    assert decided.decided_at is not None
    assert Membership.objects.get(group=partners, user=outsider).added_by == administrator
    assert starter in Product.objects.visible_to(outsider)
    assert not Product.objects.listed_for(outsider).exists()
    [email] = outbox.outbox
    assert email.to == [outsider.email]
    assert email.subject == "You can now see Starter"
    assert "/products/starter/" in email.body
    assert "You were added to Partners." in email.body


def test_approving_into_a_group_that_does_not_see_the_product_is_refused(
    waiting, outsider, administrator, beta
):
    with pytest.raises(ValidationError, match="Beta testers doesn't see Starter"):
        services.approve_access_request(request=waiting, decided_by=administrator, group=beta)
    waiting.refresh_from_db()
    assert waiting.is_waiting
    assert not Membership.objects.filter(user=outsider).exists()


@pytest.mark.parametrize("group_fixture", ["developers", "guests", "administrators", "external"])
def test_approving_into_a_system_or_external_group_is_refused(
    request, waiting, starter, outsider, administrator, group_fixture
):
    group = request.getfixturevalue(group_fixture)
    services.grant_access(product=starter, groups=[group], added_by=administrator)
    with pytest.raises(ValidationError, match="isn't a custom group"):
        services.approve_access_request(request=waiting, decided_by=administrator, group=group)
    waiting.refresh_from_db()
    assert waiting.is_waiting
    assert not Membership.objects.filter(user=outsider).exists()


def test_approving_without_a_group_is_refused(waiting, administrator):
    with pytest.raises(ValidationError, match="Choose the group"):
        services.approve_access_request(request=waiting, decided_by=administrator, group=None)


def test_rejecting_keeps_the_reason_and_emails_it(
    waiting, outsider, administrator, django_capture_on_commit_callbacks
):
    outbox.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        decided = services.reject_access_request(
            request=waiting, decided_by=administrator, reason="Partners <only> & friends"
        )
    assert decided.state == AccessRequest.State.REJECTED
    assert decided.decision_reason == "Partners <only> & friends"
    assert decided.group is None
    assert not Membership.objects.filter(user=outsider).exists()
    [email] = outbox.outbox
    assert email.to == [outsider.email]
    assert email.subject == "Your request for access to Starter was declined"
    assert "The reason given: Partners <only> & friends" in email.body
    assert "/profile/" in email.body


@pytest.mark.parametrize("reason", ["", "  ", "x" * 1001])
def test_rejecting_needs_a_reason_of_at_most_1000_characters(waiting, administrator, reason):
    with pytest.raises(ValidationError):
        services.reject_access_request(request=waiting, decided_by=administrator, reason=reason)
    waiting.refresh_from_db()
    assert waiting.is_waiting


def test_withdrawing_ends_the_request_without_email(
    waiting, outsider, django_capture_on_commit_callbacks
):
    outbox.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        decided = services.withdraw_access_request(request=waiting)
    assert decided.state == AccessRequest.State.WITHDRAWN
    assert decided.decided_by == outsider
    assert outbox.outbox == []


def test_a_decided_request_can_not_be_decided_again(waiting, outsider, administrator, partners):
    services.withdraw_access_request(request=waiting)
    with pytest.raises(ValidationError, match="already withdrawn"):
        services.approve_access_request(request=waiting, decided_by=administrator, group=partners)
    with pytest.raises(ValidationError, match="already withdrawn"):
        services.reject_access_request(request=waiting, decided_by=administrator, reason="No")
    with pytest.raises(ValidationError, match="already withdrawn"):
        services.withdraw_access_request(request=waiting)
    assert not Membership.objects.filter(user=outsider).exists()


def test_deleting_the_group_keeps_the_decided_request(waiting, administrator, partners):
    services.approve_access_request(request=waiting, decided_by=administrator, group=partners)
    group_services.delete_group(group=partners)
    waiting.refresh_from_db()
    assert waiting.state == AccessRequest.State.APPROVED
    assert waiting.group is None


# --- The approvals inbox's kind ----------------------------------------------------


def product_kind() -> approvals.Kind:
    kind = approvals.kind("product")
    assert kind is not None
    return kind


def test_the_kind_is_registered_and_lists_waiting_requests(waiting, starter, make_user):
    kind = product_kind()
    assert (kind.label, kind.noun, kind.template) == (
        "Product access",
        "request for access",
        "products/approval_row.html",
    )
    services.withdraw_access_request(
        request=services.request_access(user=make_user(), product=starter, reason="Gone")
    )
    assert list(kind.waiting()) == [waiting]
    assert ("product", waiting.pk) in [
        (entry_kind, entry_id) for entry_id, entry_kind, _ in approvals.entries([kind])
    ]


@pytest.mark.parametrize("query", ["otto", "OUTSIDER", "outsider@example", "start", "otto star"])
def test_the_kind_searches_person_and_product(waiting, query):
    kind = product_kind()
    assert list(kind.search(kind.waiting(), query)) == [waiting]
    assert not kind.search(kind.waiting(), "nobody").exists()


def test_the_kind_loads_a_page_in_constant_queries(
    starter, make_user, make_product, partners, beta, django_assert_num_queries
):
    services.grant_access(product=starter, groups=[beta], added_by=None)
    ids = []
    for number in range(6):
        product = make_product(f"Listed {number}", listed=True, groups=[partners])
        ids.append(services.request_access(user=make_user(), product=product, reason="Hi").pk)
    ids.append(services.request_access(user=make_user(), product=starter, reason="Hi").pk)
    kind = product_kind()
    with django_assert_num_queries(2):
        loaded = kind.load(ids)
        shown = {
            pk: [link.group.display_name for link in item.product.custom_links]
            for pk, item in loaded.items()
        }
    assert shown[ids[-1]] == ["Beta testers", "Partners"]
    assert shown[ids[0]] == ["Partners"]


def test_the_row_offers_the_products_custom_groups(waiting, starter, beta):
    from django.template.loader import render_to_string

    kind = product_kind()
    services.grant_access(product=starter, groups=[beta], added_by=None)
    item = kind.load([waiting.pk])[waiting.pk]
    html = render_to_string(kind.template, {"item": item, "kind": kind})
    assert f'name="product-{waiting.pk}-group"' in html
    assert "Otto Outsider" in html and "We build apps" in html and "Starter" in html
    assert html.index("Beta testers") < html.index("Partners")
    assert "selected" in html.split("Beta testers")[0]
    assert "Administrators" not in html


def test_the_row_says_when_no_custom_group_sees_the_product(make_product, outsider, developers):
    product = make_product("Lonely", listed=True, groups=[])
    asked = services.request_access(user=outsider, product=product, reason="Hi")
    kind = product_kind()
    from django.template.loader import render_to_string

    html = render_to_string(kind.template, {"item": kind.load([asked.pk])[asked.pk], "kind": kind})
    assert "No custom group sees this product yet: give one access first." in html
    assert "<select" not in html


def test_the_kind_approves_into_the_chosen_group(waiting, outsider, administrator, partners):
    said = product_kind().approve(
        waiting, administrator, {f"product-{waiting.pk}-group": str(partners.pk)}
    )
    assert said == "Otto Outsider can now see Starter, as a member of Partners."
    assert Membership.objects.filter(group=partners, user=outsider).exists()


@pytest.mark.parametrize("choice", [None, "", "abc", "999999", "system", "unlinked"])
def test_the_kind_refuses_a_missing_or_wrong_group(
    waiting, outsider, administrator, developers, beta, choice
):
    value = {"system": str(developers.pk), "unlinked": str(beta.pk)}.get(choice or "", choice)
    data = {} if choice is None else {f"product-{waiting.pk}-group": value}
    with pytest.raises(ValidationError):
        product_kind().approve(waiting, administrator, data)
    waiting.refresh_from_db()
    assert waiting.is_waiting
    assert not Membership.objects.filter(user=outsider).exists()


def test_the_kind_rejects_with_a_reason_and_summarises(waiting, administrator):
    kind = product_kind()
    assert kind.summary(waiting) == ("Otto Outsider <outsider@example.com> asks to see Starter")
    with pytest.raises(ValidationError):
        kind.reject(waiting, administrator, "")
    said = kind.reject(waiting, administrator, "Not yet")
    assert said == "Rejected Otto Outsider's request for access to Starter."
    waiting.refresh_from_db()
    assert waiting.state == AccessRequest.State.REJECTED
