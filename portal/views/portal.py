from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET


@login_not_required
@require_GET
def landing(request: HttpRequest) -> HttpResponse:
    """The developer portal's front page; public."""
    return render(request, "portal/landing.html")


@login_not_required
@require_GET
def product_list(request: HttpRequest) -> HttpResponse:
    """The product catalogue; public, since guests see the Guests group's products."""
    return render(request, "portal/product_list.html")


@require_GET
def profile(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/profile.html")


@login_not_required
@require_GET
def health(request: HttpRequest) -> HttpResponse:
    """Liveness and database check for load balancers and `make run`; public."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok\n", content_type="text/plain")
