"""{% user_state person %}: the badge every list of people shows."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.utils import timezone

from portal.models import User


@pytest.mark.parametrize(
    ("state", "confirmed", "badge"),
    [
        ("active", False, '<span class="badge text-bg-light border">Active</span>'),
        ("blocked", True, '<span class="badge text-bg-danger">Blocked</span>'),
        ("pending", False, '<span class="badge text-bg-warning">Pending</span>'),
        ("pending", True, '<span class="badge text-bg-warning">Waiting for approval</span>'),
    ],
)
def test_the_badge_says_the_state(state, confirmed, badge):
    person = User(state=state, email_confirmed_at=timezone.now() if confirmed else None)
    template = Template("{% load people %}{% user_state person %}")
    assert template.render(Context({"person": person})) == badge
    partial = Template('{% include "partials/user_state.html" %}')
    assert partial.render(Context({"person": person})).strip() == badge
