"""What Portico answers when something fails: the 500 handler, which knows a database outage.

Django calls `server_error` for any exception nothing else handled, while
that exception is being handled. An outage of the database (PostgreSQL
restarting, SQLite's disk full or locked for too long) is not a bug in the
request: it answers 503 with Retry-After, so clients and gateways retry.
The management API answers in Azure's error shape, the key check with an
empty body, people with a page that says what to do. Nothing here touches
the database.
"""

from __future__ import annotations

import sys

from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string

# Seconds a client should wait before trying again after an outage.
RETRY_AFTER = 5
API_PATH_MARKER = "/providers/microsoft.apimanagement/"
GATEWAY_PATH = "/gateway/check"


# PostgreSQL's SQLSTATE classes for "not now" rather than "wrong": connection
# exceptions (08), insufficient resources such as a full disk (53), operator
# intervention such as a shutdown or restart (57P), and a read-only
# transaction, as on a standby during a failover (25006).
TRANSIENT_SQLSTATES = ("08", "53", "57P", "25006")


def database_unavailable(error: BaseException | None) -> bool:
    """An error that says the database can't be reached or written, not that a query is wrong."""
    if not isinstance(error, DatabaseError):
        return False
    if isinstance(error, OperationalError | InterfaceError):
        return True
    sqlstate = getattr(error.__cause__, "sqlstate", None) or ""
    if sqlstate.startswith(TRANSIENT_SQLSTATES):
        return True
    # SQLite reports a full disk as "database or disk is full".
    return "disk is full" in str(error)


def server_error(request: HttpRequest) -> HttpResponse:
    outage = database_unavailable(sys.exception())
    status = 503 if outage else 500
    if API_PATH_MARKER in request.path.lower():
        if outage:
            code, message = (
                "ServiceUnavailable",
                f"The service is temporarily unavailable. Retry after {RETRY_AFTER} seconds.",
            )
        else:
            code, message = "InternalServerError", "The server failed to handle the request."
        response: HttpResponse = JsonResponse(
            {"error": {"code": code, "message": message}}, status=status
        )
    elif request.path == GATEWAY_PATH:
        response = HttpResponse(status=status)
        response["X-Portico-Reason"] = "database unavailable" if outage else "server error"
    else:
        template = "503.html" if outage else "500.html"
        response = HttpResponse(
            render_to_string(template, {"retry_after": RETRY_AFTER}), status=status
        )
    if outage:
        response["Retry-After"] = str(RETRY_AFTER)
    return response
