"""Who may open the console: every console view states it with administrator_required."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.http.response import HttpResponseBase

from portal.models import is_administrator

View = Callable[..., HttpResponseBase]


def administrator_required(view: View) -> View:
    """Let administrators in; refuse every other signed-in user with 403.

    Anonymous visitors never get here: LoginRequiredMiddleware sends them to
    the sign-in page first.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not is_administrator(request.user):
            raise PermissionDenied("The console is for administrators only.")
        return view(request, *args, **kwargs)

    return wrapper
