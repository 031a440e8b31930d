"""SCIM's error response (RFC 7644 §3.12): one shape for every refusal."""

from __future__ import annotations

import json

from django.http import HttpResponse

ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"
CONTENT_TYPE = "application/scim+json"


class ScimError(Exception):
    """A refusal, as its HTTP status, SCIM's scimType (when it has one) and a sentence."""

    def __init__(self, status: int, detail: str, scim_type: str = "") -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.scim_type = scim_type

    def response(self) -> HttpResponse:
        body: dict[str, object] = {
            "schemas": [ERROR_SCHEMA],
            "status": str(self.status),
            "detail": self.detail,
        }
        if self.scim_type:
            body["scimType"] = self.scim_type
        response = HttpResponse(json.dumps(body), status=self.status, content_type=CONTENT_TYPE)
        if self.status == 401:
            response["WWW-Authenticate"] = 'Bearer realm="Portico SCIM"'
        return response


def invalid_value(detail: str) -> ScimError:
    return ScimError(400, detail, "invalidValue")


def not_found(kind: str, resource_id: str) -> ScimError:
    return ScimError(404, f"No {kind} has the id {resource_id!r}.")
