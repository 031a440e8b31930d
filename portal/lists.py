"""Search and paging, for every list page of the console and the developer portal."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.db.models.query import ModelIterable
from django.http import HttpRequest

MAX_QUERY_LENGTH = 200
# Page numbers past this are read as this (a count never needs to reach further).
MAX_PAGE = 1_000_000


def search_query(request: HttpRequest) -> str:
    """The `q` parameter, trimmed; over-long input is cut rather than refused."""
    # PostgreSQL refuses NUL in text; nobody means to search for one.
    return request.GET.get("q", "").replace("\x00", "").strip()[:MAX_QUERY_LENGTH]


def choice(request: HttpRequest, name: str, allowed: Any, default: str = "") -> str:
    """A filter parameter if it is one of the allowed values, else the default."""
    value = request.GET.get(name, default)
    return value if value in allowed else default


# A list counts this many rows past the start of the page shown, and no
# more: beyond that it says "1,000+" (counting every match of a common word
# among 100,000 people costs more than the page itself).
COUNT_AHEAD = 1000


class MoreThan(int):
    """A count that stopped counting: its value is what was seen, and it
    reads as more than one less ("1,000+" for 1,001), which is all it knows."""

    def __str__(self) -> str:
        return f"{self - 1:,}+"


class ListPaginator(Paginator):
    """Counts at most `ahead` rows past the start of the wanted page (all when None).

    A capped count still knows there is a next page, so Next keeps working
    past the cap: each page counts on from where it starts. A capped
    list's rows are found by their keys first, then loaded with their
    annotations and related rows, so that a deep page doesn't compute the
    annotations of the rows it skips (PostgreSQL does, for OFFSET).
    """

    def __init__(
        self, object_list: Any, per_page: int, *, wanted: int = 1, ahead: int | None = None
    ) -> None:
        super().__init__(object_list, per_page)
        self.wanted = wanted
        self.ahead = ahead

    @cached_property
    def count(self) -> int:
        rows = self.object_list
        if self.ahead is None or not isinstance(rows, QuerySet):
            return super().count
        limit = (self.wanted - 1) * self.per_page + self.ahead + 1
        # values("pk") leaves the annotations out of the count.
        seen = rows.order_by().values("pk")[:limit].count()
        return MoreThan(seen) if seen == limit else seen

    @cached_property
    def num_pages(self) -> int:
        pages = super().num_pages
        return MoreThan(pages) if isinstance(self.count, MoreThan) else pages

    def page(self, number: Any) -> Page:
        page = super().page(number)
        rows, shown = self.object_list, page.object_list
        if (
            self.ahead is not None
            and isinstance(rows, QuerySet)
            and isinstance(shown, QuerySet)
            and _costly_rows(shown)
        ):
            page.object_list = _by_keys_first(rows, shown)
        return page


def _costly_rows(rows: QuerySet[Any]) -> bool:
    """Whether each row costs more than reading it: annotations or joined rows."""
    query = rows.query
    whole_rows = rows._iterable_class is ModelIterable and not query.combinator
    return whole_rows and bool(query.annotations or query.select_related)


def _by_keys_first(rows: QuerySet[Any], page: QuerySet[Any]) -> list[Any]:
    """The rows of one page (a slice of rows), in the page's order.

    The keys come from the page's own query, ordering and slice (with only
    the annotations its ordering needs); then only those rows are loaded
    whole, with rows' annotations, joins and prefetches.
    """
    keys = list(page.values_list("pk", flat=True))
    if not keys:
        return []
    loaded = {row.pk: row for row in rows.order_by().filter(pk__in=keys)}
    return [loaded[key] for key in keys if key in loaded]


def paginate(
    request: HttpRequest, items: Any, per_page: int | None = None, *, capped: bool = False
) -> Page:
    """The requested page; a page number out of range gives the nearest page.

    capped counts no further than COUNT_AHEAD rows past the page, and
    loads a page's annotated rows by their keys (see ListPaginator): the
    console's lists and pickers, whose count is only shown, never acted on.
    """
    number = request.GET.get("page", "")
    wanted = 1
    try:
        # As Django's Paginator reads it ("+5", " 5", "5_0" included).
        asked = int(number)
    except ValueError:
        asked = 1
    if asked < 1:
        number = "1"
    wanted = min(max(asked, 1), MAX_PAGE)  # past any end: the last page, counted exactly
    paginator = ListPaginator(
        items,
        per_page or settings.PORTICO_PAGE_SIZE,
        wanted=wanted,
        ahead=COUNT_AHEAD if capped else None,
    )
    # get_page answers a number past the end with the last page, and
    # anything that isn't a number with the first.
    return paginator.get_page(number)
