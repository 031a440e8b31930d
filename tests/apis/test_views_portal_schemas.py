"""Named schemas on an API's reference page: shown once, linked, and only those the
viewer's operations reach."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.core.cache import cache
from django.urls import reverse

from apis import reference
from apis import services as api_services
from tests.conftest import normalised, normalised_headers

NASTY = "<script>alert(1)</script>"


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def answer(schema: dict[str, Any]) -> dict[str, Any]:
    return {"200": {"description": "OK", "content": {"application/json": {"schema": schema}}}}


DOCUMENT = {
    "openapi": "3.0.3",
    "info": {"title": "Pets", "version": "1"},
    "paths": {
        "/pets": {
            "get": {
                "operationId": "listPets",
                "tags": ["Pets"],
                "responses": answer({"type": "array", "items": ref("Pet")}),
            },
            "post": {
                "operationId": "addPet",
                "tags": ["Pets"],
                "requestBody": {"content": {"application/json": {"schema": ref("Pet")}}},
                "responses": answer(ref("Pet")),
            },
        },
        "/audit": {
            "get": {
                "operationId": "readAudit",
                "tags": ["Admin"],
                "responses": answer(ref("AuditLog")),
            },
            "post": {
                "operationId": "inspectPet",
                "tags": ["Admin"],
                "requestBody": {"content": {"application/json": {"schema": ref("Pet")}}},
                "responses": answer(ref("Verdict")),
            },
        },
    },
    "components": {
        "schemas": {
            "Pet": {
                "type": "object",
                "description": "A pet in the *shop*.",
                "required": ["name"],
                "properties": {
                    "name": {"type": "string"},
                    "kind": {"type": "string", "enum": ["dogUnique", "catUnique"]},
                    "owner": ref("Owner"),
                    "friends": {"type": "array", "items": ref("Pet")},
                    "mother": ref("Pet"),
                },
                "example": {"name": "Rex"},
            },
            "Owner": {"type": "object", "properties": {"email": {"type": "string"}}},
            "AuditLog": {
                "type": "object",
                "properties": {"entries": {"type": "array", "items": ref("AuditEntry")}},
            },
            "AuditEntry": {"type": "object", "properties": {"who": {"type": "string"}}},
            "Verdict": {"type": "string", "enum": ["fine", "sick"]},
            "Unused": {"type": "object", "properties": {"nobody": {"type": "string"}}},
        }
    },
}


@pytest.fixture
def pets(make_api: Any, make_product: Any, beta: Any) -> Any:
    """Pets, in a product Partners see; its Admin tag only for Beta testers."""
    api = make_api("Pets", text=json.dumps(DOCUMENT), products=[make_product("Deals")])
    api_services.restrict(api=api, kind="tag", target="Admin", groups=[beta], added_by=None)
    return api


def reference_page(client: Any) -> str:
    response = client.get(reverse("portal:api", args=["pets"]))
    assert response.status_code == 200
    return response.content.decode()


def test_a_named_schema_is_shown_once_and_linked(client, pets, member):
    client.force_login(member)

    body = reference_page(client)

    assert body.count('id="schema-Pet"') == 1
    assert body.count("<code>dogUnique</code>") == 1  # its table, once
    assert body.count('href="#schema-Pet"') >= 4  # two uses, the array, the TOC
    assert 'array of <a href="#schema-Pet" class="schema-link">Pet</a>' in body
    assert "A pet in the <em>shop</em>." in body
    assert "Refers back to Pet, this schema." in body  # its mother
    assert 'id="schema-Owner"' in body  # reached through Pet
    assert "Unused" not in body  # no operation refers to it


def test_every_schema_link_has_its_target(client, pets, beta_member):
    client.force_login(beta_member)

    body = reference_page(client)

    targets = set(re.findall(r'href="#(schema-[^"]+)"', body))
    assert targets == {
        "schema-Pet",
        "schema-Owner",
        "schema-AuditLog",
        "schema-AuditEntry",
        "schema-Verdict",
    }
    for target in targets:
        assert body.count(f'id="{target}"') == 1


@pytest.mark.parametrize(
    ("who", "shown"), [("member", False), ("beta_member", True), ("administrator", True)]
)
def test_schemas_of_restricted_operations_only_for_their_group(
    client, pets, sign_in_as, who, shown
):
    sign_in_as(who)

    body = reference_page(client)

    # Only the Admin operations use these (AuditEntry through AuditLog).
    for name in ("AuditLog", "AuditEntry", "Verdict"):
        assert (name in body) is shown
    assert ("<code>fine</code>" in body) is shown
    # Pet is used by a hidden operation too, and by visible ones: it stays.
    assert 'id="schema-Pet"' in body


def test_schemas_follow_a_cleared_cache(client, pets, member):
    client.force_login(member)
    first = reference_page(client)
    cache.clear()

    assert normalised(reference_page(client).encode()) == normalised(first.encode())


@pytest.mark.parametrize("who", ["anonymous", "blocked_user", "other_member"])
def test_hidden_api_with_schemas_is_the_same_404_as_missing(client, pets, sign_in_as, who, others):
    sign_in_as(who)

    response = client.get(reverse("portal:api", args=["pets"]))
    missing = client.get(reverse("portal:api", args=["no-such-api"]))

    assert response.status_code == missing.status_code == 404
    assert normalised(response.content) == normalised(missing.content)
    assert normalised_headers(response) == normalised_headers(missing)
    assert "schema-" not in response.content.decode()


def test_swagger_definitions_are_named_schemas():
    content = {
        "swagger": "2.0",
        "info": {"title": "Old", "version": "1"},
        "paths": {
            "/x": {
                "get": {
                    "operationId": "x",
                    "responses": {
                        "200": {"description": "OK", "schema": {"$ref": "#/definitions/Thing"}}
                    },
                }
            }
        },
        "definitions": {
            "Thing": {"type": "object", "properties": {"part": {"$ref": "#/definitions/Part"}}},
            "Part": {"type": "object", "properties": {"n": {"type": "integer"}}},
        },
    }

    built = reference.build(content)
    (operation,) = built.sections[0].operations

    assert operation.refs == {"Thing"}
    assert built.schemas["Thing"].refs == {"Part"}
    assert reference.reachable({n: s.refs for n, s in built.schemas.items()}, operation.refs) == {
        "Thing",
        "Part",
    }
    assert (operation.responses[0].contents[0].schema.properties) == (("part", False),)


def test_odd_schema_names_get_safe_anchors(client, make_api, make_product, member):
    # OpenAPI 3 limits component names; Swagger 2.0's definitions may be named anything.
    content = {
        "swagger": "2.0",
        "info": {"title": "Odd", "version": "1"},
        "paths": {
            "/x": {
                "get": {
                    "operationId": "x",
                    "responses": {
                        "200": {
                            "description": "OK",
                            "schema": {"$ref": "#/definitions/" + NASTY.replace("/", "~1")},
                        }
                    },
                }
            }
        },
        "definitions": {NASTY: {"type": "object", "properties": {"a": {"type": "string"}}}},
    }
    make_api("Odd", text=json.dumps(content), products=[make_product("Deals")])
    client.force_login(member)

    body = client.get(reverse("portal:api", args=["odd"])).content.decode()

    assert "<script>alert" not in body
    assert 'href="#schema~1"' in body and 'id="schema~1"' in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
