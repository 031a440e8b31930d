"""Requests to join a group, as pages: the portal's Groups page, the request form,
withdrawing from the profile, and the console's Requests tab."""

from __future__ import annotations

import pytest
from django.urls import reverse

from groups import services
from groups.models import GroupRequest, Membership
from tests.conftest import messages_of

SIGN_IN = "/signin/"


@pytest.fixture
def open_partners(partners):
    return services.update_group(
        group=partners,
        expected_version=partners.version,
        requestable=True,
        request_hint="People at <b>partner</b> companies",
    )


@pytest.fixture
def waiting(open_partners, outsider):
    return services.request_to_join(user=outsider, group=open_partners, reason="We ship <now>")


def test_groups_page_lists_requestable_groups_with_their_hint(
    client, open_partners, beta, outsider
):
    client.force_login(outsider)
    body = client.get(reverse("portal:groups")).content.decode()
    assert "Partners" in body
    assert "People at &lt;b&gt;partner&lt;/b&gt; companies" in body
    assert "Beta testers" not in body
    assert reverse("portal:request_group", args=["partners"]) in body


def test_groups_page_shows_membership_and_waiting_state(client, open_partners, member, waiting):
    client.force_login(member)
    assert "You are a member" in client.get(reverse("portal:groups")).content.decode()
    client.force_login(waiting.user)
    body = client.get(reverse("portal:groups")).content.decode()
    assert "Request waiting" in body
    assert reverse("portal:request_group", args=["partners"]) not in body


def test_groups_page_queries_stay_constant(
    client, outsider, make_user, django_assert_max_num_queries
):
    for number in range(3):
        group = services.create_group(name=f"g{number}", display_name=f"G {number}")
        services.update_group(group=group, expected_version=group.version, requestable=True)
    client.force_login(outsider)
    # Warm: the menus' pages are read once, then from the shared cache (a
    # query with the database cache, within the bound; none with Redis).
    client.get(reverse("portal:groups"))
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("portal:groups"))
    for number in range(3, 20):
        group = services.create_group(name=f"g{number}", display_name=f"G {number}")
        group = services.update_group(group=group, expected_version=group.version, requestable=True)
        services.request_to_join(user=outsider, group=group, reason="Hi")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("portal:groups"))


@pytest.mark.parametrize("who", ["anonymous", "blocked_user", "pending_user"])
def test_people_not_signed_in_are_sent_to_sign_in(client, open_partners, who, sign_in_as):
    sign_in_as(who)
    for url in (
        reverse("portal:groups"),
        reverse("portal:request_group", args=["partners"]),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(SIGN_IN)
    response = client.post(reverse("portal:request_group", args=["partners"]), {"reason": "x"})
    assert response["Location"].startswith(SIGN_IN)
    assert not GroupRequest.objects.exists()


def test_requesting_sends_the_request_and_says_what_happens_next(client, open_partners, outsider):
    client.force_login(outsider)
    page = client.get(reverse("portal:request_group", args=["partners"]))
    assert "Who should ask: People at &lt;b&gt;partner&lt;/b&gt; companies" in page.text
    response = client.post(
        reverse("portal:request_group", args=["partners"]), {"reason": "We ship"}, follow=True
    )
    assert "An administrator will approve or reject it" in " ".join(messages_of(response))
    assert GroupRequest.objects.get().reason == "We ship"


def test_a_second_request_while_one_waits_is_refused_with_a_clear_message(
    client, waiting, outsider
):
    client.force_login(outsider)
    response = client.post(reverse("portal:request_group", args=["partners"]), {"reason": "Again"})
    assert response.status_code == 400
    assert "your request is waiting for an administrator" in response.text
    assert GroupRequest.objects.count() == 1


def test_a_member_is_told_they_are_already_in(client, open_partners, member):
    client.force_login(member)
    response = client.post(reverse("portal:request_group", args=["partners"]), {"reason": "x"})
    assert response.status_code == 400
    assert "already a member of Partners" in response.text
    assert not GroupRequest.objects.exists()


@pytest.mark.parametrize("reason", ["", "x" * 1001])
def test_a_missing_or_long_reason_is_refused_next_to_the_field(
    client, open_partners, outsider, reason
):
    client.force_login(outsider)
    response = client.post(reverse("portal:request_group", args=["partners"]), {"reason": reason})
    assert response.status_code == 400
    assert "invalid-feedback" in response.text
    assert not GroupRequest.objects.exists()


@pytest.mark.parametrize("name", ["partners", "developers", "administrators", "external", "nope"])
def test_groups_not_offered_are_404(client, partners, external, outsider, name):
    # Partners here is not requestable.
    client.force_login(outsider)
    assert client.get(reverse("portal:request_group", args=[name])).status_code == 404
    response = client.post(reverse("portal:request_group", args=[name]), {"reason": "x"})
    assert response.status_code == 404
    assert not GroupRequest.objects.exists()


def test_profile_shows_requests_and_their_states(client, waiting, administrator, beta, outsider):
    beta = services.update_group(group=beta, expected_version=beta.version, requestable=True)
    refused = services.request_to_join(user=outsider, group=beta, reason="Test")
    services.reject_request(request=refused, decided_by=administrator, reason="Not <yet>")
    client.force_login(outsider)
    body = client.get(reverse("portal:profile")).content.decode()
    assert "Requests to join groups" in body
    assert ">Waiting</span>" in body
    assert ">Rejected</span>" in body
    assert "Reason: Not &lt;yet&gt;" in body
    assert reverse("portal:withdraw_group_request", args=[waiting.pk]) in body
    assert reverse("portal:withdraw_group_request", args=[refused.pk]) not in body


def test_withdrawing_from_the_profile(client, waiting, outsider):
    client.force_login(outsider)
    url = reverse("portal:withdraw_group_request", args=[waiting.pk])
    assert client.get(url).status_code == 405
    response = client.post(url, follow=True)
    assert "Withdrew your request to join Partners." in messages_of(response)
    waiting.refresh_from_db()
    assert waiting.state == GroupRequest.State.WITHDRAWN
    again = client.post(url, follow=True)
    assert "This request was already withdrawn." in messages_of(again)


def test_someone_elses_request_can_not_be_withdrawn(client, waiting, member):
    client.force_login(member)
    url = reverse("portal:withdraw_group_request", args=[waiting.pk])
    assert client.post(url).status_code == 404
    waiting.refresh_from_db()
    assert waiting.is_waiting


def test_console_requests_tab_lists_waiting_requests(client, administrator, waiting):
    client.force_login(administrator)
    body = client.get(reverse("groups:requests", args=["partners"])).content.decode()
    assert "Otto Outsider" in body
    assert "We ship &lt;now&gt;" in body
    assert reverse("groups:request_approve", args=["partners", waiting.pk]) in body
    assert reverse("groups:request_reject", args=["partners", waiting.pk]) in body


def test_console_requests_tab_queries_stay_constant(
    client, administrator, open_partners, make_user, django_assert_max_num_queries
):
    client.force_login(administrator)
    services.request_to_join(user=make_user(), group=open_partners, reason="Hi")
    with django_assert_max_num_queries(15) as few:
        client.get(reverse("groups:requests", args=["partners"]))
    for _ in range(25):
        asked = services.request_to_join(user=make_user(), group=open_partners, reason="Hi")
        services.reject_request(request=asked, decided_by=administrator, reason="No")
        services.request_to_join(user=asked.user, group=open_partners, reason="Again")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("groups:requests", args=["partners"]))


def test_console_approve_adds_the_member(client, administrator, waiting, outsider):
    client.force_login(administrator)
    url = reverse("groups:request_approve", args=["partners", waiting.pk])
    assert "Their reason: “We ship &lt;now&gt;”" in client.get(url).content.decode()
    response = client.post(url, follow=True)
    assert "Approved: Otto Outsider is now in Partners" in " ".join(messages_of(response))
    assert Membership.objects.filter(user=outsider, group__name="partners").exists()
    again = client.post(url, follow=True)
    assert "This request was already approved." in messages_of(again)


def test_console_reject_needs_a_reason(client, administrator, waiting):
    client.force_login(administrator)
    url = reverse("groups:request_reject", args=["partners", waiting.pk])
    response = client.post(url, {"comment": "  "})
    assert response.status_code == 400
    assert "Give the developer a reason." in response.text
    waiting.refresh_from_db()
    assert waiting.is_waiting
    response = client.post(url, {"comment": "Partners only"}, follow=True)
    assert "they have been told why by email" in " ".join(messages_of(response))
    waiting.refresh_from_db()
    assert waiting.decision_reason == "Partners only"


def test_console_request_of_another_group_is_404(client, administrator, waiting, beta):
    client.force_login(administrator)
    for name in ("groups:request_approve", "groups:request_reject"):
        assert client.get(reverse(name, args=["beta", waiting.pk])).status_code == 404
        assert client.post(reverse(name, args=["beta", waiting.pk])).status_code == 404
    waiting.refresh_from_db()
    assert waiting.is_waiting


def test_settings_make_a_group_requestable(client, administrator, partners):
    client.force_login(administrator)
    response = client.post(
        reverse("groups:update", args=["partners"]),
        {
            "display_name": "Partners",
            "description": "",
            "requestable": "on",
            "request_hint": "Partner staff",
            "version": partners.version,
        },
    )
    assert response.status_code == 302
    partners.refresh_from_db()
    assert partners.requestable
    assert partners.request_hint == "Partner staff"
