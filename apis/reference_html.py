"""An API's reference as HTML: its operations and named schemas, built in Python.

A 500-operation document has thousands of parameters, responses and property
rows, and Django's template engine spent about a millisecond and a half on
each operation: the first view of a big API's reference took seconds. The same
markup built here takes a fraction of that. Every text taken from the document
goes through `esc` (Django's `conditional_escape`, without its lazy-string
wrapper, which cost more than the rest of the page); Markdown (already rendered safely by
products.markdown) and type labels (escaped by apis.reference) arrive as safe
strings and are kept as they are.

The page around these pieces is the template apis/portal_reference.html.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from typing import Any

from django.utils.safestring import SafeData, SafeString, mark_safe

from apis.reference import (
    Content,
    Example,
    NamedSchema,
    OperationReference,
    Parameter,
    Schema,
    SchemaRow,
)

REQUIRED = ' <span class="badge text-bg-danger-subtle text-danger-emphasis">required</span>'
DEPRECATED = ' <span class="badge text-bg-warning">deprecated</span>'


def esc(value: Any) -> str:
    """HTML-escaped text, unless it is already safe HTML."""
    if isinstance(value, SafeData):
        return str(value)
    return html.escape(str(value))


def toc_entry(op: OperationReference, anchor: str) -> SafeString:
    """The operation's line in the page's table of contents."""
    return mark_safe(  # noqa: S308 - every piece escaped
        f'<li><a href="#{esc(anchor)}"><span class="method-tag method-{esc(op.method.lower())}">'
        f"{esc(op.method)}</span> {esc(op.summary or op.name)}</a></li>"
    )


def operation(op: OperationReference, anchor: str) -> SafeString:
    """One operation, as an <article> whose id is `anchor`."""
    a = esc(anchor)
    method = esc(op.method)
    parts = [
        f'<article class="operation card mb-4" id="{a}" aria-labelledby="{a}-title">',
        '<div class="card-header operation-head d-flex flex-wrap align-items-center gap-2">',
        f'<span class="method-tag method-{esc(op.method.lower())}">{method}</span> ',
        f'<code class="operation-path">{esc(op.path)}</code>',
        ' <span class="badge text-bg-warning">Deprecated</span>' if op.deprecated else "",
        '</div><div class="card-body">',
        f'<h3 class="h5" id="{a}-title">{esc(op.summary or op.name)}</h3>',
        f'<p class="small text-body-secondary">Operation ID <code>{esc(op.name)}</code></p>',
    ]
    if op.description:
        parts.append(f'<div class="markdown mb-3">{esc(op.description)}</div>')
    if op.parameters:
        parts.append(
            '<h4 class="h6 mt-4">Parameters</h4><div class="table-responsive">'
            '<table class="table table-sm align-top reference-table"><thead><tr>'
            '<th scope="col">Name</th><th scope="col">In</th><th scope="col">Type</th>'
            '<th scope="col">Description</th></tr></thead><tbody>'
        )
        parts.extend(_parameter(parameter) for parameter in op.parameters)
        parts.append("</tbody></table></div>")
    if op.body:
        parts.append(f'<h4 class="h6 mt-4">Request body{REQUIRED if op.body.required else ""}</h4>')
        if op.body.description:
            parts.append(f'<div class="markdown mb-2">{esc(op.body.description)}</div>')
        parts.extend(_content(content, properties=True) for content in op.body.contents)
    if op.responses:
        parts.append('<h4 class="h6 mt-4">Responses</h4>')
        for number, response in enumerate(op.responses):
            status = esc(response.status)
            parts.append(
                '<div class="response mb-3"><div class="d-flex gap-2 align-items-baseline">'
                f'<span class="status-code status-{esc(response.status[:1])}xx">{status}</span>'
                f'<div class="markdown">{esc(response.description)}</div></div>'
            )
            # A named schema's properties are listed where they matter most: in the body
            # sent and the first response; elsewhere its name links to its table.
            parts.extend(_content(content, properties=number == 0) for content in response.contents)
            parts.append("</div>")
    parts.append("</div></article>")
    return mark_safe("".join(parts))  # noqa: S308 - every piece escaped above


def named_schema(named: NamedSchema) -> SafeString:
    """One named schema, shown once under Schemas, as an <article> whose id is its anchor."""
    a = esc(named.anchor)
    schema = named.schema
    parts = [
        f'<article class="schema-definition card mb-3" id="{a}" aria-labelledby="{a}-title">',
        '<div class="card-body">',
        '<div class="d-flex flex-wrap gap-2 align-items-baseline mb-2">',
        f'<h3 class="h6 mb-0" id="{a}-title">',
        f'<code class="schema-title">{esc(named.name)}</code></h3>',
        f'<span class="schema-type">{esc(schema.type)}</span></div>',
    ]
    if schema.description:
        parts.append(
            f'<div class="markdown small text-body-secondary mb-2">{esc(schema.description)}</div>'
        )
    parts.append(_values(schema.enum, "p", "small mb-1"))
    parts.append(_properties(schema))
    parts.append(_table(schema))
    parts.extend(_example(example) for example in named.examples)
    parts.append("</div></article>")
    return mark_safe("".join(parts))  # noqa: S308 - every piece escaped above


def _parameter(parameter: Parameter) -> str:
    flags = (REQUIRED if parameter.required else "") + (DEPRECATED if parameter.deprecated else "")
    fmt = _format(parameter.format)
    description = (
        f'<div class="markdown">{esc(parameter.description)}</div>' if parameter.description else ""
    )
    example = (
        f'<div class="small text-body-secondary">Example: <code>{esc(parameter.example)}</code>'
        "</div>"
        if parameter.example
        else ""
    )
    return (
        f"<tr><td><code>{esc(parameter.name)}</code>{flags}</td>"
        f"<td>{esc(parameter.location)}</td>"
        f'<td><span class="schema-type">{esc(parameter.type)}</span>{fmt}</td>'
        f"<td>{description}{_values(parameter.enum, 'div', 'small')}{example}</td></tr>"
    )


def _content(content: Content, *, properties: bool) -> str:
    media = " ".join(f'<code class="media-type">{esc(m)}</code>' for m in content.media_types)
    parts = [f'<div class="media-content ms-md-3 mt-2"><p class="small mb-1">{media}</p>']
    schema = content.schema
    if schema is not None:
        parts.append(
            f'<p class="small mb-1">Schema: <span class="schema-type">{esc(schema.type)}</span></p>'
        )
        if schema.description and not schema.name:  # a named one's is in its table
            parts.append(
                '<div class="markdown small text-body-secondary mb-1">'
                f"{esc(schema.description)}</div>"
            )
        parts.append(_values(schema.enum, "p", "small mb-1"))
        if properties:
            parts.append(_properties(schema))
        parts.append(_table(schema))
    parts.extend(_example(example) for example in content.examples)
    parts.append("</div>")
    return "".join(parts)


def _properties(schema: Schema) -> str:
    """A named schema's properties, by name, where it is used: its table is under Schemas."""
    if not schema.properties:
        return ""
    names = ", ".join(
        f"<code>{esc(name)}</code>"
        + (
            '<span class="text-danger" aria-hidden="true">*</span>'
            '<span class="visually-hidden"> (required)</span>'
            if required
            else ""
        )
        for name, required in schema.properties
    )
    legend = (
        '<span class="text-body-secondary text-nowrap" aria-hidden="true">'
        '(<span class="text-danger">*</span> required)</span>'
        if any(required for _, required in schema.properties)
        else ""
    )
    return f'<p class="small mb-1 schema-properties">Properties: {names} {legend}</p>'


def _table(schema: Schema) -> str:
    if not schema.rows:
        return ""
    rows = "".join(_row(row) for row in schema.rows)
    cut = (
        '<p class="small text-body-secondary">The table is cut here; the downloadable '
        "document has the whole schema.</p>"
        if schema.truncated
        else ""
    )
    return (
        '<div class="table-responsive">'
        '<table class="table table-sm align-top reference-table schema-table"><thead><tr>'
        '<th scope="col">Property</th><th scope="col">Type</th>'
        f'<th scope="col">Description</th></tr></thead><tbody>{rows}</tbody></table></div>{cut}'
    )


def _row(row: SchemaRow) -> str:
    details = [
        f'<div class="markdown">{esc(row.description)}</div>' if row.description else "",
        _values(row.enum, "div", "small"),
    ]
    if row.default:
        details.append(
            f'<div class="small text-body-secondary">Default: <code>{esc(row.default)}</code></div>'
        )
    if row.example:
        details.append(
            f'<div class="small text-body-secondary">Example: <code>{esc(row.example)}</code></div>'
        )
    if row.note:
        details.append(f'<div class="small fst-italic text-body-secondary">{esc(row.note)}</div>')
    return (
        f'<tr><td class="schema-name depth-{row.depth}"><code>{esc(row.name)}</code>'
        f"{REQUIRED if row.required else ''}</td>"
        f'<td><span class="schema-type">{esc(row.type)}</span>{_format(row.format)}</td>'
        f"<td>{''.join(details)}</td></tr>"
    )


def _values(values: Iterable[str], tag: str, css: str) -> str:
    """ "One of: `a`, `b`" for an enum, or nothing."""
    listed = ", ".join(f"<code>{esc(value)}</code>" for value in values)
    return f'<{tag} class="{css}">One of: {listed}</{tag}>' if listed else ""


def _format(value: str) -> str:
    return f' <span class="text-body-secondary small">({esc(value)})</span>' if value else ""


def _example(example: Example) -> str:
    return (
        '<details class="example mb-2">'
        f'<summary class="small text-body-secondary">{esc(example.title)}</summary>'
        f'<pre class="code-block small mt-1"><code>{esc(example.text)}</code></pre></details>'
    )
