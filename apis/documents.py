"""OpenAPI documents: read (JSON or YAML), checked, and taken apart into operations.

Portico reads OpenAPI 3.0 and 3.1 and Swagger 2.0, validates them with
openapi-spec-validator, and refuses, with the line the problem is on:
text that doesn't parse, another version, a document too big to serve, YAML
aliases (which can grow a small file into a huge one), a `$ref` that
points outside the document (Portico fetches nothing from the network), and
schemas that refer to each other so many times over that checking them would
take too long.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml
from openapi_spec_validator import (
    OpenAPIV2SpecValidator,
    OpenAPIV30SpecValidator,
    OpenAPIV31SpecValidator,
)
from referencing.exceptions import Unresolvable

# A document larger than this is refused before it is parsed.
# libyaml when it is there: several times faster on a large document.
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
MAX_DOCUMENT_BYTES = 5 * 1024 * 1024
MAX_OPERATIONS = 2000
MAX_DEPTH = 64
# How many schemas checking a document may meet, counting a schema again each time
# another $ref leads to it (see _check_expansions); a 500-operation document with a
# hundred named schemas meets about 100, and each 20,000 take about a third of a second.
MAX_EXPANSIONS = 50_000
# How many validation problems one refusal lists.
MAX_PROBLEMS = 5
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
OPERATION_ID = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a document, and where."""

    message: str
    line: int | None = None
    pointer: str = ""

    def __str__(self) -> str:
        where = f"Line {self.line}: " if self.line else ""
        at = f" (at {self.pointer})" if self.pointer else ""
        return f"{where}{self.message}{at}"


class DocumentError(Exception):
    """The document can't be imported; `problems` says why and where."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(str(problem) for problem in problems))
        self.problems = problems


@dataclass(frozen=True)
class OperationSpec:
    """One operation as the document describes it."""

    name: str
    method: str
    url_template: str
    display_name: str
    description: str
    tags: tuple[str, ...]
    fingerprint: str


@dataclass(frozen=True)
class Document:
    """A parsed, valid document."""

    content: dict[str, Any]
    version: str
    operations: list[OperationSpec] = field(default_factory=list)

    @property
    def title(self) -> str:
        return str(self.content.get("info", {}).get("title", "")).strip()

    @property
    def description(self) -> str:
        return str(self.content.get("info", {}).get("description", "") or "").strip()

    @property
    def api_version(self) -> str:
        return str(self.content.get("info", {}).get("version", "") or "").strip()

    @property
    def is_swagger(self) -> bool:
        return self.version.startswith("2.")


def read(text: str) -> Document:
    """Parse, check and validate a document; DocumentError says what is wrong."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_DOCUMENT_BYTES:
        raise DocumentError(
            [
                Problem(
                    f"The document is larger than {MAX_DOCUMENT_BYTES // (1024 * 1024)} MB. "
                    "Split it into several APIs."
                )
            ]
        )
    if not text.strip():
        raise DocumentError([Problem("The document is empty. Paste or upload an OpenAPI file.")])
    content, lines = _parse(text)
    if not isinstance(content, dict):
        raise DocumentError(
            [Problem("An OpenAPI document is an object with openapi, info and paths.", 1)]
        )
    version = _version(content, lines)
    _check_depth(content)
    _check_numbers(content, lines)
    _check_references(content, lines)
    _check_path_items(content, lines)
    _check_expansions(content, lines)
    _validate(content, version, lines)
    operations = list(_operations(content))
    if len(operations) > MAX_OPERATIONS:
        raise DocumentError(
            [
                Problem(
                    f"The document has {len(operations):,} operations; Portico serves at most "
                    f"{MAX_OPERATIONS:,} in one API. Split it into several APIs."
                )
            ]
        )
    return Document(content=content, version=version, operations=operations)


# --- Parsing, with a map from each value's place to its line ---------------------


def _parse(text: str) -> tuple[Any, dict[tuple[Any, ...], int]]:
    if "\x00" in text:
        raise DocumentError([Problem("The document contains a NUL character; is it a text file?")])
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")):
        try:
            content = json.loads(text, parse_constant=_refuse_constant)
        except json.JSONDecodeError as error:
            raise DocumentError(
                [Problem(f"This isn't valid JSON: {error.msg}.", error.lineno)]
            ) from None
        except ValueError:
            raise DocumentError([Problem(NUMBER_PROBLEM)]) from None
        except RecursionError:
            raise DocumentError([Problem("The document is nested too deeply.")]) from None
        return content, _lines(text)
    try:
        _refuse_aliases(text)
        node = yaml.compose(text, Loader=LOADER)
        content = yaml.load(text, Loader=LOADER)  # noqa: S506 - a safe loader
    except yaml.MarkedYAMLError as error:
        line = error.problem_mark.line + 1 if error.problem_mark else None
        raise DocumentError([Problem(f"This isn't valid YAML: {error.problem}.", line)]) from None
    except yaml.YAMLError as error:
        raise DocumentError([Problem(f"This isn't valid YAML: {error}.")]) from None
    except ValueError:
        raise DocumentError([Problem(NUMBER_PROBLEM)]) from None
    except RecursionError:
        raise DocumentError([Problem("The document is nested too deeply.")]) from None
    lines: dict[tuple[Any, ...], int] = {}
    if node is not None:
        _walk_nodes(node, (), lines)
    return _plain(content), lines


NUMBER_PROBLEM = (
    "A number in the document is too long, or isn't a number JSON can hold (NaN, Infinity). "
    "Write it as text or shorten it."
)


def _refuse_constant(name: str) -> Any:
    raise ValueError(name)


def _refuse_aliases(text: str) -> None:
    for token in yaml.scan(text, Loader=LOADER):
        if isinstance(token, yaml.AliasToken | yaml.AnchorToken):
            raise DocumentError(
                [
                    Problem(
                        "YAML anchors and aliases (&name, *name) aren't accepted; write the "
                        "repeated part out or use a $ref.",
                        token.start_mark.line + 1,
                    )
                ]
            )


def _plain(value: Any) -> Any:
    """YAML's dates and other non-JSON values, as JSON would have them."""
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if value is None or isinstance(value, str | bool | int | float):
        return value
    return str(value)


def _lines(text: str) -> dict[tuple[Any, ...], int]:
    """Lines of a JSON text's values, read with the YAML composer (JSON is YAML)."""
    lines: dict[tuple[Any, ...], int] = {}
    try:
        node = yaml.compose(text, Loader=LOADER)
    except (yaml.YAMLError, RecursionError):
        return lines
    if node is not None:
        _walk_nodes(node, (), lines)
    return lines


def _walk_nodes(node: yaml.Node, path: tuple[Any, ...], lines: dict[tuple[Any, ...], int]) -> None:
    stack = [(node, path)]
    while stack:
        current, place = stack.pop()
        lines.setdefault(place, current.start_mark.line + 1)
        if isinstance(current, yaml.MappingNode):
            for key, value in current.value:
                child = (*place, str(key.value))
                lines[child] = key.start_mark.line + 1
                stack.append((value, child))
        elif isinstance(current, yaml.SequenceNode):
            for index, item in enumerate(current.value):
                stack.append((item, (*place, index)))


def _line(lines: dict[tuple[Any, ...], int], path: tuple[Any, ...]) -> int | None:
    """The line of a place, or of its nearest parent that has one."""
    while True:
        if path in lines:
            return lines[path]
        if not path:
            return None
        path = path[:-1]


def _pointer(path: tuple[Any, ...]) -> str:
    return "/" + "/".join(str(part).replace("~", "~0").replace("/", "~1") for part in path)


# --- Checks ----------------------------------------------------------------------


def _version(content: dict[str, Any], lines: dict[tuple[Any, ...], int]) -> str:
    if "openapi" in content:
        version = str(content["openapi"])
        if re.fullmatch(r"3\.[01]\.\d+", version):
            return version
        raise DocumentError(
            [
                Problem(
                    f"Portico reads OpenAPI 3.0 and 3.1 and Swagger 2.0; this document says "
                    f"openapi: {version[:40]}.",
                    _line(lines, ("openapi",)),
                )
            ]
        )
    if "swagger" in content:
        version = str(content["swagger"])
        if version == "2.0":
            return version
        raise DocumentError(
            [
                Problem(
                    f"Portico reads Swagger 2.0, OpenAPI 3.0 and 3.1; this document says "
                    f"swagger: {version[:40]}.",
                    _line(lines, ("swagger",)),
                )
            ]
        )
    raise DocumentError(
        [
            Problem(
                "This doesn't look like an OpenAPI document: it has neither an openapi "
                "nor a swagger field.",
                1,
            )
        ]
    )


def _check_depth(content: Any) -> None:
    stack = [(content, 0)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise DocumentError(
                [Problem(f"The document is nested more than {MAX_DEPTH} levels deep.")]
            )
        if isinstance(value, dict):
            stack.extend((item, depth + 1) for item in value.values())
        elif isinstance(value, list):
            stack.extend((item, depth + 1) for item in value)


def _check_numbers(content: Any, lines: dict[tuple[Any, ...], int]) -> None:
    """NaN and infinities (YAML's .nan, .inf; JSON's 1e999) can't be stored as JSON."""
    stack: list[tuple[Any, tuple[Any, ...]]] = [(content, ())]
    while stack:
        value, path = stack.pop()
        if isinstance(value, float) and not math.isfinite(value):
            raise DocumentError([Problem(NUMBER_PROBLEM, _line(lines, path), _pointer(path))])
        if isinstance(value, dict):
            stack.extend((item, (*path, key)) for key, item in value.items())
        elif isinstance(value, list):
            stack.extend((item, (*path, index)) for index, item in enumerate(value))


def _check_path_items(content: dict[str, Any], lines: dict[tuple[Any, ...], int]) -> None:
    """A path item shared by $ref must live under components/pathItems, where Portico can
    leave it out of a download when every operation in it is hidden from the reader."""
    for url_template, item in (content.get("paths") or {}).items():
        if not isinstance(item, dict) or not isinstance(item.get("$ref"), str):
            continue
        if not item["$ref"].startswith("#/components/pathItems/"):
            path = ("paths", url_template, "$ref")
            raise DocumentError(
                [
                    Problem(
                        f"The path {url_template[:200]} refers to {item['$ref'][:200]}; a shared "
                        "path item must be under #/components/pathItems/ (or written out in "
                        "place).",
                        _line(lines, path),
                        _pointer(path),
                    )
                ]
            )


def _references(content: Any) -> Iterator[tuple[tuple[Any, ...], str]]:
    stack: list[tuple[Any, tuple[Any, ...]]] = [(content, ())]
    while stack:
        value, path = stack.pop()
        if isinstance(value, dict):
            reference = value.get("$ref")
            if isinstance(reference, str):
                yield (*path, "$ref"), reference
            stack.extend((item, (*path, key)) for key, item in value.items())
        elif isinstance(value, list):
            stack.extend((item, (*path, index)) for index, item in enumerate(value))


def _check_references(content: dict[str, Any], lines: dict[tuple[Any, ...], int]) -> None:
    problems = []
    for path, reference in sorted(
        _references(content), key=lambda found: _line(lines, found[0]) or 0
    ):
        if not reference.startswith("#"):
            problems.append(
                Problem(
                    f"$ref {reference[:200]} points outside the document, and Portico fetches "
                    "nothing from the network. Bundle the document into one file first.",
                    _line(lines, path),
                    _pointer(path),
                )
            )
        elif resolve(content, reference) is None:
            problems.append(
                Problem(
                    f"$ref {reference[:200]} points to nothing in this document.",
                    _line(lines, path),
                    _pointer(path),
                )
            )
        if len(problems) >= MAX_PROBLEMS:
            break
    if problems:
        raise DocumentError(problems)


def resolve(content: Any, reference: str) -> Any:
    """What a local $ref ("#/components/schemas/Pet") points to, or None."""
    if reference == "#":
        return content
    if not reference.startswith("#/"):
        return None
    value = content
    for raw in reference[2:].split("/"):
        part = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


def _check_expansions(content: dict[str, Any], lines: dict[tuple[Any, ...], int]) -> None:
    """Refuse a document whose schemas would take too long to check.

    The validator checks each schema once, but it reads all of an allOf's parts, with
    every $ref in them followed, for each schema with an allOf, and it checks a default
    against its schema with every $ref followed. So a few lines where each schema is
    `allOf: [$ref: next, $ref: next]` make it meet the last one 2^n times. This counts
    those meetings without making them (each schema's count is worked out once) and
    stops at MAX_EXPANSIONS, naming the schema where the count passed it.
    """
    sizes: dict[int, int] = {}
    total = 0
    stack: list[tuple[Any, tuple[Any, ...]]] = [(content, ())]
    while stack:
        value, path = stack.pop()
        if isinstance(value, list):
            stack.extend((item, (*path, index)) for index, item in reversed(list(enumerate(value))))
            continue
        if not isinstance(value, dict):
            continue
        parts = value.get("allOf")
        if isinstance(parts, list):
            total += sum(_expanded_size(content, part, sizes) for part in parts)
        if "default" in value:
            total += _expanded_size(content, value, sizes) * _count_values(value["default"])
        if total > MAX_EXPANSIONS:
            raise DocumentError(
                [
                    Problem(
                        "The document's schemas refer to each other so many times that "
                        f"checking it would take too long (over {MAX_EXPANSIONS:,} "
                        "expansions); have the allOf, anyOf and oneOf here refer to "
                        "schemas that don't each refer again to the same schemas several "
                        "times over.",
                        _line(lines, path),
                        _pointer(path),
                    )
                ]
            )
        stack.extend((item, (*path, key)) for key, item in reversed(value.items()))


def _expanded_size(content: Any, schema: Any, sizes: dict[int, int]) -> int:
    """How many schemas the validator meets in `schema` and, through its allOf, anyOf,
    oneOf, not and items, the ones below, with every $ref followed each time it is met
    (a $ref back to a schema being counted counts once). `sizes` keeps each schema's
    count, by id, for the whole document; no count goes past MAX_EXPANSIONS + 1."""
    if not isinstance(schema, dict):
        return 0
    if id(schema) in sizes:
        return sizes[id(schema)]
    counting = {id(schema)}
    stack: list[tuple[dict[str, Any], Iterator[dict[str, Any]], list[int]]] = [
        (schema, _below(content, schema), [1])
    ]
    while stack:
        node, below, count = stack[-1]
        for child in below:
            if id(child) in sizes:
                count[0] += sizes[id(child)]
            elif id(child) in counting:
                count[0] += 1
            else:
                counting.add(id(child))
                stack.append((child, _below(content, child), [1]))
                break
        else:
            stack.pop()
            counting.discard(id(node))
            sizes[id(node)] = size = min(count[0], MAX_EXPANSIONS + 1)
            if stack:
                stack[-1][2][0] += size
    return sizes[id(schema)]


def _below(content: Any, schema: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The schemas the validator reads again under a schema: what its $ref points to,
    its allOf, anyOf and oneOf, its not and its items."""
    reference = schema.get("$ref")
    if isinstance(reference, str):
        target = resolve(content, reference)
        if isinstance(target, dict):
            yield target
    for key in ("allOf", "anyOf", "oneOf", "not", "items"):
        value = schema.get(key)
        if isinstance(value, dict):
            yield value
        elif isinstance(value, list):
            yield from (item for item in value if isinstance(item, dict))


def _count_values(value: Any) -> int:
    """How many values there are in a value, itself included."""
    count, stack = 0, [value]
    while stack:
        current = stack.pop()
        count += 1
        if isinstance(current, dict):
            stack.extend(current.values())
        elif isinstance(current, list):
            stack.extend(current)
    return count


def _validate(content: dict[str, Any], version: str, lines: dict[tuple[Any, ...], int]) -> None:
    validator_class = (
        OpenAPIV2SpecValidator
        if version == "2.0"
        else OpenAPIV31SpecValidator
        if version.startswith("3.1")
        else OpenAPIV30SpecValidator
    )
    problems = []
    try:
        for error in validator_class(content).iter_errors():
            path = tuple(getattr(error, "absolute_path", ()) or ())
            problems.append(
                Problem(
                    _first_line(error.message), _line(lines, path), _pointer(path) if path else ""
                )
            )
            if len(problems) >= MAX_PROBLEMS:
                break
    except (Unresolvable, RecursionError, KeyError, TypeError, ValueError) as error:
        problems.append(Problem(f"The document couldn't be checked: {_first_line(str(error))}"))
    if problems:
        raise DocumentError(problems)


def _first_line(message: str) -> str:
    first = message.strip().splitlines()[0] if message.strip() else "invalid"
    return first[:300]


# --- Operations ------------------------------------------------------------------


def operations(content: dict[str, Any]) -> list[OperationSpec]:
    """The operations of a document already read, named as on import (for the portal's
    reference and download, which match them to their rows by ID)."""
    return list(_operations(content))


def _operations(content: dict[str, Any]) -> Iterator[OperationSpec]:
    taken: set[str] = set()
    for url_template, item in (content.get("paths") or {}).items():
        if not isinstance(item, dict):
            continue
        if isinstance(item.get("$ref"), str):
            item = resolve(content, item["$ref"]) or {}
        for method in METHODS:
            operation = item.get(method)
            if not isinstance(operation, dict):
                continue
            name = _operation_name(operation, method, url_template, taken)
            taken.add(name.lower())
            summary = str(operation.get("summary") or "").strip()
            yield OperationSpec(
                name=name,
                method=method.upper(),
                url_template=url_template,
                display_name=(
                    summary
                    or str(operation.get("operationId") or "").strip()
                    or f"{method.upper()} {url_template}"
                )[:300],
                description=str(operation.get("description") or "").strip(),
                tags=tuple(str(tag) for tag in operation.get("tags") or () if str(tag).strip()),
                fingerprint=_fingerprint({"path": item.get("parameters"), "operation": operation}),
            )


def _operation_name(
    operation: dict[str, Any], method: str, url_template: str, taken: set[str]
) -> str:
    """The operation's ID under Azure's rules: its operationId, or one made from the
    method and path."""
    wanted = str(operation.get("operationId") or "").strip()
    base = OPERATION_ID.sub("-", wanted).strip("-.") if wanted else ""
    if not base:
        base = OPERATION_ID.sub("-", f"{method}-{url_template}").strip("-.") or method
    base = re.sub(r"-{2,}", "-", base)[:80]
    name, counter = base, 2
    while name.lower() in taken:
        name = f"{base}-{counter}"
        counter += 1
    return name


def _fingerprint(value: Any) -> str:
    encoded = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(encoded.encode()).hexdigest()[:32]


# --- Differences between two documents ----------------------------------------------


@dataclass(frozen=True)
class Difference:
    """What re-importing a document would do to an API's operations."""

    added: list[OperationSpec]
    changed: list[OperationSpec]
    removed: list[tuple[str, str]]  # (method, URL template)
    unchanged: int

    @property
    def is_empty(self) -> bool:
        return not (self.added or self.changed or self.removed)


def difference(old: list[tuple[str, str, str]], new: list[OperationSpec]) -> Difference:
    """Compare operations by method and URL template. `old` is (method, url, fingerprint)."""
    before = {(method, url): print_ for method, url, print_ in old}
    added, changed, unchanged = [], [], 0
    for operation in new:
        key = (operation.method, operation.url_template)
        if key not in before:
            added.append(operation)
        elif before[key] != operation.fingerprint:
            changed.append(operation)
        else:
            unchanged += 1
    kept = {(operation.method, operation.url_template) for operation in new}
    removed = sorted(key for key in before if key not in kept)
    return Difference(added=added, changed=changed, removed=removed, unchanged=unchanged)
