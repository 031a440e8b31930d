"""The reference of a document whose schemas refer to each other over and over: each
allOf merged once, and the work on one document capped, with a marker where it stopped."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from apis import reference
from apis.models import Api


def doubling(levels: int, prefix: str, *, back: bool = False) -> dict[str, Any]:
    """Schemas S0…S{levels}, each but the last `allOf: [next, next]`; the last has a
    property, and with `back` an allOf that refers back to S0."""
    schemas: dict[str, Any] = {
        f"S{n}": {"allOf": [{"$ref": f"{prefix}S{n + 1}"}] * 2} for n in range(levels)
    }
    schemas[f"S{levels}"] = {"type": "object", "properties": {"x": {"type": "string"}}}
    if back:
        schemas[f"S{levels}"]["allOf"] = [{"$ref": f"{prefix}S0"}]
    return schemas


def document(schemas: dict[str, Any], prefix: str, place: dict[str, Any]) -> dict[str, Any]:
    ok = {
        "description": "OK",
        "content": {"application/json": {"schema": {"$ref": f"{prefix}S0"}}},
    }
    return {
        "openapi": "3.0.3",
        "info": {"title": "Diamonds", "version": "1"},
        "paths": {
            "/a": {"get": {"operationId": "a", "responses": {"200": ok}}},
            "/b": {"get": {"operationId": "b", "responses": {"200": ok}}},
        },
        **place,
    }


def named(levels: int) -> dict[str, Any]:
    prefix = "#/components/schemas/"
    return document(
        doubling(levels, prefix), prefix, {"components": {"schemas": doubling(levels, prefix)}}
    )


def inline(levels: int) -> dict[str, Any]:
    """The same schemas where they aren't named, so each use expands them; one
    refers back to the first, so the merges cut a cycle and can't be reused."""
    prefix = "#/x-shapes/"
    return document(
        doubling(levels, prefix, back=True),
        prefix,
        {"x-shapes": doubling(levels, prefix, back=True)},
    )


def test_shared_parts_of_named_schemas_are_merged_once():
    # 2^60 merges if each $ref were followed where it stands.
    built = reference.build(named(60))

    assert [row.name for row in built.schemas["S0"].schema.rows] == ["x"]
    (section,) = built.sections
    response = section.operations[0].responses[0].contents[0].schema
    assert response is not None and response.properties == (("x", False),)
    assert not any(row.note for named in built.schemas.values() for row in named.schema.rows)


def test_past_the_work_limit_schemas_say_they_are_too_large():
    built = reference.build(inline(60))

    (section,) = built.sections
    first, second = (op.responses[0].contents[0].schema for op in section.operations)
    assert first is not None and second is not None
    assert first.rows[-1].note == reference.TOO_LARGE
    assert [row.note for row in second.rows] == [reference.TOO_LARGE]


def test_a_small_document_is_far_from_the_limit():
    built = reference.build(inline(3))

    (section,) = built.sections
    schema = section.operations[0].responses[0].contents[0].schema
    assert schema is not None
    assert [row.name for row in schema.rows] == ["x"]


@pytest.mark.parametrize("make", [named, inline])
def test_a_stored_document_that_was_never_checked_still_shows(
    client, make_api, make_product, member, make
):
    # As if it had been stored before import counted its schemas.
    api = make_api("Doc", products=[make_product("Deals")])
    Api.objects.filter(pk=api.pk).update(document=make(40))
    client.force_login(member)

    response = client.get(reverse("portal:api", args=["doc"]))

    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="op-a"' in body and 'id="op-b"' in body
    assert ("Too large to show here" in body) == (make is inline)
