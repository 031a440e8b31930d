"""portal.console: the list, picker, confirmation and conflict helpers every console tab uses."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from django.http import QueryDict
from django.urls import reverse

from groups.models import Membership
from portal import console
from portal.models import User
from products import services as product_services
from products.forms import ProductSettingsForm
from tests.conftest import messages_of


@pytest.fixture
def admin_client(client, administrator):
    client.force_login(administrator)
    return client


def group_ids(response):
    return [group.name for group in response.context["page"]]


def levels(response):
    return [(message.level_tag, str(message)) for message in response.context["messages"]]


# list_page


def test_list_page_keeps_the_filter_to_allowed_values(admin_client, partners, beta):
    custom = admin_client.get(reverse("groups:list"), {"type": "custom"})
    assert (custom.context["filter_value"], custom.context["filtered"]) == ("custom", True)
    assert group_ids(custom) == ["beta", "partners"]
    unknown = admin_client.get(reverse("groups:list"), {"type": "nonsense"})
    assert (unknown.context["filter_value"], unknown.context["filtered"]) == ("", False)
    assert len(group_ids(unknown)) == 5


def test_list_page_sorts_and_ignores_an_unknown_sort(admin_client, partners, beta):
    url = reverse("groups:list")
    backwards = admin_client.get(url, {"type": "custom", "sort": "-name"})
    assert (backwards.context["sort"], group_ids(backwards)) == ("-name", ["partners", "beta"])
    unknown = admin_client.get(url, {"type": "custom", "sort": "id; DROP TABLE"})
    assert (unknown.context["sort"], group_ids(unknown)) == ("name", ["beta", "partners"])


@pytest.mark.parametrize(
    ("page", "shown"), [("2", 2), ("99", 3), ("0", 1), ("-4", 1), ("two", 1), ("", 1)]
)
def test_list_page_pages_to_the_nearest_page(
    admin_client, settings, partners, beta, others, page, shown
):
    settings.PORTICO_PAGE_SIZE = 2  # six groups, three system ones: three pages
    response = admin_client.get(reverse("groups:list"), {"page": page})
    assert response.status_code == 200
    assert response.context["page"].number == shown
    assert len(group_ids(response)) == 2


def test_list_page_prepares_the_rows_of_the_page(
    admin_client, administrator, blocked_user, developer
):
    # Users prepares its page at once (each_page) ...
    response = admin_client.get(reverse("console:users"))
    cells = {person.email: person.groups_cell for person in response.context["page"]}
    assert cells == {
        "root@example.com": "Administrators, Developers",
        "blocked@example.com": "Guests",
        "dev@example.com": "Developers",
    }
    # ... and Groups row by row (each).
    response = admin_client.get(reverse("groups:list"))
    links = {group.link for group in response.context["page"]}
    assert links == {reverse("groups:detail", args=[g.name]) for g in response.context["page"]}
    assert len(links) == len(response.context["page"]) > 0


# picker_page and _submitted


def test_picker_page_marks_who_is_already_in(admin_client, partners, member, outsider):
    response = admin_client.get(reverse("groups:add_members", args=[partners.name]))
    rows = {row.item.email: (row.value, row.taken) for row in response.context["rows"]}
    assert rows["dev@example.com"] == (str(member.pk), True)
    assert rows["outsider@example.com"] == (str(outsider.pk), False)


def test_picker_page_with_nothing_valid_ticked_says_so(admin_client, partners, outsider):
    url = reverse("groups:add_members", args=[partners.name])
    ticked = ["", "\x00", "abc", "1\x002", "9" * 19, "１２", "-1", "999999"]
    response = admin_client.post(url, {"pick": ticked})
    assert response.status_code == 200
    assert response.context["error"] == console.PEOPLE.nothing_chosen
    assert not Membership.objects.exists()


def test_picker_page_hands_over_the_existing_ones_and_counts_the_missing(
    admin_client, partners, outsider
):
    url = reverse("groups:add_members", args=[partners.name])
    response = admin_client.post(url, {"pick": [str(outsider.pk), "999999", "junk"]}, follow=True)
    assert list(partners.memberships.values_list("user_id", flat=True)) == [outsider.pk]
    assert messages_of(response) == [
        "Added 1 member to Partners. Some of the people chosen no longer exist and were skipped."
    ]


def test_picker_page_by_id_drops_a_value_holding_nul(admin_client, developer, partners, beta):
    url = reverse("console:user_add_groups", args=[developer.pk])
    admin_client.post(url, {"pick": ["beta", "partners\x00", ""]})
    assert list(developer.memberships.values_list("group__name", flat=True)) == ["beta"]


# confirmed


def test_confirmed_asks_on_get_and_changes_nothing(admin_client, partners, member):
    response = admin_client.get(reverse("groups:remove_member", args=[partners.name, member.pk]))
    assert response.status_code == 200
    assert response.context["confirm"].title == "Remove Dev Eloper from Partners?"
    assert partners.memberships.filter(user=member).exists()


def test_confirmed_acts_on_post_and_says_what_it_did(admin_client, partners, member):
    url = reverse("groups:remove_member", args=[partners.name, member.pk])
    response = admin_client.post(url, follow=True)
    assert levels(response) == [("success", "Removed Dev Eloper from Partners.")]
    assert not partners.memberships.exists()


def test_confirmed_explains_when_there_was_nothing_to_do(admin_client, partners, developer):
    url = reverse("groups:remove_member", args=[partners.name, developer.pk])
    response = admin_client.post(url, follow=True)
    assert levels(response) == [("info", "Dev Eloper was not a member of Partners.")]


def test_confirmed_shows_a_refusal_as_an_error(admin_client, administrator):
    url = reverse("console:user_block", args=[administrator.pk])
    response = admin_client.post(url, follow=True)
    assert response.redirect_chain == [(administrator.get_absolute_url(), 302)]
    assert levels(response) == [("danger", "You can't block your own account.")]
    assert User.objects.get(pk=administrator.pk).state == User.State.ACTIVE


# reopen_after_conflict and entity_context


def test_reopen_after_conflict_keeps_what_was_typed_beside_what_was_saved(product):
    theirs = product_services.update_product(
        product=product, expected_version=1, display_name="Theirs"
    )
    typed = {"display_name": "Mine", "description": "", "terms": "", "version": "1"}
    typed |= {"subscription_required": "on", "subscriptions_limit": "3"}
    form, rows = console.reopen_after_conflict(
        ProductSettingsForm, QueryDict(urlencode(typed)), theirs
    )
    assert form.data["version"] == "2" and form.data["display_name"] == "Mine"
    assert form.instance == theirs and form.is_valid()
    assert rows == [
        ("Name", "Theirs", "Mine"),
        ("Description", "Take payments", "(empty)"),
        ("Terms of use", "(empty)", "(empty)"),
        ("Requires subscription", "yes", "yes"),
        ("Requires approval", "no", "no"),
        ("Subscriptions per developer", "(empty)", "3"),
        ("Listed in the catalogue", "no", "no"),
    ]


def test_entity_context_builds_the_heading_breadcrumbs_and_tabs(partners):
    tabs = [("overview", "Overview", "groups:detail"), ("members", "Members", "groups:members")]
    context = console.entity_context(
        partners, tab="members", tabs=tabs, listed=("Groups", "groups:list")
    )
    assert context == {
        "heading": "Partners",
        "breadcrumbs": [("Groups", "/console/groups/")],
        "tabs": [
            console.Tab("overview", "Overview", "/console/groups/partners/"),
            console.Tab("members", "Members", "/console/groups/partners/members/"),
        ],
        "tab": "members",
        "tab_label": "Members",
    }
    overview = console.entity_context(
        partners, tab="overview", tabs=tabs, listed=("Groups", "groups:list")
    )
    assert overview["tab_label"] == ""


@pytest.mark.parametrize("number", ["--4", "-", "4-", "٣", "1e3"])
def test_paginate_takes_any_page_number_without_failing(client, db, number):
    response = client.get(reverse("portal:products"), {"page": number})
    assert response.status_code == 200
