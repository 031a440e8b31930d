"""Time an API's reference page in the developer portal, for a 500-operation document.

Seeds a throwaway SQLite database (or the one DATABASE_URL names, which it
must be allowed to fill) with one product and one API of 500 operations in 25
tags, each with parameters, a request body or a response that refers to shared
schemas, then fetches the reference page as a developer with Django's test
client: the first request of the process, then p50/p95 over many requests
cold (the cache emptied before each, so each builds the reference again, as
after an import or a worker's restart) and warm (the reference cached). The
download is timed too.

    .venv/bin/python bench/reference.py [runs]
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
WORK = Path(tempfile.mkdtemp(prefix="portico-bench-"))
os.environ.setdefault("DATABASE_URL", f"sqlite:///{WORK / 'bench.sqlite3'}")
os.environ.setdefault("PORTICO_VAR_DIR", str(WORK))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

import gc  # noqa: E402

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.urls import get_resolver  # noqa: E402

from apis import documents  # noqa: E402
from apis import services as api_services  # noqa: E402
from groups.models import Group  # noqa: E402
from portal.models import User  # noqa: E402
from products import services as product_services  # noqa: E402

# As portal/wsgi.py does once a worker has loaded Portico.
get_resolver().url_patterns  # noqa: B018
gc.freeze()

OPERATIONS = 500
TAGS = 25


def document_text() -> str:
    """A document shaped like a real 500-operation API: per resource kind (one a tag) a
    list, get, create, replace, update, delete and a few actions; shared parameters and
    responses in components; about a hundred named schemas that refer to each other
    (and to themselves); inline bodies here and there; examples."""
    schemas: dict = {
        "Address": {
            "type": "object",
            "description": "A postal address.",
            "required": ["line1", "city"],
            "properties": {
                "line1": {"type": "string", "description": "First line."},
                "line2": {"type": "string", "nullable": True},
                "city": {"type": "string"},
                "postcode": {"type": "string", "example": "75001"},
                "country": {"$ref": "#/components/schemas/Country"},
            },
        },
        "Country": {"type": "string", "enum": ["FR", "DE", "NL", "ES", "IT", "BE"]},
        "Money": {
            "type": "object",
            "required": ["amount", "currency"],
            "properties": {
                "amount": {"type": "string", "format": "decimal", "example": "12.50"},
                "currency": {"type": "string", "enum": ["EUR", "USD", "GBP"]},
            },
        },
        "Audit": {
            "type": "object",
            "properties": {
                "createdAt": {"type": "string", "format": "date-time"},
                "createdBy": {"type": "string", "format": "email"},
                "updatedAt": {"type": "string", "format": "date-time"},
            },
        },
        "Page": {
            "type": "object",
            "properties": {
                "next": {"type": "string", "format": "uri", "nullable": True},
                "total": {"type": "integer", "minimum": 0},
            },
        },
        "Problem": {
            "type": "object",
            "description": "An error, as [RFC 9457](https://www.rfc-editor.org/rfc/rfc9457).",
            "required": ["type", "title"],
            "properties": {
                "type": {"type": "string", "format": "uri"},
                "title": {"type": "string"},
                "detail": {"type": "string"},
                "errors": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "field": {"type": "string"},
                            "message": {"type": "string"},
                        },
                    },
                },
            },
            "example": {"type": "about:blank", "title": "Not found"},
        },
    }
    for kind in range(TAGS):
        thing = f"#/components/schemas/Thing{kind}"
        schemas[f"Thing{kind}State"] = {"type": "string", "enum": ["new", "active", "retired"]}
        schemas[f"Thing{kind}Input"] = {
            "type": "object",
            "description": f"What a client sends to make or change a thing of kind {kind}.",
            "required": ["name"],
            "properties": {
                "name": {"type": "string", "description": "Its *name*.", "example": "Widget"},
                "state": {"$ref": f"#/components/schemas/Thing{kind}State"},
                "address": {"$ref": "#/components/schemas/Address"},
                "price": {"$ref": "#/components/schemas/Money"},
                "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 20},
                "options": {
                    "type": "object",
                    "properties": {
                        "fragile": {"type": "boolean", "default": False},
                        "notes": {"type": "string", "maxLength": 500},
                    },
                },
                "parent": {"$ref": thing},
            },
        }
        schemas[f"Thing{kind}"] = {
            "allOf": [
                {"$ref": f"#/components/schemas/Thing{kind}Input"},
                {
                    "type": "object",
                    "required": ["id"],
                    "properties": {
                        "id": {"type": "string", "format": "uuid", "readOnly": True},
                        "audit": {"$ref": "#/components/schemas/Audit"},
                    },
                },
            ],
            "description": f"A thing of kind {kind}.",
            "example": {"id": "7d1f0e0a-0000-4000-8000-000000000000", "name": "Widget"},
        }
        schemas[f"Thing{kind}List"] = {
            "type": "object",
            "properties": {
                "items": {"type": "array", "items": {"$ref": thing}},
                "page": {"$ref": "#/components/schemas/Page"},
            },
        }
    parameters = {
        "Limit": {
            "name": "limit",
            "in": "query",
            "description": "How many to answer, at most.",
            "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20},
        },
        "Cursor": {"name": "cursor", "in": "query", "schema": {"type": "string"}},
        "RequestId": {
            "name": "X-Request-Id",
            "in": "header",
            "description": "Echoed back, for tracing.",
            "schema": {"type": "string", "format": "uuid"},
        },
    }
    responses = {
        "NotFound": {
            "description": "No such thing.",
            "content": {
                "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
            },
        },
        "Invalid": {
            "description": "The request is not valid; `errors` says why.",
            "content": {
                "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
            },
        },
        "Unauthorized": {"description": "No valid subscription key."},
    }
    paths: dict = {}
    for number in range(OPERATIONS):
        kind = number % TAGS
        step = number // TAGS  # 20 operations per kind
        thing = {"$ref": f"#/components/schemas/Thing{kind}"}
        thing_input = {"$ref": f"#/components/schemas/Thing{kind}Input"}
        item_id = {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
        common = [{"$ref": "#/components/parameters/RequestId"}]
        answers = {
            "200": {
                "description": "The thing.",
                "content": {
                    "application/json": {
                        "schema": thing,
                        "example": {"id": f"thing-{number}", "name": "Widget", "state": "new"},
                    }
                },
            },
            "401": {"$ref": "#/components/responses/Unauthorized"},
            "404": {"$ref": "#/components/responses/NotFound"},
        }
        method, path, body = "get", f"/kind{kind}/things/{{id}}/step{step}", None
        parameters_here = [item_id, *common]
        if step % 5 == 0:  # a list
            method, path = "get", f"/kind{kind}/things/step{step}"
            parameters_here = [
                {"$ref": "#/components/parameters/Limit"},
                {"$ref": "#/components/parameters/Cursor"},
                {
                    "name": "state",
                    "in": "query",
                    "schema": {"$ref": f"#/components/schemas/Thing{kind}State"},
                },
                *common,
            ]
            answers["200"] = {
                "description": "A page of things.",
                "content": {
                    "application/json": {
                        "schema": {"$ref": f"#/components/schemas/Thing{kind}List"}
                    }
                },
            }
            del answers["404"]
        elif step % 5 == 1:  # a creation
            method, path = "post", f"/kind{kind}/things/step{step}"
            parameters_here = common
            body = {"required": True, "content": {"application/json": {"schema": thing_input}}}
            answers["201"] = answers.pop("200")
            answers["422"] = {"$ref": "#/components/responses/Invalid"}
        elif step % 5 == 2:  # a change
            method = "patch"
            body = {"content": {"application/merge-patch+json": {"schema": thing_input}}}
            answers["422"] = {"$ref": "#/components/responses/Invalid"}
        elif step % 5 == 3:  # an action with an inline body
            method, path = "post", f"/kind{kind}/things/{{id}}/step{step}/act"
            body = {
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["reason"],
                            "properties": {
                                "reason": {"type": "string", "enum": ["move", "repair"]},
                                "when": {"type": "string", "format": "date-time"},
                                "to": {"$ref": "#/components/schemas/Address"},
                            },
                        },
                        "example": {"reason": "move"},
                    }
                }
            }
            answers["202"] = {"description": "Accepted; it will be done soon."}
        operation = {
            "operationId": f"operation{number}",
            "summary": f"Do step {number} to a thing",
            "description": f"Step **{number}**: changes the thing and answers it.",
            "tags": [f"Kind {kind}"],
            "parameters": parameters_here,
            "responses": answers,
        }
        if body is not None:
            operation["requestBody"] = body
        paths.setdefault(path, {})[method] = operation
    return json.dumps(
        {
            "openapi": "3.0.3",
            "info": {"title": "Big", "version": "1"},
            "paths": paths,
            "components": {
                "schemas": schemas,
                "parameters": parameters,
                "responses": responses,
            },
        }
    )


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def timed(client: Client, url: str, runs: int, *, cold: bool) -> tuple[list[float], list[float]]:
    """Milliseconds of each of `runs` requests, wall-clock and this process's CPU (which
    other work on the machine doesn't inflate); `cold` empties the cache before each, so
    each one builds the reference again, as after an import or a worker's start."""
    wall, cpu = [], []
    for _ in range(runs):
        if cold:
            cache.clear()
        started, started_cpu = time.perf_counter(), time.process_time()
        response = client.get(url)
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
        assert response.status_code == 200, response.status_code
    return wall, cpu


def summary(times: tuple[list[float], list[float]]) -> str:
    wall, cpu = times
    return (
        f"p50 {statistics.median(wall):.0f} ms, p95 {percentile(wall, 0.95):.0f} ms "
        f"(CPU p50 {statistics.median(cpu):.0f} ms, p95 {percentile(cpu, 0.95):.0f} ms)"
    )


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    call_command("migrate", verbosity=0)
    developer = User.objects.create_user("bench-dev@example.com", "bench-password-1")
    product = product_services.create_product(
        name="bench",
        display_name="Bench",
        state="published",
        groups=Group.objects.filter(name=Group.DEVELOPERS),
    )
    started = time.perf_counter()
    document = documents.read(document_text())
    api = api_services.create_api(document=document, name="big", display_name="Big", path="big")
    api_services.add_apis(product=product, apis=[api], added_by=None)
    print(f"imported {OPERATIONS} operations in {(time.perf_counter() - started):.1f} s")
    client = Client()
    client.force_login(developer)
    for label, url in [
        ("reference page", "/apis/big/"),
        ("download (JSON)", "/apis/big/openapi.json"),
    ]:
        # The very first request of this process also loads templates and modules.
        first = timed(client, url, 1, cold=True)
        cold = timed(client, url, runs, cold=True)
        warm = timed(client, url, runs, cold=False)
        size = len(client.get(url).content) // 1024
        print(
            f"{label}: {size} KiB; first in the process {first[0][0]:.0f} ms "
            f"(CPU {first[1][0]:.0f} ms); "
            f"over {runs} runs: cold (cache emptied) {summary(cold)}; warm {summary(warm)}"
        )


if __name__ == "__main__":
    # Static files straight from static/, without collectstatic's manifest.
    # Not setup_test_environment(): its template instrumentation would slow the page.
    with override_settings(
        ALLOWED_HOSTS=["testserver"],
        STORAGES={
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        },
    ):
        main()
