"""The management API's description, public since it holds no data: as JSON for tools,
and as a page a person can read."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from management_api.openapi import document


@login_not_required
@require_GET
def openapi_document(request: HttpRequest) -> JsonResponse:
    """The OpenAPI document; public, since it holds no data."""
    return JsonResponse(document(request.build_absolute_uri("/").rstrip("/")))


@login_not_required
@require_GET
def openapi_page(request: HttpRequest) -> HttpResponse:
    """The same document as a page a person can read."""
    doc = document(request.build_absolute_uri("/").rstrip("/"))
    operations = [
        {"method": method.upper(), "path": path, "summary": operation["summary"]}
        for path, methods in doc["paths"].items()
        for method, operation in methods.items()
    ]
    return render(
        request,
        "api/docs.html",
        {"operations": operations, "server": doc["servers"][0]["url"]},
    )
