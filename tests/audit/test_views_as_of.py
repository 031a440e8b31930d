"""The Access as of pages: what they show, and who may open them."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apis import services as api_services
from groups import services as group_services


@pytest.fixture
def url(product):
    return reverse("products:as_of", args=[product.name])


def test_an_administrator_sees_who_could_see_the_product(
    client, administrator, product, member, url
):
    client.force_login(administrator)
    response = client.get(url)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Access as of" in body
    assert member.email in body
    assert "Partners" in body


def test_a_moment_before_the_product_says_it_did_not_exist(client, administrator, product, url):
    client.force_login(administrator)
    response = client.get(url, {"at": "2020-01-01T00:00"})
    assert (
        "didn’t exist then" in response.content.decode()
        or "didn't exist then" in response.content.decode()
    )


def test_comparing_two_moments_lists_who_was_lost(
    client, administrator, product, member, partners, url
):
    client.force_login(administrator)
    before = client.get(url).context["moment"]
    group_services.remove_member(group=partners, user=member)
    response = client.get(url, {"compare": before.strftime("%Y-%m-%dT%H:%M:%S.%f")})
    assert response.status_code == 200
    (people, groups, held) = response.context["changes"]
    assert people.lost == [member.email] and people.gained == []
    assert groups.lost == groups.gained == []


def test_a_moment_in_the_future_is_refused_by_the_field(client, administrator, url):
    client.force_login(administrator)
    response = client.get(url, {"at": "2999-01-01T00:00"})
    assert response.status_code == 200
    assert "Pick a moment up to now" in response.content.decode()


@pytest.mark.parametrize("value", ["yesterday", "2026-13-40T99:99", "<script>", "0" * 300])
def test_a_malformed_moment_gets_a_message(client, administrator, url, value):
    client.force_login(administrator)
    response = client.get(url, {"at": value})
    assert response.status_code == 200
    assert "Enter a valid date/time." in response.content.decode()


def test_an_unknown_product_is_404(client, administrator):
    client.force_login(administrator)
    assert client.get(reverse("products:as_of", args=["nope"])).status_code == 404


def test_a_guest_is_sent_to_sign_in(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert "signin" in response["Location"] or "login" in response["Location"]


@pytest.mark.parametrize("who", ["developer", "member", "support_staff"])
def test_people_without_the_console_are_refused(client, request, url, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(url).status_code == 403


def test_a_blocked_account_is_sent_to_sign_in(client, blocked_user, url):
    client.force_login(blocked_user)
    assert client.get(url).status_code == 302


def test_the_page_reads_a_constant_number_of_queries(
    client, administrator, product, partners, make_user, url
):
    client.force_login(administrator)
    group_services.add_members(group=partners, users=[make_user()], added_by=administrator)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    # Ids are read in chunks of thousands: one member or thirty, the same queries.
    few = queries()
    group_services.add_members(
        group=partners, users=[make_user() for _ in range(30)], added_by=administrator
    )
    group_services.remove_member(group=partners, user=make_user())
    assert queries() == few


def test_a_persons_page_lists_what_they_could_see(client, administrator, member, product):
    client.force_login(administrator)
    response = client.get(reverse("console:user_as_of", args=[member.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert product.display_name in body
    assert "Partners" in body


def test_a_persons_comparison_lists_the_product_lost(
    client, administrator, member, partners, product
):
    client.force_login(administrator)
    url = reverse("console:user_as_of", args=[member.pk])
    before = client.get(url).context["moment"]
    group_services.remove_member(group=partners, user=member)
    response = client.get(url, {"compare": before.strftime("%Y-%m-%dT%H:%M:%S.%f")})
    products, groups, held = response.context["changes"]
    assert products.lost == [product.display_name]
    assert groups.lost == ["Partners"]


def test_the_user_detail_explains_since_when_and_who_granted(
    client, administrator, member, product
):
    client.force_login(administrator)
    body = client.get(reverse("console:user_detail", args=[member.pk])).content.decode()
    assert "the group has seen it since" in body
    assert "Access as of a date" in body


def test_an_apis_page_lists_who_could_see_it_through_its_products(
    client, administrator, member, product
):
    api = api_services.create_api(name="echo", display_name="Echo", path="echo")
    api_services.add_apis(product=product, apis=[api], added_by=administrator)
    client.force_login(administrator)
    response = client.get(reverse("apis:as_of", args=[api.name]))
    assert response.status_code == 200
    body = response.content.decode()
    assert member.email in body
    assert product.display_name in body


@pytest.mark.parametrize("name", ["console:user_as_of", "apis:as_of"])
def test_the_other_pages_refuse_a_developer(client, developer, name, member):
    client.force_login(developer)
    arg = member.pk if name == "console:user_as_of" else "anything"
    assert client.get(reverse(name, args=[arg])).status_code == 403
