"""The console's Rules tab of a group: list, + Add rule, Delete, Apply to existing accounts."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from groups import services
from groups.models import GroupRule, Membership
from portal.models import User
from tests.conftest import messages_of


@pytest.fixture
def rule(partners, administrator):
    return services.add_rule(group=partners, value="partner.example", created_by=administrator)


def test_the_rules_tab_lists_a_groups_rules(client, administrator, partners, rule):
    client.force_login(administrator)
    body = client.get(reverse("groups:rules", args=[partners.name])).content.decode()
    assert "partner.example" in body
    assert reverse("groups:apply_rule", args=[partners.name, rule.pk]) in body
    assert reverse("groups:delete_rule", args=[partners.name, rule.pk]) in body
    assert "+ Add rule" in body


def test_a_system_group_has_no_rules_to_add(client, administrator, developers):
    client.force_login(administrator)
    body = client.get(reverse("groups:rules", args=[developers.name])).content.decode()
    assert "has no rules" in body and "+ Add rule" not in body
    response = client.post(
        reverse("groups:add_rule", args=[developers.name]), {"value": "partner.example"}
    )
    assert response.status_code == 403
    assert not GroupRule.objects.exists()


def test_adding_a_rule(client, administrator, partners):
    client.force_login(administrator)
    response = client.post(
        reverse("groups:add_rule", args=[partners.name]), {"value": " @Partner.Example "}
    )
    assert response.status_code == 302
    rule = GroupRule.objects.get()
    assert (rule.group, rule.value, rule.created_by) == (partners, "partner.example", administrator)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "This field is required."),
        ("pat@partner.example", "Enter only the domain"),
        ("<script>x</script>", "Enter a domain"),
        ("a" * 301, "at most 300 characters"),
        ("a" * 250 + ".example", "at most 253 characters"),
        ("PARTNER.example", "has this rule already"),
    ],
)
def test_bad_domains_are_refused_next_to_the_field(
    client, administrator, partners, rule, value, message
):
    client.force_login(administrator)
    response = client.post(reverse("groups:add_rule", args=[partners.name]), {"value": value})
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors["value"])
    assert list(GroupRule.objects.all()) == [rule]


def test_a_rule_of_another_group_or_a_missing_one_is_not_found(client, administrator, beta, rule):
    client.force_login(administrator)
    for name in ("apply_rule", "delete_rule"):
        assert client.get(reverse(f"groups:{name}", args=[beta.name, rule.pk])).status_code == 404
        assert client.get(reverse(f"groups:{name}", args=[rule.group.name, 999])).status_code == 404
        assert client.post(reverse(f"groups:{name}", args=[beta.name, rule.pk])).status_code == 404


def test_deleting_a_rule_asks_first(client, administrator, partners, rule):
    client.force_login(administrator)
    url = reverse("groups:delete_rule", args=[partners.name, rule.pk])
    assert "stay in the group" in client.get(url).content.decode()
    assert GroupRule.objects.exists()
    response = client.post(url)
    assert response.status_code == 302
    assert not GroupRule.objects.exists()


def test_the_preview_shows_exactly_who_confirming_adds(
    client, administrator, partners, rule, make_user, settings
):
    settings.PORTICO_PAGE_SIZE = 2
    expected = {make_user(email=f"p{n}@partner.example").email for n in range(3)}
    already = make_user(email="in@partner.example")
    services.add_members(group=partners, users=[already], added_by=administrator)
    make_user(email="blocked@partner.example", state=User.State.BLOCKED)
    make_user(email="pending@partner.example", state=User.State.PENDING)
    make_user(email="x@eu.partner.example")
    client.force_login(administrator)
    url = reverse("groups:apply_rule", args=[partners.name, rule.pk])
    shown = set()
    for page in (1, 2):
        body = client.get(url, {"page": page}).content.decode()
        assert "3 active accounts" in body
        shown |= set(re.findall(r"<td>([^<]+@[^<]+)</td>", body))
    assert shown == expected
    response = client.post(url, follow=True)
    assert messages_of(response) == [
        "Added 3 members to Partners by the rule email domain partner.example."
    ]
    added = Membership.objects.filter(group=partners, added_by_rule=rule)
    assert set(added.values_list("user__email", flat=True)) == shown
    assert "nobody to add" in client.get(url).content.decode()


@pytest.mark.parametrize("rows", [3, 30])
def test_the_preview_takes_the_same_queries_for_few_or_many(
    client, administrator, partners, rule, make_user, rows, django_assert_max_num_queries
):
    for number in range(rows):
        make_user(email=f"p{number}@partner.example")
    client.force_login(administrator)
    url = reverse("groups:apply_rule", args=[partners.name, rule.pk])
    client.get(url)  # warm: the menu's badge is counted once, then read from the cache
    with django_assert_max_num_queries(8):
        response = client.get(url)
    assert f"{rows} active accounts" in response.content.decode()


def test_the_user_page_says_who_or_what_added_each_membership(
    client, administrator, partners, beta, rule, make_user
):
    person = make_user(email="pat@partner.example")
    services.apply_rule(rule=rule)
    services.add_members(group=beta, users=[person], added_by=administrator)
    client.force_login(administrator)
    body = client.get(reverse("console:user_detail", args=[person.pk])).content.decode()
    assert "by rule: email domain partner.example" in body
    assert f"by {administrator.email}" in body
