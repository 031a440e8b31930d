"""An API's document as a developer downloads it: what they may see, and how to call it.

Operations hidden from the viewer are removed (and a path left with none),
tags only those operations used are dropped, the gateway's address replaces
the servers (3.x) or host, basePath and schemes (2.0), and when the API needs
a subscription its key is declared as Azure's exports declare it: the
Ocp-Apim-Subscription-Key header or the subscription-key query parameter.
"""

from __future__ import annotations

import copy
import json
from typing import Any
from urllib.parse import urlsplit

import yaml

from apis.documents import METHODS, resolve
from apis.documents import operations as document_operations

KEY_HEADER = "Ocp-Apim-Subscription-Key"
KEY_QUERY = "subscription-key"


def filtered(
    content: dict[str, Any],
    *,
    hidden: set[str],
    base_urls: list[str],
    subscription_required: bool,
) -> dict[str, Any]:
    """A copy of the document for one viewer. `hidden` holds lower-cased operation IDs;
    `base_urls` the API's addresses at the gateway, preferred first."""
    # A JSON round trip copies a large document several times faster than deepcopy.
    document = json.loads(json.dumps(content))
    paths = document.get("paths") or {}
    used_tags: set[str] = set()
    removed_tags: set[str] = set()
    for spec in document_operations(content) if hidden else ():
        item = paths.get(spec.url_template)
        if not isinstance(item, dict):
            continue
        if spec.name.lower() in hidden:
            removed_tags.update(spec.tags)
            if isinstance(item.get("$ref"), str):
                # A shared path item: write its operations out here, to drop one.
                shared = resolve(content, item["$ref"])
                item = copy.deepcopy(shared) if isinstance(shared, dict) else {}
                paths[spec.url_template] = item
            item.pop(spec.method.lower(), None)
        else:
            used_tags.update(spec.tags)
    for url_template in list(paths):
        item = paths[url_template]
        if (
            isinstance(item, dict)
            and not isinstance(item.get("$ref"), str)
            and not any(method in item for method in METHODS)
        ):
            del paths[url_template]
    unused = removed_tags - used_tags
    if unused and isinstance(document.get("tags"), list):
        document["tags"] = [
            tag
            for tag in document["tags"]
            if not (isinstance(tag, dict) and str(tag.get("name")) in unused)
        ]
    if hidden:
        _inline_dangling(content, document)
        _drop_unreached(content, document)
    if str(document.get("swagger", "")).startswith("2"):
        _swagger_address(document, base_urls)
        if subscription_required:
            _swagger_security(document)
    else:
        document["servers"] = [{"url": url} for url in base_urls]
        if subscription_required:
            _openapi_security(document)
    return document


# Where reusable parts live: a $ref to "#/components/schemas/Pet" names
# ("components", "schemas", "Pet").
CONTAINERS = ("components", "definitions", "parameters", "responses")


def _refs(value: Any) -> set[str]:
    """Every local $ref inside a value."""
    found: set[str] = set()
    waiting = [value]
    while waiting:
        current = waiting.pop()
        if isinstance(current, dict):
            reference = current.get("$ref")
            if isinstance(reference, str) and reference.startswith("#/"):
                found.add(reference)
            waiting.extend(current.values())
        elif isinstance(current, list):
            waiting.extend(current)
    return found


def _reached(document: dict[str, Any]) -> set[str]:
    """The $refs reached from the document's operations and top level, directly or
    through the parts they refer to."""
    outside = {key: value for key, value in document.items() if key not in CONTAINERS}
    reached: set[str] = set()
    waiting = list(_refs(outside))
    while waiting:
        reference = waiting.pop()
        if reference in reached:
            continue
        reached.add(reference)
        waiting.extend(_refs(resolve(document, reference)) - reached)
    return reached


def _entry(reference: str) -> tuple[str, ...] | None:
    """The reusable part a $ref is in: ("components", "schemas", "Pet") for
    "#/components/schemas/Pet/properties/id"; None outside them."""
    parts = tuple(part.replace("~1", "/").replace("~0", "~") for part in reference[2:].split("/"))
    size = 3 if parts[:1] == ("components",) else 2
    if parts[:1] and parts[0] in CONTAINERS and len(parts) >= size:
        return parts[:size]
    return None


def _drop_unreached(original: dict[str, Any], document: dict[str, Any]) -> None:
    """Remove the reusable parts (schemas, parameters, ...) only hidden operations used,
    so a restricted operation's own schema isn't in the file either. Parts the
    author left unused stay: only what filtering made unreachable goes."""
    before = {_entry(reference) for reference in _reached(original)} - {None}
    after = {_entry(reference) for reference in _reached(document)} - {None}
    for entry in before - after:
        assert entry is not None
        parent: Any = document
        for part in entry[:-1]:
            parent = parent.get(part) if isinstance(parent, dict) else None
        if isinstance(parent, dict):
            parent.pop(entry[-1], None)


PATH_ITEMS = "#/components/pathItems/"
# How many dangling $refs one download writes out in place, at most.
MAX_INLINED = 1000


def _inline_dangling(original: dict[str, Any], document: dict[str, Any]) -> None:
    """A visible operation may point into a hidden one ("#/paths/~1admin/post/responses/200",
    or inside a shared path item); with the hidden one gone, or left out, the reference
    would point at nothing. Write what it pointed to out in place, so the file stays
    valid and a path item is kept only when a path uses it whole."""
    inlined = 0
    waiting: list[Any] = [document]
    while waiting and inlined < MAX_INLINED:
        current = waiting.pop()
        if isinstance(current, dict):
            reference = current.get("$ref")
            if isinstance(reference, str) and (
                reference.startswith(PATH_ITEMS)
                and reference.count("/") > PATH_ITEMS.count("/")
                or reference.startswith("#/")
                and resolve(document, reference) is None
            ):
                target = resolve(original, reference)
                if isinstance(target, dict):
                    current.pop("$ref")
                    current.update(copy.deepcopy(target))
                    inlined += 1
            waiting.extend(current.values())
        elif isinstance(current, list):
            waiting.extend(current)


def _swagger_address(document: dict[str, Any], base_urls: list[str]) -> None:
    if not base_urls:
        return
    first = urlsplit(base_urls[0])
    document["host"] = first.netloc
    document["basePath"] = first.path or "/"
    document["schemes"] = [urlsplit(url).scheme for url in base_urls]


def _openapi_security(document: dict[str, Any]) -> None:
    schemes = document.setdefault("components", {}).setdefault("securitySchemes", {})
    schemes["apiKeyHeader"] = {"type": "apiKey", "name": KEY_HEADER, "in": "header"}
    schemes["apiKeyQuery"] = {"type": "apiKey", "name": KEY_QUERY, "in": "query"}
    document["security"] = [{"apiKeyHeader": []}, {"apiKeyQuery": []}]


def _swagger_security(document: dict[str, Any]) -> None:
    schemes = document.setdefault("securityDefinitions", {})
    schemes["apiKeyHeader"] = {"type": "apiKey", "name": KEY_HEADER, "in": "header"}
    schemes["apiKeyQuery"] = {"type": "apiKey", "name": KEY_QUERY, "in": "query"}
    document["security"] = [{"apiKeyHeader": []}, {"apiKeyQuery": []}]


def as_json(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def as_yaml(document: dict[str, Any]) -> str:
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)
