"""Helpers shared by every paginated, searchable list page."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.http import HttpRequest

MAX_QUERY_LENGTH = 200

# Groups and products sort the same ways: by name either way, or latest change.
NAME_SORTS = {
    "name": ["display_name_key", "pk"],
    "-name": ["-display_name_key", "-pk"],
    "-updated": ["-updated_at", "-pk"],
}
NAME_SORT_CHOICES = [
    ("name", "Name, A–Z"),
    ("-name", "Name, Z–A"),
    ("-updated", "Recently changed"),
]


def search_query(request: HttpRequest) -> str:
    """The `q` parameter, trimmed; over-long input is cut rather than refused."""
    # PostgreSQL refuses NUL in text; nobody means to search for one.
    return request.GET.get("q", "").replace("\x00", "").strip()[:MAX_QUERY_LENGTH]


def choice(request: HttpRequest, name: str, allowed: Any, default: str = "") -> str:
    """A filter parameter if it is one of the allowed values, else the default."""
    value = request.GET.get(name, default)
    return value if value in allowed else default


def paginate(request: HttpRequest, items: Any, per_page: int | None = None) -> Page:
    """The requested page; a page number out of range gives the nearest page."""
    paginator = Paginator(items, per_page or settings.PORTICO_PAGE_SIZE)
    number = request.GET.get("page", "")
    if number.lstrip("-").isascii() and number.lstrip("-").isdigit() and int(number) < 1:
        number = "1"
    # get_page answers a number past the end with the last page, and
    # anything that isn't a number with the first.
    return paginator.get_page(number)


def submitted_names(values: list[str]) -> set[str]:
    """Non-empty submitted identifiers, without any holding a NUL (PostgreSQL refuses those)."""
    return {value for value in values if value and "\x00" not in value}
