"""SCIM filters (RFC 7644 §3.4.2.2) as database queries.

The maintained scim2-models parser reads the filter; this module maps each
attribute it names onto a column, so a filter on an attribute Portico does
not keep is refused (400 invalidFilter) rather than matching nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q
from scim2_models.exceptions import InvalidFilterException
from scim2_models.path import (
    AttrPath,
    CompareOperator,
    Comparison,
    FilterNode,
    LogicalExpr,
    LogicalOperator,
    Not,
    Present,
    ScimFilter,
    ValuePath,
)

from scim.errors import ScimError

MAX_FILTER_LENGTH = 2000


@dataclass(frozen=True)
class Column:
    """Where an attribute lives: its lookup path, and how it compares."""

    field: str
    # "text" compares ignoring case (caseExact false); "exact" doesn't; "bool"
    # takes only eq and ne with true or false; "constant" always holds `value`.
    kind: str = "text"
    value: Any = None


def invalid_filter(detail: str) -> ScimError:
    return ScimError(400, detail, "invalidFilter")


class Schema:
    """The filterable attributes of one resource type, by (attribute, sub-attribute) folded."""

    def __init__(self, urn: str, columns: dict[tuple[str, str | None], Column]) -> None:
        self.urn = urn.lower()
        self.columns = columns

    def column(self, path: AttrPath, parent: str | None = None) -> Column:
        if path.uri is not None and path.uri.lower() != self.urn:
            raise invalid_filter(f"Portico has no attribute {path} to filter on.")
        key = (
            (parent.lower(), path.attr.lower())
            if parent
            else (path.attr.lower(), path.sub_attr.lower() if path.sub_attr else None)
        )
        column = self.columns.get(key)
        if column is None:
            name = f"{parent}.{path}" if parent else str(path)
            raise invalid_filter(f"Portico has no attribute {name} to filter on.")
        return column


def to_query(text: str, schema: Schema) -> Q:
    """The database condition for a filter; a filter that doesn't parse or names an
    attribute Portico doesn't keep is a 400 invalidFilter."""
    if len(text) > MAX_FILTER_LENGTH:
        raise invalid_filter(f"Filters are at most {MAX_FILTER_LENGTH} characters long.")
    try:
        tree = ScimFilter(text).ast
    except InvalidFilterException as error:
        raise invalid_filter(f"The filter is malformed: {error.detail}.") from None
    return _node(tree, schema, None)


def _node(node: FilterNode, schema: Schema, parent: str | None) -> Q:
    if isinstance(node, LogicalExpr):
        queries = [_node(term, schema, parent) for term in node.terms]
        combined = queries[0]
        for query in queries[1:]:
            combined = combined & query if node.op == LogicalOperator.and_ else combined | query
        return combined
    if isinstance(node, Not):
        return ~_node(node.expr, schema, parent)
    if isinstance(node, ValuePath):
        if parent is not None:
            raise invalid_filter("Value filters can't nest.")
        return _node(node.val_filter, schema, node.attr_path.attr)
    if isinstance(node, Present):
        return _present(schema.column(node.attr_path, parent))
    if isinstance(node, Comparison):
        return _compare(schema.column(node.attr_path, parent), node, parent)
    raise invalid_filter("The filter is malformed.")  # pragma: no cover - the parser's nodes


NOTHING = Q(pk__in=[])
EVERYTHING = ~Q(pk__in=[])


def _present(column: Column) -> Q:
    if column.kind == "constant":
        return EVERYTHING
    if column.kind == "bool":
        return Q(**{f"{column.field}__isnull": False})
    return Q(**{f"{column.field}__gt": ""})


TEXT_LOOKUPS = {
    CompareOperator.eq: "iexact",
    CompareOperator.ne: "iexact",
    CompareOperator.co: "icontains",
    CompareOperator.sw: "istartswith",
    CompareOperator.ew: "iendswith",
    CompareOperator.gt: "gt",
    CompareOperator.ge: "gte",
    CompareOperator.lt: "lt",
    CompareOperator.le: "lte",
}


def _compare(column: Column, node: Comparison, parent: str | None) -> Q:
    name = f"{parent}.{node.attr_path}" if parent else str(node.attr_path)
    value = node.value
    if column.kind == "bool":
        if node.op not in (CompareOperator.eq, CompareOperator.ne) or not isinstance(value, bool):
            raise invalid_filter(f"{name} is true or false: compare it with eq or ne only.")
        query = Q(**{column.field: value})
        return query if node.op == CompareOperator.eq else ~query
    if value is None:
        if node.op not in (CompareOperator.eq, CompareOperator.ne):
            raise invalid_filter(f"Only eq and ne compare {name} with null.")
        query = ~_present(column)
        return query if node.op == CompareOperator.eq else ~query
    if not isinstance(value, str):
        raise invalid_filter(f"{name} is text: compare it with a quoted string.")
    if column.kind == "constant":
        matched = _matches(str(column.value), node.op, value)
        return EVERYTHING if matched else NOTHING
    lookup = TEXT_LOOKUPS[node.op]
    if column.kind == "exact":
        lookup = lookup.removeprefix("i")
    query = Q(**{f"{column.field}__{lookup}": value})
    return ~query if node.op == CompareOperator.ne else query


def _matches(held: str, op: CompareOperator, value: str) -> bool:
    held, value = held.casefold(), value.casefold()
    return {
        CompareOperator.eq: held == value,
        CompareOperator.ne: held != value,
        CompareOperator.co: value in held,
        CompareOperator.sw: held.startswith(value),
        CompareOperator.ew: held.endswith(value),
        CompareOperator.gt: held > value,
        CompareOperator.ge: held >= value,
        CompareOperator.lt: held < value,
        CompareOperator.le: held <= value,
    }[op]
