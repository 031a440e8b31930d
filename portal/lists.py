"""Helpers shared by every paginated, searchable list page."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.http import HttpRequest

MAX_QUERY_LENGTH = 200


def search_query(request: HttpRequest) -> str:
    """The `q` parameter, trimmed; over-long input is cut rather than refused."""
    return request.GET.get("q", "").strip()[:MAX_QUERY_LENGTH]


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
