"""A value filter (the part in brackets of members[value eq "…"]) tested on one value."""

from __future__ import annotations

from typing import Any

from scim2_models.path import (
    CompareOperator,
    Comparison,
    FilterNode,
    LogicalExpr,
    LogicalOperator,
    Not,
    Present,
)


def matches(node: FilterNode, value: dict[str, Any]) -> bool:
    """Whether a multi-valued attribute's value (its sub-attributes, by name) passes the
    filter; names compare ignoring case, and so do values (ids are compared exactly)."""
    if isinstance(node, LogicalExpr):
        results = (matches(term, value) for term in node.terms)
        return all(results) if node.op == LogicalOperator.and_ else any(results)
    if isinstance(node, Not):
        return not matches(node.expr, value)
    fields = {key.lower(): item for key, item in value.items()}
    if isinstance(node, Present):
        return bool(fields.get(node.attr_path.attr.lower()))
    if isinstance(node, Comparison):
        name = node.attr_path.attr.lower()
        held = fields.get(name)
        if held is None or not isinstance(node.value, str):
            return node.op == CompareOperator.ne
        wanted = node.value
        if name != "value":
            held, wanted = held.casefold(), wanted.casefold()
        return {
            CompareOperator.eq: held == wanted,
            CompareOperator.ne: held != wanted,
            CompareOperator.co: wanted in held,
            CompareOperator.sw: held.startswith(wanted),
            CompareOperator.ew: held.endswith(wanted),
            CompareOperator.gt: held > wanted,
            CompareOperator.ge: held >= wanted,
            CompareOperator.lt: held < wanted,
            CompareOperator.le: held <= wanted,
        }[node.op]
    return False
