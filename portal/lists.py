"""Search and paging, for every list page of the console and the developer portal."""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.http import HttpRequest

MAX_QUERY_LENGTH = 200


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
    if re.fullmatch(r"-?[0-9]+", number) and int(number) < 1:
        number = "1"
    # get_page answers a number past the end with the last page, and
    # anything that isn't a number with the first.
    return paginator.get_page(number)
