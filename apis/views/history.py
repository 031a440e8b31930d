"""An API's Access as of tab: who could see it (through the products it was
in) at a chosen moment."""

from __future__ import annotations

from functools import partial

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from apis.models import Api
from apis.views.console import _page
from portal import console
from portal.access import administrator_required
from portal.lists import paginate
from subscriptions import history


@require_GET
@administrator_required
def api_as_of(request: HttpRequest, name: str) -> HttpResponse:
    api = get_object_or_404(Api, name=name)
    context = console.as_of_context(request, partial(history.api_as_of, api), history.api_changes)
    return render(
        request,
        "apis/console_api_as_of.html",
        _page(api, "as_of") | context | {"page": paginate(request, context["result"].viewers)},
    )
