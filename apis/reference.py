"""An API's reference, taken from its stored document, for the developer portal.

`build(content)` turns an OpenAPI 3.0/3.1 or Swagger 2.0 document into plain
data: operations grouped by tag, each with its parameters, request body,
responses and examples, schemas flattened into rows of a nested property
table. Local `$ref`s are followed; a cycle stops at the second visit and a
schema nested deeper than MAX_SCHEMA_DEPTH is cut, so no document can make the
page recurse without end or grow without bound.

Nothing here depends on who is looking: the portal filters the hidden
operations out afterwards, so the built reference can be cached per version of
the API.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from django.utils.safestring import SafeString

from apis.documents import operations as document_operations
from apis.documents import resolve
from products.markdown import render as markdown

MAX_SCHEMA_DEPTH = 8
MAX_SCHEMA_ROWS = 400
MAX_EXAMPLE_CHARS = 4000
OTHER = "Other"


@dataclass(frozen=True)
class SchemaRow:
    """One property of a schema, at some depth of the nested table."""

    name: str
    depth: int
    type: str
    required: bool = False
    description: SafeString | str = ""
    format: str = ""
    enum: tuple[str, ...] = ()
    default: str = ""
    example: str = ""
    note: str = ""


@dataclass(frozen=True)
class Schema:
    type: str
    description: SafeString | str
    rows: list[SchemaRow]
    enum: tuple[str, ...] = ()
    truncated: bool = False


@dataclass(frozen=True)
class Example:
    title: str
    text: str


@dataclass(frozen=True)
class Parameter:
    name: str
    location: str
    required: bool
    type: str
    description: SafeString | str
    deprecated: bool = False
    enum: tuple[str, ...] = ()
    example: str = ""
    format: str = ""


@dataclass(frozen=True)
class Content:
    """A schema and its examples, for one or more media types."""

    media_types: list[str]
    schema: Schema | None
    examples: list[Example]


@dataclass(frozen=True)
class Body:
    description: SafeString | str
    required: bool
    contents: list[Content]


@dataclass(frozen=True)
class Response:
    status: str
    description: SafeString | str
    contents: list[Content]


@dataclass
class OperationReference:
    key: str  # the operation's ID, lower-cased: what hidden_operations names
    name: str
    method: str
    path: str
    summary: str
    description: SafeString | str
    tags: tuple[str, ...]
    deprecated: bool
    parameters: list[Parameter]
    body: Body | None
    responses: list[Response]


@dataclass
class Section:
    tag: str
    anchor: str
    description: SafeString | str
    operations: list[OperationReference] = field(default_factory=list)


# --- The whole document ------------------------------------------------------------


def build(content: dict[str, Any]) -> list[Section]:
    """The document's operations grouped by tag: declared tags first, then others as
    they appear, untagged operations last under "Other"."""
    swagger = str(content.get("swagger", "")).startswith("2")
    declared = {}
    for tag in content.get("tags") or ():
        if isinstance(tag, dict) and tag.get("name"):
            declared[str(tag["name"])] = str(tag.get("description") or "")
    sections: dict[str, Section] = {}
    for name in declared:
        sections[name] = Section(name, "", markdown(declared[name]))
    paths = content.get("paths") or {}
    for spec in document_operations(content):
        item = paths.get(spec.url_template) or {}
        if isinstance(item.get("$ref"), str):
            item = resolve(content, item["$ref"]) or {}
        raw = item.get(spec.method.lower()) or {}
        operation = _operation(content, spec, item, raw, swagger)
        for tag in spec.tags or (OTHER,):
            if tag not in sections:
                sections[tag] = Section(tag, "", "")
            sections[tag].operations.append(operation)
    if OTHER in sections:
        sections[OTHER] = sections.pop(OTHER)
    found = [section for section in sections.values() if section.operations]
    for index, section in enumerate(found, start=1):
        section.anchor = f"tag-{index}"
    return found


def _operation(
    content: dict[str, Any], spec: Any, item: dict[str, Any], raw: dict[str, Any], swagger: bool
) -> OperationReference:
    parameters = _merged_parameters(content, item.get("parameters"), raw.get("parameters"))
    if swagger:
        consumes = _strings(raw.get("consumes") or content.get("consumes")) or ["application/json"]
        produces = _strings(raw.get("produces") or content.get("produces")) or ["application/json"]
        body = _swagger_body(content, parameters, consumes)
        parameters = [p for p in parameters if p.get("in") not in ("body", "formData")]
        responses = _responses(content, raw.get("responses"), swagger=True, produces=produces)
    else:
        body = _body(content, raw.get("requestBody"))
        responses = _responses(content, raw.get("responses"), swagger=False, produces=[])
    return OperationReference(
        key=spec.name.lower(),
        name=spec.name,
        method=spec.method,
        path=spec.url_template,
        summary=str(raw.get("summary") or "").strip(),
        description=markdown(str(raw.get("description") or "")),
        tags=spec.tags,
        deprecated=bool(raw.get("deprecated")),
        parameters=[_parameter(content, p, swagger) for p in parameters],
        body=body,
        responses=responses,
    )


def _strings(value: Any) -> list[str]:
    return [str(item) for item in value] if isinstance(value, list) else []


def _followed(content: dict[str, Any], value: Any) -> Any:
    """A value with its $ref (and the $ref's own $ref, up to a point) followed."""
    for _ in range(MAX_SCHEMA_DEPTH):
        if not (isinstance(value, dict) and isinstance(value.get("$ref"), str)):
            break
        value = resolve(content, value["$ref"])
    return value if isinstance(value, dict) else {}


def _merged_parameters(content: dict[str, Any], shared: Any, own: Any) -> list[dict[str, Any]]:
    """Path-level parameters, overridden by the operation's own (same name and place)."""
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    for group in (shared, own):
        for raw in group if isinstance(group, list) else ():
            parameter = _followed(content, raw)
            if parameter.get("name") is not None:
                merged[(str(parameter["name"]), str(parameter.get("in", "")))] = parameter
    return list(merged.values())


def _parameter(content: dict[str, Any], parameter: dict[str, Any], swagger: bool) -> Parameter:
    schema = parameter if swagger else _followed(content, parameter.get("schema"))
    schema = _followed(content, schema)
    example = parameter.get("example", schema.get("example"))
    if example is None and isinstance(parameter.get("examples"), dict):
        first = next(iter(parameter["examples"].values()), None)
        example = _followed(content, first).get("value")
    return Parameter(
        name=str(parameter.get("name")),
        location=str(parameter.get("in", "")),
        required=bool(parameter.get("required")),
        type=_type_label(content, schema, set()),
        description=markdown(str(parameter.get("description") or "")),
        deprecated=bool(parameter.get("deprecated")),
        enum=_enum(schema),
        example=_short(example) if example is not None else "",
        format=str(schema.get("format") or ""),
    )


# --- Bodies and responses ------------------------------------------------------------


def _body(content: dict[str, Any], raw: Any) -> Body | None:
    body = _followed(content, raw)
    if not body:
        return None
    return Body(
        description=markdown(str(body.get("description") or "")),
        required=bool(body.get("required")),
        contents=_contents(content, body.get("content")),
    )


def _swagger_body(
    content: dict[str, Any], parameters: list[dict[str, Any]], consumes: list[str]
) -> Body | None:
    for parameter in parameters:
        if parameter.get("in") == "body":
            schema = parameter.get("schema") or {}
            return Body(
                description=markdown(str(parameter.get("description") or "")),
                required=bool(parameter.get("required")),
                contents=[Content(consumes, _schema(content, schema), _examples_of(schema))],
            )
    form = [parameter for parameter in parameters if parameter.get("in") == "formData"]
    if not form:
        return None
    schema = {
        "type": "object",
        "properties": {str(p.get("name")): p for p in form},
        "required": [str(p.get("name")) for p in form if p.get("required")],
    }
    media = [m for m in consumes if "form" in m] or ["application/x-www-form-urlencoded"]
    return Body(
        description="",
        required=bool(schema["required"]),
        contents=[Content(media, _schema(content, schema), [])],
    )


def _contents(content: dict[str, Any], media: Any) -> list[Content]:
    """Media types that share one schema are shown together."""
    grouped: dict[str, Content] = {}
    for media_type, raw in (media or {}).items() if isinstance(media, dict) else ():
        entry = raw if isinstance(raw, dict) else {}
        schema = entry.get("schema")
        key = json.dumps(schema, sort_keys=True, default=str) + json.dumps(
            [entry.get("example"), entry.get("examples")], sort_keys=True, default=str
        )
        if key in grouped:
            grouped[key].media_types.append(str(media_type))
            continue
        grouped[key] = Content(
            [str(media_type)],
            _schema(content, schema) if isinstance(schema, dict) else None,
            _media_examples(content, entry, schema),
        )
    return list(grouped.values())


def _responses(
    content: dict[str, Any], raw: Any, *, swagger: bool, produces: list[str]
) -> list[Response]:
    found = []
    for status, value in (raw or {}).items() if isinstance(raw, dict) else ():
        response = _followed(content, value)
        if swagger:
            schema = response.get("schema")
            examples = [
                Example(str(media_type), _pretty(example))
                for media_type, example in (response.get("examples") or {}).items()
            ]
            contents = (
                [Content(produces, _schema(content, schema), examples or _examples_of(schema))]
                if isinstance(schema, dict)
                else []
            )
        else:
            contents = _contents(content, response.get("content"))
        found.append(
            Response(
                status=str(status),
                description=markdown(str(response.get("description") or "")),
                contents=contents,
            )
        )
    return found


def _media_examples(content: dict[str, Any], entry: dict[str, Any], schema: Any) -> list[Example]:
    if "example" in entry:
        return [Example("Example", _pretty(entry["example"]))]
    examples = entry.get("examples")
    if isinstance(examples, dict) and examples:
        found = []
        for name, raw in examples.items():
            example = _followed(content, raw)
            title = str(example.get("summary") or name)
            if "value" in example:
                found.append(Example(title, _pretty(example["value"])))
            elif example.get("externalValue"):
                found.append(Example(title, f"See {example['externalValue']}"))
        return found
    return _examples_of(schema)


def _examples_of(schema: Any) -> list[Example]:
    """The schema's own example, when the media type gives none."""
    if isinstance(schema, dict) and "example" in schema:
        return [Example("Example", _pretty(schema["example"]))]
    return []


def _pretty(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, indent=2, ensure_ascii=False)
    if len(text) > MAX_EXAMPLE_CHARS:
        return text[:MAX_EXAMPLE_CHARS] + "\n… (cut here; the full example is in the document)"
    return text


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 200 else text[:199] + "…"


# --- Schemas, as nested property tables ------------------------------------------------


def _ref_name(reference: str) -> str:
    return reference.rsplit("/", 1)[-1].replace("~1", "/").replace("~0", "~")


def _expand(
    content: dict[str, Any], schema: Any, seen: set[str]
) -> tuple[dict[str, Any], str, set[str], bool]:
    """The schema with its $ref followed: (schema, its name, refs seen, cyclic?)."""
    name = ""
    while isinstance(schema, dict) and isinstance(schema.get("$ref"), str):
        reference = schema["$ref"]
        if reference in seen:
            return {}, _ref_name(reference), seen, True
        seen = seen | {reference}
        name = name or _ref_name(reference)
        target = resolve(content, reference)
        siblings = {key: value for key, value in schema.items() if key != "$ref"}
        schema = {**target, **siblings} if isinstance(target, dict) else siblings
    if not isinstance(schema, dict):
        return {}, name, seen, False
    if isinstance(schema.get("allOf"), list):
        merged: dict[str, Any] = {key: value for key, value in schema.items() if key != "allOf"}
        properties: dict[str, Any] = {}
        required: list[str] = []
        for part in schema["allOf"]:
            piece, piece_name, _, cyclic = _expand(content, part, seen)
            if cyclic:
                continue
            name = name or piece_name
            properties.update(piece.get("properties") or {})
            required.extend(piece.get("required") or [])
            for key in ("type", "description", "example", "items", "enum", "format"):
                if key in piece and key not in merged:
                    merged[key] = piece[key]
        properties.update(schema.get("properties") or {})
        required.extend(schema.get("required") or [])
        if properties:
            merged["properties"] = properties
            merged.setdefault("type", "object")
        if required:
            merged["required"] = required
        schema = merged
    return schema, name, seen, False


def _type_label(content: dict[str, Any], schema: Any, seen: set[str], depth: int = 0) -> str:
    expanded, name, seen, cyclic = _expand(content, schema, seen)
    if cyclic:
        return name
    kinds = expanded.get("type")
    if isinstance(kinds, list):
        kinds = [str(kind) for kind in kinds]
    elif kinds:
        kinds = [str(kinds)]
    else:
        kinds = []
    if expanded.get("nullable") and "null" not in kinds:
        kinds.append("null")
    if not kinds:
        if "properties" in expanded:
            kinds = ["object"]
        elif any(key in expanded for key in ("oneOf", "anyOf")):
            kinds = ["one of" if "oneOf" in expanded else "any of"]
    label = " or ".join(kinds) or "any"
    if "array" in kinds and depth < MAX_SCHEMA_DEPTH:
        inner = _type_label(content, expanded.get("items") or {}, seen, depth + 1)
        label = label.replace("array", f"array of {inner}", 1)
    if name and "array" not in kinds:
        return f"{label} ({name})" if label not in ("any", name) else name
    return label


def _enum(schema: dict[str, Any]) -> tuple[str, ...]:
    values = schema.get("enum")
    if "const" in schema:
        values = [schema["const"]]
    if not isinstance(values, list):
        return ()
    return tuple(_short(value) for value in values[:50])


def _schema(content: dict[str, Any], schema: Any) -> Schema:
    expanded, _, seen, _ = _expand(content, schema, set())
    rows: list[SchemaRow] = []
    truncated = _children(content, expanded, 0, seen, rows)
    return Schema(
        type=_type_label(content, schema, set()),
        description=markdown(str(expanded.get("description") or "")),
        rows=rows,
        enum=_enum(expanded),
        truncated=truncated,
    )


def _children(
    content: dict[str, Any], schema: dict[str, Any], depth: int, seen: set[str], rows: list[Any]
) -> bool:
    """Add the rows of a schema's properties (or its items', or its variants'); True when
    the table was cut for size."""
    if len(rows) >= MAX_SCHEMA_ROWS:
        return True
    if depth >= MAX_SCHEMA_DEPTH:
        if schema.get("properties") or schema.get("items"):
            rows.append(
                SchemaRow("…", depth, "", note="Nested deeper than shown; see the document.")
            )
        return False
    items = schema.get("items")
    if isinstance(items, dict) and not schema.get("properties"):
        inner, _, inner_seen, cyclic = _expand(content, items, seen)
        if cyclic:
            return False
        return _children(content, inner, depth, inner_seen, rows)
    required = (
        set(schema.get("required") or ()) if isinstance(schema.get("required"), list) else set()
    )
    entries = list((schema.get("properties") or {}).items())
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict):
        entries.append(("{any name}", extra))
    for variant_word in ("oneOf", "anyOf"):
        for index, variant in enumerate(schema.get(variant_word) or (), start=1):
            entries.append((f"option {index}", variant))
    cut = False
    for name, child in entries:
        if len(rows) >= MAX_SCHEMA_ROWS:
            return True
        expanded, ref_name, child_seen, cyclic = _expand(content, child, seen)
        example = expanded.get("example")
        if example is None and isinstance(expanded.get("examples"), list) and expanded["examples"]:
            example = expanded["examples"][0]
        rows.append(
            SchemaRow(
                name=str(name),
                depth=depth,
                type=_type_label(content, child, seen),
                required=name in required,
                description=markdown(str(expanded.get("description") or "")),
                format=str(expanded.get("format") or ""),
                enum=_enum(expanded),
                default=_short(expanded["default"]) if "default" in expanded else "",
                example=_short(example) if example is not None else "",
                note=f"Refers back to {ref_name}; see above." if cyclic else "",
            )
        )
        if not cyclic:
            cut = _children(content, expanded, depth + 1, child_seen, rows) or cut
    return cut
