"""portal.names: the folded key that name uniqueness compares, and the ID proposed from a name."""

from __future__ import annotations

import pytest

from portal.names import MAX_ID_LENGTH, fold_name, propose_id


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("ÉQUIPE", "équipe"),
        ("Partners", "PARTNERS"),
        ("e\u0301quipe", "équipe"),  # decomposed é, composed é
        ("ﬁnance", "FINANCE"),  # the "fi" ligature
        ("Straße", "STRASSE"),
        ("ＡＰＩ", "api"),  # full-width letters
    ],
)
def test_fold_name_folds_case_and_unicode_forms_alike(one, other):
    assert fold_name(one) == fold_name(other)


def test_fold_name_keeps_names_that_differ_apart():
    assert fold_name("équipe") != fold_name("equipe")
    assert fold_name("Partners") != fold_name("Partner")


def test_fold_name_keeps_spaces_and_punctuation():
    assert fold_name("  Partner Deals! ") == "  partner deals! "


@pytest.mark.parametrize(
    ("display_name", "proposed"),
    [
        ("Partners", "partners"),
        ("Café Crème", "cafe-creme"),
        ("Partner   Deals!!", "partner-deals"),
        ("Payments & Refunds / EU", "payments-refunds-eu"),
        ("My_API v2.0", "my_api-v2.0"),
        ("--Hello.World--", "hello.world"),
        (".hidden.", "hidden"),
        ("  spaced  ", "spaced"),
        ("ﬁnance", "finance"),
        ("Ärger über Öl", "arger-uber-ol"),
        ("2024", "2024"),
    ],
)
def test_propose_id_makes_a_lowercase_slug(display_name, proposed):
    assert propose_id(display_name) == proposed


@pytest.mark.parametrize("display_name", ["", "   ", "!!!", "日本語", "-.-", "€ & £"])
def test_propose_id_proposes_nothing_without_usable_characters(display_name):
    assert propose_id(display_name) == ""


def test_propose_id_is_at_most_the_longest_id():
    assert propose_id("x" * 1000) == "x" * MAX_ID_LENGTH
    assert MAX_ID_LENGTH == 256


def test_propose_id_cut_at_the_limit_ends_without_a_dot():
    assert propose_id("a" * (MAX_ID_LENGTH - 1) + ".b") == "a" * (MAX_ID_LENGTH - 1)


def test_propose_id_cut_at_the_limit_ends_without_a_hyphen():
    proposed = propose_id("a" * (MAX_ID_LENGTH - 1) + " tail")
    assert proposed == "a" * (MAX_ID_LENGTH - 1)
