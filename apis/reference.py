"""An API's reference, taken from its stored document, for the developer portal.

`build(content)` turns an OpenAPI 3.0/3.1 or Swagger 2.0 document into plain
data: operations grouped by tag, each with its parameters, request body,
responses and examples, and the document's named schemas (components/schemas,
or Swagger 2.0's definitions), each flattened once into the rows of a nested
property table. Wherever an operation or a schema refers to a named schema,
the reference names it, as a link to its one table, instead of repeating it;
anonymous schemas are expanded where they stand. Other local `$ref`s are
followed; a cycle stops at the second visit and a schema nested deeper than
MAX_SCHEMA_DEPTH is cut, so no document can make the page recurse without end
or grow without bound. Each allOf is merged once however many places refer to
it, and the work on one document is counted: past MAX_WORK, the schemas still
to show say they are too large to show here instead of being expanded, so a
document whose schemas refer to each other over and over can't make the page
take long to build.

Nothing here depends on who is looking: each operation and each named schema
records the named schemas it links to, and the portal works out afterwards
which schemas the viewer's operations reach, so the built reference can be
cached per version of the API.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from apis.documents import operations as document_operations
from apis.documents import resolve
from products.markdown import render as markdown

MAX_SCHEMA_DEPTH = 8
MAX_SCHEMA_ROWS = 400
MAX_EXAMPLE_CHARS = 4000
# Schema expansions and table rows in one document's reference; a 500-operation
# document with a hundred named schemas needs about 5,000.
MAX_WORK = 100_000
TOO_LARGE = "Too large to show here; see the schema in the downloadable document."
OTHER = "Other"


@dataclass(frozen=True)
class Example:
    title: str
    text: str


@dataclass(frozen=True)
class SchemaRow:
    """One property of a schema, at some depth of the nested table."""

    name: str
    depth: int
    type: SafeString | str  # HTML: named schemas are links to their table
    required: bool = False
    description: SafeString | str = ""
    format: str = ""
    enum: tuple[str, ...] = ()
    default: str = ""
    example: str = ""
    note: str = ""


@dataclass(frozen=True)
class Schema:
    """A schema where it is used: a named one only names its properties (its table is
    in the named schemas), an anonymous one carries its whole table."""

    type: SafeString | str  # HTML, as SchemaRow.type
    description: SafeString | str
    rows: list[SchemaRow]
    enum: tuple[str, ...] = ()
    truncated: bool = False
    name: str = ""  # the named schema it is, if any
    properties: tuple[tuple[str, bool], ...] = ()  # a named schema's own: (name, required)


@dataclass(frozen=True)
class NamedSchema:
    """One of the document's named schemas, shown once; `refs` are the named schemas its
    table links to."""

    name: str
    anchor: str
    schema: Schema
    examples: list[Example]
    refs: frozenset[str]


@dataclass(frozen=True)
class Parameter:
    name: str
    location: str
    required: bool
    type: SafeString | str  # HTML, as SchemaRow.type
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
    refs: frozenset[str] = frozenset()  # the named schemas it links to


@dataclass
class Section:
    tag: str
    anchor: str
    description: SafeString | str
    operations: list[OperationReference] = field(default_factory=list)


@dataclass
class Reference:
    sections: list[Section]
    schemas: dict[str, NamedSchema]  # in the document's order


_SIMPLE_NAME = re.compile(r"[A-Za-z0-9._-]+")


class _Doc:
    """The document being built, its named schemas, and what the part being built so
    far links to."""

    def __init__(self, content: dict[str, Any]) -> None:
        self.content = content
        self.swagger = str(content.get("swagger", "")).startswith("2")
        if self.swagger:
            self.prefix = "#/definitions/"
            named = content.get("definitions")
        else:
            self.prefix = "#/components/schemas/"
            components = content.get("components")
            named = components.get("schemas") if isinstance(components, dict) else None
        self.named: dict[str, Any] = (
            {str(name): schema for name, schema in named.items() if isinstance(schema, dict)}
            if isinstance(named, dict)
            else {}
        )
        self.anchors: dict[str, str] = {}
        for index, name in enumerate(self.named, start=1):
            # Names that can't be an id as they are get a number; "~" keeps the two apart.
            simple = _SIMPLE_NAME.fullmatch(name)
            self.anchors[name] = f"schema-{name}" if simple else f"schema~{index}"
        self.links: set[str] = set()  # named schemas linked to by the part being built
        self.current = ""  # the named schema being built, if any
        self._labels: dict[str, SafeString] = {}
        self._markdown: dict[str, SafeString | str] = {}
        # allOf merged, by the id of the schema merged, when nothing in it was cut for a
        # cycle: (the schema itself, kept so that its id stays its own; merged; the name
        # found in its parts).
        self.merged: dict[int, tuple[dict[str, Any], dict[str, Any], str]] = {}
        self.cycles = 0  # how many times a cycle was cut, to know when a merge depends on it
        self.work = 0  # expansions and rows so far; past MAX_WORK, nothing more is expanded

    @property
    def exhausted(self) -> bool:
        return self.work > MAX_WORK

    def markdown(self, text: Any) -> SafeString | str:
        """Markdown as HTML, each distinct text rendered once."""
        text = str(text or "")
        if not text:
            return ""
        if text not in self._markdown:
            self._markdown[text] = markdown(text)
        return self._markdown[text]

    def named_ref(self, schema: Any) -> str:
        """The name of the named schema this schema is a reference to, or ""."""
        if not isinstance(schema, dict):
            return ""
        reference = schema.get("$ref")
        if not isinstance(reference, str) or not reference.startswith(self.prefix):
            return ""
        name = _ref_name(reference)
        if "/" in reference[len(self.prefix) :] or name not in self.named:
            return ""
        self.links.add(name)
        return name

    def label(self, name: str) -> SafeString:
        """A named schema's type, as a link to its table: "Pet", "string (Status)"."""
        if name not in self._labels:
            link = format_html('<a href="#{}" class="schema-link">{}</a>', self.anchors[name], name)
            kind = self.named[name].get("type")
            if kind in ("string", "integer", "number", "boolean"):
                link = format_html("{} ({})", kind, link)
            self._labels[name] = link
        return self._labels[name]


# --- The whole document ------------------------------------------------------------


def build(content: dict[str, Any]) -> Reference:
    """The document's operations grouped by tag (declared tags first, then others as
    they appear, untagged operations last under "Other"), and its named schemas."""
    doc = _Doc(content)
    declared = {}
    for tag in content.get("tags") or ():
        if isinstance(tag, dict) and tag.get("name"):
            declared[str(tag["name"])] = str(tag.get("description") or "")
    sections: dict[str, Section] = {}
    for name in declared:
        sections[name] = Section(name, "", doc.markdown(declared[name]))
    paths = content.get("paths") or {}
    for spec in document_operations(content):
        item = paths.get(spec.url_template) or {}
        if isinstance(item.get("$ref"), str):
            item = resolve(content, item["$ref"]) or {}
        raw = item.get(spec.method.lower()) or {}
        operation = _operation(doc, spec, item, raw)
        for tag in spec.tags or (OTHER,):
            if tag not in sections:
                sections[tag] = Section(tag, "", "")
            sections[tag].operations.append(operation)
    if OTHER in sections:
        sections[OTHER] = sections.pop(OTHER)
    found = [section for section in sections.values() if section.operations]
    for index, section in enumerate(found, start=1):
        section.anchor = f"tag-{index}"
    return Reference(found, {name: _named_schema(doc, name) for name in doc.named})


def reachable(links: dict[str, frozenset[str]], start: Iterable[str]) -> set[str]:
    """The named schemas reached from `start` (names some operations link to), directly
    or through other named schemas' links: what a viewer of only those operations needs.

    `links` is each named schema's `refs`.
    """
    reached: set[str] = set()
    waiting = list(start)
    while waiting:
        name = waiting.pop()
        if name not in reached and name in links:
            reached.add(name)
            waiting.extend(links[name])
    return reached


def _operation(
    doc: _Doc, spec: Any, item: dict[str, Any], raw: dict[str, Any]
) -> OperationReference:
    doc.links, doc.current = set(), ""
    parameters = _merged_parameters(doc, item.get("parameters"), raw.get("parameters"))
    if doc.swagger:
        consumes = _strings(raw.get("consumes") or doc.content.get("consumes"))
        produces = _strings(raw.get("produces") or doc.content.get("produces"))
        body = _swagger_body(doc, parameters, consumes or ["application/json"])
        parameters = [p for p in parameters if p.get("in") not in ("body", "formData")]
        responses = _responses(doc, raw.get("responses"), produces or ["application/json"])
    else:
        body = _body(doc, raw.get("requestBody"))
        responses = _responses(doc, raw.get("responses"), [])
    shown = [_parameter(doc, p) for p in parameters]
    return OperationReference(
        key=spec.name.lower(),
        name=spec.name,
        method=spec.method,
        path=spec.url_template,
        summary=str(raw.get("summary") or "").strip(),
        description=doc.markdown(raw.get("description")),
        tags=spec.tags,
        deprecated=bool(raw.get("deprecated")),
        parameters=shown,
        body=body,
        responses=responses,
        refs=frozenset(doc.links),
    )


def _named_schema(doc: _Doc, name: str) -> NamedSchema:
    doc.links, doc.current = set(), name
    raw = doc.named[name]
    schema = _schema(doc, raw)
    doc.current = ""
    return NamedSchema(
        name=name,
        anchor=doc.anchors[name],
        schema=schema,
        examples=_examples_of(raw),
        refs=frozenset(doc.links - {name}),
    )


def _strings(value: Any) -> list[str]:
    return [str(item) for item in value] if isinstance(value, list) else []


def _followed(doc: _Doc, value: Any) -> Any:
    """A value with its $ref (and the $ref's own $ref, up to a point) followed."""
    for _ in range(MAX_SCHEMA_DEPTH):
        if not (isinstance(value, dict) and isinstance(value.get("$ref"), str)):
            break
        value = resolve(doc.content, value["$ref"])
    return value if isinstance(value, dict) else {}


def _merged_parameters(doc: _Doc, shared: Any, own: Any) -> list[dict[str, Any]]:
    """Path-level parameters, overridden by the operation's own (same name and place)."""
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    for group in (shared, own):
        for raw in group if isinstance(group, list) else ():
            parameter = _followed(doc, raw)
            if parameter.get("name") is not None:
                merged[(str(parameter["name"]), str(parameter.get("in", "")))] = parameter
    return list(merged.values())


def _parameter(doc: _Doc, parameter: dict[str, Any]) -> Parameter:
    declared = parameter if doc.swagger else parameter.get("schema")
    schema = _followed(doc, declared)
    example = parameter.get("example", schema.get("example"))
    if example is None and isinstance(parameter.get("examples"), dict):
        first = next(iter(parameter["examples"].values()), None)
        example = _followed(doc, first).get("value")
    return Parameter(
        name=str(parameter.get("name")),
        location=str(parameter.get("in", "")),
        required=bool(parameter.get("required")),
        type=_type_label(doc, declared or {}, set()),
        description=doc.markdown(parameter.get("description")),
        deprecated=bool(parameter.get("deprecated")),
        enum=_enum(schema),
        example=_short(example) if example is not None else "",
        format=str(schema.get("format") or ""),
    )


# --- Bodies and responses ------------------------------------------------------------


def _body(doc: _Doc, raw: Any) -> Body | None:
    body = _followed(doc, raw)
    if not body:
        return None
    return Body(
        description=doc.markdown(body.get("description")),
        required=bool(body.get("required")),
        contents=_contents(doc, body.get("content")),
    )


def _swagger_body(doc: _Doc, parameters: list[dict[str, Any]], consumes: list[str]) -> Body | None:
    for parameter in parameters:
        if parameter.get("in") == "body":
            schema = parameter.get("schema") or {}
            return Body(
                description=doc.markdown(parameter.get("description")),
                required=bool(parameter.get("required")),
                contents=[Content(consumes, _schema(doc, schema), _examples_of(schema))],
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
        contents=[Content(media, _schema(doc, schema), [])],
    )


def _contents(doc: _Doc, media: Any) -> list[Content]:
    """Media types that share one schema are shown together."""
    grouped: dict[str, Content] = {}
    several = isinstance(media, dict) and len(media) > 1
    for media_type, raw in (media or {}).items() if isinstance(media, dict) else ():
        entry = raw if isinstance(raw, dict) else {}
        schema = entry.get("schema")
        key = (
            json.dumps(schema, sort_keys=True, default=str)
            + json.dumps([entry.get("example"), entry.get("examples")], sort_keys=True, default=str)
            if several
            else ""
        )
        if key in grouped:
            grouped[key].media_types.append(str(media_type))
            continue
        grouped[key] = Content(
            [str(media_type)],
            _schema(doc, schema) if isinstance(schema, dict) else None,
            _media_examples(doc, entry, schema),
        )
    return list(grouped.values())


def _responses(doc: _Doc, raw: Any, produces: list[str]) -> list[Response]:
    found = []
    for status, value in (raw or {}).items() if isinstance(raw, dict) else ():
        response = _followed(doc, value)
        if doc.swagger:
            schema = response.get("schema")
            examples = [
                Example(str(media_type), _pretty(example))
                for media_type, example in (response.get("examples") or {}).items()
            ]
            contents = (
                [Content(produces, _schema(doc, schema), examples or _examples_of(schema))]
                if isinstance(schema, dict)
                else []
            )
        else:
            contents = _contents(doc, response.get("content"))
        found.append(
            Response(
                status=str(status),
                description=doc.markdown(response.get("description")),
                contents=contents,
            )
        )
    return found


def _media_examples(doc: _Doc, entry: dict[str, Any], schema: Any) -> list[Example]:
    if "example" in entry:
        return [Example("Example", _pretty(entry["example"]))]
    examples = entry.get("examples")
    if isinstance(examples, dict) and examples:
        found = []
        for name, raw in examples.items():
            example = _followed(doc, raw)
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


def _expand(doc: _Doc, schema: Any, seen: set[str]) -> tuple[dict[str, Any], str, set[str], bool]:
    """The schema with its $ref followed: (schema, its name, refs seen, cyclic?)."""
    doc.work += 1
    if doc.exhausted:
        return {}, "", seen, False
    name = ""
    while isinstance(schema, dict) and isinstance(schema.get("$ref"), str):
        reference = schema["$ref"]
        if reference in seen:
            doc.cycles += 1
            return {}, _ref_name(reference), seen, True
        seen = seen | {reference}
        name = name or _ref_name(reference)
        target = resolve(doc.content, reference)
        siblings = {key: value for key, value in schema.items() if key != "$ref"}
        if not siblings and isinstance(target, dict):
            schema = target
        else:
            schema = {**target, **siblings} if isinstance(target, dict) else siblings
    if not isinstance(schema, dict):
        return {}, name, seen, False
    if isinstance(schema.get("allOf"), list):
        known = doc.merged.get(id(schema))
        if known and known[0] is schema:
            _, merged, piece_name = known
        else:
            cycles = doc.cycles
            merged, piece_name = _merge_all_of(doc, schema, seen)
            if doc.cycles == cycles and not doc.exhausted:
                # Only a merge that cut nothing depends on nothing but the schema.
                doc.merged[id(schema)] = schema, merged, piece_name
        schema, name = merged, name or piece_name
    return schema, name, seen, False


def _merge_all_of(doc: _Doc, schema: dict[str, Any], seen: set[str]) -> tuple[dict[str, Any], str]:
    """An allOf's parts merged into one schema, and the first name found in them."""
    name = ""
    merged: dict[str, Any] = {key: value for key, value in schema.items() if key != "allOf"}
    properties: dict[str, Any] = {}
    required: list[str] = []
    for part in schema["allOf"]:
        piece, piece_name, _, cyclic = _expand(doc, part, seen)
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
    return merged, name


def _type_label(doc: _Doc, schema: Any, seen: set[str], depth: int = 0) -> SafeString:
    """The schema's type as HTML: "string", "array of Pet" (Pet a link), "integer or null"."""
    named = doc.named_ref(schema)
    if named:
        return doc.label(named)
    expanded, name, seen, cyclic = _expand(doc, schema, seen)
    if cyclic:
        return escape(name)
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
    label = escape(" or ".join(kinds) or "any")
    if "array" in kinds and depth < MAX_SCHEMA_DEPTH:
        inner = _type_label(doc, expanded.get("items") or {}, seen, depth + 1)
        label = mark_safe(label.replace("array", f"array of {inner}", 1))  # noqa: S308 - both escaped
    if name and "array" not in kinds:
        if label in ("any", name):
            return escape(name)
        return format_html("{} ({})", label, name)
    return label


def _enum(schema: dict[str, Any]) -> tuple[str, ...]:
    values = schema.get("enum")
    if "const" in schema:
        values = [schema["const"]]
    if not isinstance(values, list):
        return ()
    return tuple(_short(value) for value in values[:50])


def _schema(doc: _Doc, schema: Any) -> Schema:
    """A schema where it is used: a named one as a link and its properties' names; any
    other with its whole table (in which named schemas are links)."""
    named = doc.named_ref(schema)
    expanded, _, seen, _ = _expand(doc, schema, set())
    if named and named != doc.current:
        required = expanded.get("required")
        required = set(required) if isinstance(required, list) else set()
        properties = expanded.get("properties")
        return Schema(
            type=doc.label(named),
            description=doc.markdown(expanded.get("description")),
            rows=[_too_large(named)] if doc.exhausted else [],
            enum=_enum(expanded),
            name=named,
            properties=tuple(
                (str(key), key in required)
                for key in (properties if isinstance(properties, dict) else ())
            ),
        )
    rows: list[SchemaRow] = []
    truncated = _children(doc, expanded, 0, seen, rows)
    label = _type_label(doc, schema, set())
    if doc.exhausted:
        rows.append(_too_large(doc.current))
    return Schema(
        type=label,
        description=doc.markdown(expanded.get("description")),
        rows=rows,
        enum=_enum(expanded),
        truncated=truncated,
    )


def _too_large(name: str) -> SchemaRow:
    """The row that stands for what the reference's work limit left out."""
    note = TOO_LARGE.replace("the schema", f"the schema {name}", 1) if name else TOO_LARGE
    return SchemaRow("…", 0, "", note=note)


def _children(
    doc: _Doc, schema: dict[str, Any], depth: int, seen: set[str], rows: list[Any]
) -> bool:
    """Add the rows of a schema's properties (or its items', or its variants'); True when
    the table was cut for size. A named schema inside adds no rows: it is a link. Past
    the document's work limit, nothing more is added."""
    if len(rows) >= MAX_SCHEMA_ROWS:
        return True
    if doc.exhausted:
        return False
    if depth >= MAX_SCHEMA_DEPTH:
        if schema.get("properties") or schema.get("items"):
            rows.append(
                SchemaRow("…", depth, "", note="Nested deeper than shown; see the document.")
            )
        return False
    items = schema.get("items")
    if isinstance(items, dict) and not schema.get("properties"):
        if doc.named_ref(items):
            return False
        inner, _, inner_seen, cyclic = _expand(doc, items, seen)
        if cyclic:
            return False
        return _children(doc, inner, depth, inner_seen, rows)
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
        doc.work += 1
        if doc.exhausted:
            return cut
        named = doc.named_ref(child)
        expanded, ref_name, child_seen, cyclic = _expand(doc, child, seen)
        example = expanded.get("example")
        if example is None and isinstance(expanded.get("examples"), list) and expanded["examples"]:
            example = expanded["examples"][0]
        note = ""
        if named and named == doc.current:
            note = f"Refers back to {named}, this schema."
        elif cyclic:
            note = f"Refers back to {ref_name}; see above."
        rows.append(
            SchemaRow(
                name=str(name),
                depth=depth,
                type=_type_label(doc, child, seen),
                required=name in required,
                description=doc.markdown(expanded.get("description")),
                format=str(expanded.get("format") or ""),
                enum=_enum(expanded),
                default=_short(expanded["default"]) if "default" in expanded else "",
                example=_short(example) if example is not None else "",
                note=note,
            )
        )
        if not (cyclic or named):
            cut = _children(doc, expanded, depth + 1, child_seen, rows) or cut
    return cut
