from __future__ import annotations

import pytest
from django.urls import reverse

from portal.links import link_maker


@pytest.mark.parametrize(
    ("viewname", "values"),
    [
        ("console:user_detail", [1, 42, 1234567]),
        ("groups:detail", ["bench-00001", "a.b_c-d", "7319731973197319"]),
        ("groups:members", ["developers", "x.y"]),
    ],
)
def test_link_maker_gives_what_reverse_gives(viewname, values):
    link = link_maker(viewname)
    for value in values:
        assert link(value) == reverse(viewname, args=[value])


def test_link_maker_keeps_the_arguments_given_first():
    link = link_maker("groups:remove_member", "partners")
    assert link(17) == reverse("groups:remove_member", args=["partners", 17])


def test_link_maker_refuses_a_url_without_an_argument():
    with pytest.raises(Exception):  # noqa: B017, PT011 (NoReverseMatch or ValueError)
        link_maker("console:users")


def test_link_maker_keeps_the_arguments_given_after():
    link = link_maker("groups:remove_member", after=[17])
    for name in ["partners", "a.b_c-d"]:
        assert link(name) == reverse("groups:remove_member", args=[name, 17])
