"""Automatic group rules as a service: add, match, apply on activation and on request."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from groups import invitations, services
from groups.models import GroupRule, Membership
from portal import services as portal_services
from portal.models import User

PASSWORD = "a-rather-unusual-passphrase-42"


def rule_for(group, domain="partner.example", by=None):
    return services.add_rule(group=group, value=domain, created_by=by)


def membership(group, user):
    return Membership.objects.filter(group=group, user=user).first()


@pytest.mark.django_db
def test_a_rule_keeps_the_domain_lower_cased_without_at(partners, administrator):
    rule = rule_for(partners, "@Partner.EXAMPLE", administrator)
    assert rule.value == "partner.example"
    assert rule.created_by == administrator
    assert str(rule) == "email domain partner.example"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "value",
    [
        "",
        "   ",
        "pat@partner.example",
        "partner",
        "part ner.example",
        "<b>x</b>.example",
        "-partner.example",
        "partner-.example",
        "a" * 64 + ".example",
        ("a" * 63 + ".") * 4 + "example",
        "partner..example",
        "under_score.example",
    ],
)
def test_what_is_not_a_domain_is_refused_naming_the_field(partners, value):
    with pytest.raises(ValidationError) as caught:
        rule_for(partners, value)
    assert "value" in caught.value.message_dict
    assert not GroupRule.objects.exists()


@pytest.mark.django_db
def test_internationalised_domains_are_allowed(partners):
    assert rule_for(partners, "Bücher.Example").value == "bücher.example"
    assert rule_for(partners, "xn--bcher-kva.example").value == "xn--bcher-kva.example"


@pytest.mark.django_db
def test_the_same_rule_twice_is_refused_whatever_the_case(partners, beta):
    rule_for(partners)
    with pytest.raises(ValidationError, match="has this rule already"):
        rule_for(partners, "PARTNER.example")
    rule_for(beta)  # another group may have it
    assert GroupRule.objects.count() == 2


@pytest.mark.django_db
def test_a_rule_added_meanwhile_is_refused_as_a_duplicate(partners, monkeypatch):
    # validate_constraints saw no rule, then another request saved it first.
    GroupRule.objects.create(group=partners, value="partner.example")
    monkeypatch.setattr(GroupRule, "validate_constraints", lambda self, exclude=None: None)
    with pytest.raises(ValidationError, match="has this rule already") as caught:
        rule_for(partners)
    assert "value" in caught.value.message_dict
    assert GroupRule.objects.count() == 1


@pytest.mark.django_db
def test_system_groups_get_no_rules(developers, administrators):
    for group in (developers, administrators):
        with pytest.raises(ValidationError, match="system group"):
            rule_for(group)
    assert not GroupRule.objects.exists()


@pytest.mark.django_db
def test_matching_ignores_case_and_subdomains_do_not_match(partners, make_user):
    rule = rule_for(partners)
    exact = make_user(email="a@partner.example")
    shouting = make_user(email="B@PARTNER.EXAMPLE")
    sub = make_user(email="c@eu.partner.example")
    lookalike = make_user(email="d@notpartner.example")
    assert set(services.rule_candidates(rule)) == {exact, shouting}
    assert services.apply_rules(user=sub) == 0
    assert services.apply_rules(user=lookalike) == 0
    assert services.apply_rules(user=shouting) == 1
    assert membership(partners, shouting).added_by_rule == rule


@pytest.mark.django_db
def test_apply_rules_puts_the_account_in_every_matching_group_once(partners, beta, make_user):
    first = rule_for(partners)
    rule_for(beta)
    person = make_user(email="pat@partner.example")
    assert services.apply_rules(user=person) == 2
    assert services.apply_rules(user=person) == 0
    found = membership(partners, person)
    assert found.added_by_rule == first and found.added_by is None


@pytest.mark.django_db
def test_blocked_and_pending_accounts_are_not_added(partners, make_user):
    rule = rule_for(partners)
    blocked = make_user(email="b@partner.example", state=User.State.BLOCKED)
    pending = make_user(email="p@partner.example", state=User.State.PENDING)
    assert services.apply_rules(user=blocked) == 0
    assert services.apply_rules(user=pending) == 0
    assert not services.rule_candidates(rule).exists()
    assert services.apply_rule(rule=rule) == 0


@pytest.mark.django_db
def test_the_preview_is_what_applying_adds(partners, make_user, administrator):
    rule = rule_for(partners)
    people = [make_user(email=f"p{n}@partner.example") for n in range(5)]
    services.add_members(group=partners, users=people[:2], added_by=administrator)
    make_user(email="x@elsewhere.example")
    make_user(email="blocked@partner.example", state=User.State.BLOCKED)
    preview = {person.pk for person in services.rule_candidates(rule)}
    assert preview == {person.pk for person in people[2:]}
    assert services.apply_rule(rule=rule) == len(preview)
    added = Membership.objects.filter(group=partners, added_by_rule=rule)
    assert set(added.values_list("user_id", flat=True)) == preview
    # The people added by hand keep who added them; applying again adds nothing.
    assert membership(partners, people[0]).added_by == administrator
    assert services.apply_rule(rule=rule) == 0
    assert not services.rule_candidates(rule).exists()


@pytest.mark.django_db
def test_deleting_a_rule_keeps_the_members_it_added(partners, make_user):
    rule = rule_for(partners)
    person = make_user(email="pat@partner.example")
    services.apply_rule(rule=rule)
    assert services.delete_rule(rule=rule) is True
    assert services.delete_rule(rule=rule) is False
    assert membership(partners, person).added_by_rule is None


# Activation paths


@pytest.mark.django_db
def test_an_account_created_active_by_an_administrator_gets_its_groups(partners):
    rule = rule_for(partners)
    person = portal_services.create_user(
        email="pat@Partner.Example", first_name="Pat", last_name="P", password=PASSWORD
    )
    assert membership(partners, person).added_by_rule == rule
    pending = portal_services.create_user(
        email="later@partner.example",
        first_name="L",
        last_name="P",
        password=PASSWORD,
        state=User.State.PENDING,
    )
    assert membership(partners, pending) is None


@pytest.mark.django_db
def test_an_accepted_invitation_applies_the_rules(partners, beta, administrator):
    rule = rule_for(beta)
    invitation = invitations.invite(
        email="pat@partner.example", groups=[partners], invited_by=administrator
    )
    token = "t" * 40
    invitation.token_hash = invitations.hash_token(token)
    invitation.save(update_fields=["token_hash"])
    person = invitations.accept(token=token, first_name="Pat", last_name="P", password=PASSWORD)
    assert membership(beta, person).added_by_rule == rule
    assert membership(partners, person).added_by == administrator


@pytest.mark.django_db
@pytest.mark.parametrize("approval", [False, True])
def test_a_confirmed_sign_up_gets_its_groups_when_it_becomes_active(partners, make_user, approval):
    rule = rule_for(partners)
    portal_services.update_signup_settings(expected_version=None, approval=approval)
    person = make_user(email="pat@partner.example", state=User.State.PENDING)
    portal_services.confirm_signup(user=person)
    if approval:
        assert membership(partners, person) is None
        assert portal_services.approve_signup(user=person) is True
    assert membership(partners, person).added_by_rule == rule
