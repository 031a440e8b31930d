"""Time an API's reference page in the developer portal, for a 500-operation document.

Seeds a throwaway SQLite database (or the one DATABASE_URL names, which it
must be allowed to fill) with one product and one API of 500 operations in 25
tags, each with parameters, a request body or a response that refers to shared
schemas, then fetches the reference page as a developer with Django's test
client, many times, and prints the first (cold: the reference is built and
cached) and the p50/p95 of the rest. The download is timed too.

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

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from apis import documents  # noqa: E402
from apis import services as api_services  # noqa: E402
from groups.models import Group  # noqa: E402
from portal.models import User  # noqa: E402
from products import services as product_services  # noqa: E402

OPERATIONS = 500
TAGS = 25


def document_text() -> str:
    schemas = {
        "Address": {
            "type": "object",
            "required": ["line1", "city"],
            "properties": {
                "line1": {"type": "string", "description": "First line."},
                "city": {"type": "string"},
                "postcode": {"type": "string", "example": "75001"},
                "country": {"type": "string", "enum": ["FR", "DE", "NL", "ES"]},
            },
        },
        "Error": {
            "type": "object",
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
        },
    }
    for number in range(TAGS):
        schemas[f"Thing{number}"] = {
            "type": "object",
            "description": f"A thing of kind {number}.",
            "required": ["id", "name"],
            "properties": {
                "id": {"type": "string", "format": "uuid"},
                "name": {"type": "string", "description": "Its *name*.", "example": "Widget"},
                "state": {"type": "string", "enum": ["new", "active", "retired"]},
                "address": {"$ref": "#/components/schemas/Address"},
                "tags": {"type": "array", "items": {"type": "string"}},
                "parent": {"$ref": f"#/components/schemas/Thing{number}"},
                "createdAt": {"type": "string", "format": "date-time"},
            },
        }
    paths: dict = {}
    for number in range(OPERATIONS):
        kind = number % TAGS
        thing = {"$ref": f"#/components/schemas/Thing{kind}"}
        path = f"/things{kind}/{{id}}/part{number}"
        operation = {
            "operationId": f"operation{number}",
            "summary": f"Do step {number} to a thing",
            "description": f"Step **{number}**: changes the thing and answers it.",
            "tags": [f"Kind {kind}"],
            "parameters": [
                {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}},
                {"name": "limit", "in": "query", "schema": {"type": "integer", "default": 10}},
            ],
            "responses": {
                "200": {
                    "description": "The thing.",
                    "content": {"application/json": {"schema": thing, "example": {"id": "x"}}},
                },
                "404": {
                    "description": "No such thing.",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                    },
                },
            },
        }
        method = "get"
        if number % 3 == 0:
            method = "post"
            operation["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": thing}},
            }
        paths[path] = {method: operation}
    return json.dumps(
        {
            "openapi": "3.0.3",
            "info": {"title": "Big", "version": "1"},
            "paths": paths,
            "components": {"schemas": schemas},
        }
    )


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def timed(client: Client, url: str, runs: int) -> tuple[float, list[float]]:
    times = []
    for _ in range(runs + 1):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
    return times[0], times[1:]


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    setup_test_environment()
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
        first, rest = timed(client, url, runs)
        size = len(client.get(url).content) // 1024
        print(
            f"{label}: {size} KiB, first {first:.0f} ms, then over {runs} runs "
            f"p50 {statistics.median(rest):.0f} ms, p95 {percentile(rest, 0.95):.0f} ms"
        )


if __name__ == "__main__":
    # Static files straight from static/, without collectstatic's manifest.
    with override_settings(
        STORAGES={
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        }
    ):
        main()
