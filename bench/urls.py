"""The project's URLs plus the two floors, served only while bench/run runs."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path

from content.branding import Brand
from portal.urls import urlpatterns as project_urlpatterns

NO_MENUS = {"top": [], "footer": []}


@login_not_required
def floor_template(request: HttpRequest) -> HttpResponse:
    """The developer portal's base template and nothing else: the floor of a page."""
    # The guest's top bar asks the database whether sign-up is open, and reads
    # the branding and the menus of pages; a floor runs no query, so the
    # answers are given (the defaults: sign-up open, no pages in the menus).
    given = {"sign_up_open": True, "branding": Brand(), "portal_menus": NO_MENUS}
    return render(request, "portal/base.html", given)


@login_not_required
def floor_empty(request: HttpRequest) -> HttpResponse:
    """An empty 204 through the whole middleware stack: the floor of any answer."""
    return HttpResponse(status=204)


urlpatterns = [
    path("bench/floor/template/", floor_template),
    path("bench/floor/empty/", floor_empty),
    *project_urlpatterns,
]

handler500 = "portal.views.errors.server_error"
