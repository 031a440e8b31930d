"""{% user_state person %}: an account's state as a badge, for rows of long lists.

One tag call costs a fraction of an {% include %}, which a list of people
paid once per row.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

_BADGES = {
    "blocked": mark_safe('<span class="badge text-bg-danger">Blocked</span>'),
    "waiting": mark_safe('<span class="badge text-bg-warning">Waiting for approval</span>'),
    "pending": mark_safe('<span class="badge text-bg-warning">Pending</span>'),
    "active": mark_safe('<span class="badge text-bg-light border">Active</span>'),
}


@register.simple_tag
def user_state(person: Any) -> SafeString:
    if person.state == "blocked":
        return _BADGES["blocked"]
    if person.waiting_for_approval:
        return _BADGES["waiting"]
    if person.state == "pending":
        return _BADGES["pending"]
    return _BADGES["active"]
