"""The reference built from a document: Swagger 2.0, cycles, depth, escaping, examples."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.urls import reverse

from apis import reference

OK = {"200": {"description": "OK"}}


def page(client: Any, make_api: Any, make_product: Any, member: Any, content: dict) -> str:
    make_api("Doc", text=json.dumps(content), products=[make_product("Deals")])
    client.force_login(member)
    response = client.get(reverse("portal:api", args=["doc"]))
    assert response.status_code == 200
    return response.content.decode()


SWAGGER = {
    "swagger": "2.0",
    "info": {"title": "Old", "version": "1"},
    "consumes": ["application/json"],
    "produces": ["application/xml"],
    "paths": {
        "/pets": {
            "post": {
                "operationId": "addPet",
                "tags": ["Pets"],
                "parameters": [
                    {
                        "name": "body",
                        "in": "body",
                        "required": True,
                        "schema": {"$ref": "#/definitions/Pet"},
                    },
                    {
                        "name": "X-Trace",
                        "in": "header",
                        "type": "string",
                        "description": "Trace id",
                    },
                ],
                "responses": {
                    "201": {
                        "description": "Made",
                        "schema": {"$ref": "#/definitions/Pet"},
                        "examples": {"application/xml": "<pet>Rex</pet>"},
                    }
                },
            }
        },
        "/pets/{id}/photo": {
            "post": {
                "operationId": "uploadPhoto",
                "consumes": ["multipart/form-data"],
                "parameters": [
                    {
                        "name": "id",
                        "in": "path",
                        "required": True,
                        "type": "integer",
                        "format": "int64",
                    },
                    {"name": "file", "in": "formData", "type": "file", "required": True},
                    {"name": "caption", "in": "formData", "type": "string"},
                ],
                "responses": OK,
            }
        },
    },
    "definitions": {
        "Pet": {
            "type": "object",
            "required": ["name"],
            "properties": {
                "name": {"type": "string", "example": "Rex"},
                "kind": {"type": "string", "enum": ["dog", "cat"]},
            },
        }
    },
}


def test_swagger_document_renders(client, make_api, make_product, member):
    body = page(client, make_api, make_product, member, SWAGGER)

    # Pet (a definition) is a link where it is used, and its table is under Schemas.
    assert 'href="#schema-Pet"' in body and 'id="schema-Pet"' in body
    assert "<code>kind</code>" in body and "<code>dog</code>" in body
    assert "application/json" in body  # consumes, for the body
    assert "application/xml" in body  # produces, for the response
    assert "&lt;pet&gt;Rex&lt;/pet&gt;" in body
    assert "<code>X-Trace</code>" in body
    assert "multipart/form-data" in body and "<code>caption</code>" in body
    assert 'integer</span> <span class="text-body-secondary small">(int64)' in body


CYCLIC = {
    "openapi": "3.1.0",
    "info": {"title": "Tree", "version": "1"},
    "paths": {
        "/nodes": {
            "get": {
                "operationId": "tree",
                "responses": {
                    "200": {
                        "description": "A tree",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Node"}}
                        },
                    }
                },
            }
        }
    },
    "components": {
        "schemas": {
            "Node": {
                "type": "object",
                "properties": {
                    "parent": {"$ref": "#/components/schemas/Node"},
                    "children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}},
                    "other": {"$ref": "#/components/schemas/Other"},
                },
            },
            "Other": {"allOf": [{"$ref": "#/components/schemas/Node"}]},
        }
    },
}


def test_cyclic_references_render(client, make_api, make_product, member):
    body = page(client, make_api, make_product, member, CYCLIC)

    assert "Refers back to Node" in body
    assert 'array of <a href="#schema-Node" class="schema-link">Node</a>' in body


def test_deep_schema_is_cut(client, make_api, make_product, member):
    schema: dict = {"type": "string"}
    for level in range(25):  # the document itself may nest 64 levels
        schema = {"type": "object", "properties": {f"level{level}": schema}}
    content = {
        "openapi": "3.0.3",
        "info": {"title": "Deep", "version": "1"},
        "paths": {
            "/deep": {
                "post": {
                    "operationId": "deep",
                    "requestBody": {"content": {"application/json": {"schema": schema}}},
                    "responses": OK,
                }
            }
        },
    }

    body = page(client, make_api, make_product, member, content)

    assert "Nested deeper than shown" in body
    assert "level24" in body and "level10" not in body


def test_wide_schema_is_cut():
    properties = {f"p{n}": {"type": "object", "properties": {"a": {}, "b": {}}} for n in range(300)}

    built = reference._schema(reference._Doc({}), {"type": "object", "properties": properties})

    assert built.truncated
    assert len(built.rows) == reference.MAX_SCHEMA_ROWS


NASTY = "<script>alert(1)</script>"


def test_html_in_the_document_is_escaped(client, make_api, make_product, member):
    content = {
        "openapi": "3.0.3",
        "info": {"title": "Doc", "version": "1", "description": NASTY},
        "tags": [{"name": NASTY, "description": NASTY}],
        "paths": {
            "/x": {
                "get": {
                    "operationId": "x",
                    "summary": NASTY,
                    "description": f"{NASTY} [link](javascript:alert(1))",
                    "tags": [NASTY],
                    "parameters": [
                        {
                            "name": NASTY,
                            "in": "query",
                            "description": NASTY,
                            "example": NASTY,
                            "schema": {"type": "string", "enum": [NASTY]},
                        }
                    ],
                    "responses": {
                        "200": {
                            "description": NASTY,
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "object",
                                        "properties": {
                                            NASTY: {"type": "string", "description": NASTY}
                                        },
                                    },
                                    "example": {"html": NASTY},
                                }
                            },
                        }
                    },
                }
            }
        },
    }

    body = page(client, make_api, make_product, member, content)

    assert "<script>alert" not in body
    assert 'href="javascript:' not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_api_description_is_escaped(client, make_api, make_product, member):
    make_api("Doc", products=[make_product("Deals")], description=f"**Bold** {NASTY}")
    client.force_login(member)

    body = client.get(reverse("portal:api", args=["doc"])).content.decode()

    assert "<strong>Bold</strong>" in body
    assert "<script>alert" not in body


@pytest.mark.parametrize(
    ("media", "expected"),
    [
        ({"example": {"id": 7}}, "&quot;id&quot;: 7"),
        ({"examples": {"one": {"summary": "First one", "value": "plain text"}}}, "First one"),
        ({"schema": {"type": "object", "example": {"n": 1}}}, "&quot;n&quot;: 1"),
    ],
)
def test_examples_are_shown(client, make_api, make_product, member, media, expected):
    content = {
        "openapi": "3.0.3",
        "info": {"title": "Doc", "version": "1"},
        "paths": {
            "/x": {
                "get": {
                    "operationId": "x",
                    "responses": {
                        "200": {"description": "OK", "content": {"application/json": media}}
                    },
                }
            }
        },
    }

    body = page(client, make_api, make_product, member, content)

    assert expected in body


def test_parameters_merge_path_and_operation_levels():
    content = {
        "openapi": "3.0.3",
        "info": {"title": "Doc", "version": "1"},
        "paths": {
            "/x/{id}": {
                "parameters": [
                    {
                        "name": "id",
                        "in": "path",
                        "required": True,
                        "description": "shared",
                        "schema": {"type": "string"},
                    },
                    {"$ref": "#/components/parameters/Page"},
                ],
                "get": {
                    "operationId": "x",
                    "parameters": [
                        {
                            "name": "id",
                            "in": "path",
                            "required": True,
                            "description": "own",
                            "schema": {"type": "integer"},
                        }
                    ],
                    "responses": OK,
                },
            }
        },
        "components": {
            "parameters": {"Page": {"name": "page", "in": "query", "schema": {"type": "integer"}}}
        },
    }

    (section,) = reference.build(content).sections
    (operation,) = section.operations

    assert [(p.name, p.type) for p in operation.parameters] == [
        ("id", "integer"),
        ("page", "integer"),
    ]
    assert "own" in operation.parameters[0].description
