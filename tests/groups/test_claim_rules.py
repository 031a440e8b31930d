"""Claim rules: "signed in through the identity provider with claim X" puts people in a group,
at their first sign-in through the provider."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from groups import services
from groups.models import GroupRule, Membership
from tests.conftest import messages_of


def add_claim_rule(group, claim="department", value="Logistics", by=None):
    return services.add_rule(group=group, kind="claim", claim=claim, value=value, created_by=by)


def test_a_claim_rule_is_described_by_its_claim_and_value(partners):
    rule = add_claim_rule(partners, value="  Logistics ")
    assert (rule.claim, rule.value) == ("department", "Logistics")
    assert rule.description == "identity provider claim department is Logistics"


@pytest.mark.parametrize(
    ("claim", "value", "field"),
    [
        ("", "Logistics", "claim"),
        ("has space", "Logistics", "claim"),
        ("x" * 101, "Logistics", "claim"),
        ("<script>", "Logistics", "claim"),
        ("department", "", "value"),
        ("department", "bad\x00value", "value"),
    ],
)
def test_bad_claim_rules_are_refused_next_to_the_field(partners, claim, value, field):
    with pytest.raises(ValidationError) as refused:
        add_claim_rule(partners, claim=claim, value=value)
    assert field in refused.value.message_dict
    assert not GroupRule.objects.exists()


def test_the_same_claim_rule_twice_is_refused(partners):
    add_claim_rule(partners)
    with pytest.raises(ValidationError, match="has this rule already"):
        add_claim_rule(partners)
    # The same value under another claim, or as an email domain, is another rule.
    add_claim_rule(partners, claim="team")


def test_system_and_external_groups_take_no_claim_rules(developers, external):
    with pytest.raises(ValidationError):
        add_claim_rule(developers)
    with pytest.raises(ValidationError, match="come from the directory"):
        add_claim_rule(external)


@pytest.mark.parametrize(
    ("claims", "matches"),
    [
        ({"department": "logistics"}, True),
        ({"department": " LOGISTICS "}, True),
        ({"department": ["Sales", "Logistics"]}, True),
        ({"department": "Logistics EU"}, False),
        ({"department": 7}, False),
        ({"department": {"name": "Logistics"}}, False),
        ({"team": "Logistics"}, False),
        ({}, False),
    ],
)
def test_claims_match_by_value_in_any_case_or_as_a_list_item(partners, claims, matches):
    rule = add_claim_rule(partners)
    assert GroupRule.objects.matching_claims(claims) == ([rule] if matches else [])


def test_applying_claim_rules_adds_the_person_by_the_rule(partners, beta, developer):
    rule = add_claim_rule(partners)
    add_claim_rule(beta, claim="groups", value="beta-testers")
    added = services.apply_claim_rules(
        user=developer, claims={"department": "Logistics", "groups": ["beta-testers"]}
    )
    assert added == 2
    membership = Membership.objects.get(user=developer, group=partners)
    assert membership.added_by_rule == rule and membership.added_by is None


def test_claim_rules_do_not_preview_or_apply_to_existing_accounts(
    client, administrator, partners, developer
):
    rule = add_claim_rule(partners)
    assert list(services.rule_candidates(rule)) == []
    client.force_login(administrator)
    url = reverse("groups:apply_rule", args=[partners.name, rule.pk])
    response = client.get(url, follow=True)
    assert any("can't be applied to existing accounts" in m for m in messages_of(response))
    assert client.post(url).status_code == 302
    assert not Membership.objects.filter(group=partners).exists()


def test_the_console_adds_a_claim_rule(client, administrator, partners):
    client.force_login(administrator)
    url = reverse("groups:add_rule", args=[partners.name])
    page = client.get(url).content.decode()
    assert "the identity provider says so in a claim" in page
    response = client.post(url, {"kind": "claim", "claim": "department", "value": "Logistics"})
    assert response.status_code == 302
    rules = client.get(response["Location"]).content.decode()
    assert "Identity provider claim" in rules and "department" in rules
    assert "Apply to existing accounts" not in rules


def test_the_console_wants_the_claim_name_for_a_claim_rule(client, administrator, partners):
    client.force_login(administrator)
    url = reverse("groups:add_rule", args=[partners.name])
    response = client.post(url, {"kind": "claim", "claim": "", "value": "Logistics"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Enter the claim&#x27;s name, such as department." in page
    assert 'value="Logistics"' in page
    assert not GroupRule.objects.exists()
