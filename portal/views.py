from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from groups.models import Group
from portal.access import administrator_required


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


@require_GET
@administrator_required
def console_home(request: HttpRequest) -> HttpResponse:
    user_model = get_user_model()
    context = {
        "user_count": user_model.objects.count(),
        "group_count": Group.objects.count(),
    }
    return render(request, "console/home.html", context)


CONSOLE_SECTIONS = {
    "groups": (
        "Groups",
        "Groups decide which developers see which products. Here you will create "
        "custom groups, edit their settings and add members.",
    ),
    "products": (
        "Products",
        "Products bundle your APIs. Here you will create products, publish them and "
        "choose which groups can see them under Access control.",
    ),
    "subscriptions": (
        "Subscriptions",
        "Developers subscribe to the products they can see. Here you will approve, "
        "suspend and cancel their subscriptions.",
    ),
    "users": (
        "Users",
        "Here you will find every developer account, the groups each person is in, "
        "and block or unblock accounts.",
    ),
}


@require_GET
@administrator_required
def console_section(request: HttpRequest, section: str) -> HttpResponse:
    """A console tab whose pages are still to come: a plain empty state."""
    title, text = CONSOLE_SECTIONS[section]
    return render(
        request,
        "console/section_empty.html",
        {"section": section, "title": title, "text": text},
    )
