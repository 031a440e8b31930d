"""The console's Subscriptions › + Add subscription: an administrator's grant, and the
address suggestions it asks for as one is typed."""

from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse
from django.utils.html import escape

from portal.models import User
from subscriptions.models import Subscription
from tests.conftest import messages_of, table_row

GRANT = reverse("subscriptions:grant")
SUGGEST = reverse("subscriptions:grant_developers")


@pytest.fixture
def hidden(make_product, beta):
    """Hidden Gems: published, shared with Beta testers only."""
    return make_product("Hidden Gems", groups=[beta])


def form(**changes):
    return {
        "developer": "outsider@example.com",
        "scope": "products/hidden-gems",
        "display_name": "Given",
        "state": "",
        "notify": "on",
    } | changes


def test_the_list_offers_add_subscription(client, administrator):
    client.force_login(administrator)
    body = client.get(reverse("subscriptions:list")).content.decode()
    assert f'<a class="btn btn-primary" href="{GRANT}">+ Add subscription</a>' in body


def test_the_page_shows_the_form(client, administrator, hidden):
    client.force_login(administrator)
    body = client.get(GRANT).content.decode()
    for name in ("developer", "scope", "display_name", "state", "notify"):
        assert f'name="{name}"' in body
    assert 'list="developer-options"' in body
    assert f'data-lookup="{SUGGEST}"' in body
    assert '<optgroup label="Products">' in body
    assert '<option value="products/hidden-gems">Hidden Gems</option>' in body
    # No APIs yet: no empty group.
    assert "APIs (one API alone)" not in body


def test_a_grant_on_a_hidden_product_lands_on_its_page_marked_granted(
    client, administrator, outsider, hidden, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(administrator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(GRANT, form(), follow=True)
    made = Subscription.objects.get()
    assert response.redirect_chain == [(made.get_absolute_url(), 302)]
    assert (made.owner, made.product, made.state) == (outsider, hidden, "active")
    assert (made.granted_by, made.beyond_sight) == (administrator, True)
    assert messages_of(response) == [
        "Granted “Given” to outsider@example.com for Hidden Gems. It is active; its keys are on "
        "their profile, and they have been emailed. They can't see Hidden Gems in the portal: "
        "the subscription stands on your grant, and losing sight of other products won't "
        "suspend it."
    ]
    body = response.content.decode()
    assert "Granted by</dt>" in body
    assert f'<a href="{administrator.get_absolute_url()}">Ada Admin</a>' in body
    assert "Otto Outsider can't see this product" in body
    assert [message.to for message in mailoutbox] == [[outsider.email]]
    listed = client.get(reverse("subscriptions:list")).content.decode()
    assert ">Granted</span>" in table_row(listed, made.get_absolute_url())


def test_as_the_product_says_waits_for_approval_and_says_what_next(
    client, administrator, outsider, make_product, mailoutbox
):
    make_product("Ledger", approval_required=True, groups=[])
    client.force_login(administrator)
    response = client.post(GRANT, form(scope="products/ledger", notify=""), follow=True)
    assert Subscription.objects.get().state == "submitted"
    assert "It waits for approval: press Approve when it should start." in messages_of(response)[0]
    assert mailoutbox == []


def test_the_state_chosen_wins_over_the_product(client, administrator, outsider, make_product):
    make_product("Ledger", approval_required=True, groups=[])
    client.force_login(administrator)
    client.post(GRANT, form(scope="products/ledger", state="active"))
    assert Subscription.objects.get().state == "active"


def test_a_grant_on_a_product_the_developer_sees_is_ordinary(
    client, administrator, member, product
):
    client.force_login(administrator)
    response = client.post(GRANT, form(developer="DEV@Example.com", scope="products/payments"))
    made = Subscription.objects.get()
    assert (made.owner, made.granted, made.beyond_sight) == (member, True, False)
    assert response.status_code == 302


def errors_of(response, field):
    return response.context["form"].errors.get(field, [])


@pytest.mark.parametrize(
    ("changes", "field", "error"),
    [
        (
            {"developer": "nobody@example.com"},
            "developer",
            "No account has this email address. Check it, or add the developer under Users first.",
        ),
        ({"developer": "not an address"}, "developer", "Enter a valid email address."),
        (
            {"developer": "blocked@example.com"},
            "developer",
            "blocked@example.com is blocked: unblock the account before granting it a "
            "subscription.",
        ),
        (
            {"scope": "products/nothing"},
            "scope",
            "Choose one of the products or APIs in the list.",
        ),
        ({"scope": "apis/nothing"}, "scope", "Choose one of the products or APIs in the list."),
        ({"scope": "hidden-gems"}, "scope", "Choose one of the products or APIs in the list."),
        ({"scope": "groups/beta"}, "scope", "Choose one of the products or APIs in the list."),
        ({"scope": ""}, "scope", "This field is required."),
        ({"display_name": "   "}, "display_name", "This field is required."),
        (
            {"display_name": "x" * 101},
            "display_name",
            "Ensure this value has at most 100 characters (it has 101).",
        ),
        ({"state": "cancelled"}, "state", "Select a valid choice. cancelled is not one of the"),
    ],
)
def test_a_refusal_is_next_to_its_field_and_keeps_what_was_typed(
    client, administrator, outsider, blocked_user, hidden, changes, field, error
):
    client.force_login(administrator)
    response = client.post(GRANT, form(display_name="<b>Mine</b>") | changes)
    assert response.status_code == 200
    assert any(message.startswith(error) for message in errors_of(response, field))
    body = response.content.decode()
    assert "is-invalid" in body
    typed = form(display_name="<b>Mine</b>") | changes
    if field != "developer":
        assert f'value="{typed["developer"]}"' in body
    if field != "display_name":
        assert f'value="{escape(typed["display_name"])}"' in body
    if field != "scope":
        assert '<option value="products/hidden-gems" selected>' in body
    assert not Subscription.objects.exists()


def test_the_products_limit_is_explained_next_to_the_scope(
    client, administrator, outsider, make_product
):
    make_product("Capped", subscriptions_limit=1, groups=[])
    client.force_login(administrator)
    assert client.post(GRANT, form(scope="products/capped")).status_code == 302
    response = client.post(GRANT, form(scope="products/capped", display_name="Second"))
    assert errors_of(response, "scope") == [
        "outsider@example.com already holds 1 subscription to Capped, its limit per developer. "
        "Cancel one of theirs, or raise the limit in the product's Settings."
    ]
    assert 'value="Second"' in response.content.decode()
    assert Subscription.objects.count() == 1


# Suggestions as an address is typed


def test_suggestions_match_names_and_addresses_and_mark_blocked_accounts(
    client, administrator, outsider, blocked_user
):
    client.force_login(administrator)
    assert client.get(SUGGEST, {"q": "otto"}).json() == {
        "developers": [{"email": "outsider@example.com", "label": "Otto Outsider"}]
    }
    assert client.get(SUGGEST, {"q": "blocked@"}).json() == {
        "developers": [{"email": "blocked@example.com", "label": "Test Person (blocked)"}]
    }
    assert client.get(SUGGEST, {"q": "  "}).json() == {"developers": []}


def test_suggestions_are_a_few_in_one_query_however_many_people_there_are(
    client, administrator, django_assert_max_num_queries
):
    User.objects.bulk_create(
        User(email=f"many{n:05}@example.com", api_id=f"many-{n}") for n in range(2000)
    )
    client.force_login(administrator)
    # 1. the session 2. the signed-in user 3. on SQLite, the ids the trigram index
    # finds (at most FEW + 1) 4. the ten matches
    with django_assert_max_num_queries(4 if connection.vendor == "sqlite" else 3):
        found = client.get(SUGGEST, {"q": "many"}).json()["developers"]
    assert [row["email"] for row in found] == [f"many{n:05}@example.com" for n in range(10)]
