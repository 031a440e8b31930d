"""Errors in Azure's shape: {"error": {"code", "message", "details"}}."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import JsonResponse


class ApiError(Exception):
    def __init__(
        self, status: int, code: str, message: str, details: list[dict[str, Any]] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details or []

    def response(self) -> JsonResponse:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details:
            body["details"] = self.details
        return JsonResponse({"error": body}, status=self.status)


def not_found(what: str) -> ApiError:
    return ApiError(404, "ResourceNotFound", f"{what} not found.")


def from_validation_error(error: ValidationError, fields: dict[str, str]) -> ApiError:
    """A Django validation error as Azure's 400, naming Azure's property names."""
    details = []
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            target = fields.get(field, field)
            details += [
                {"code": "ValidationError", "target": target, "message": m} for m in messages
            ]
    else:
        details = [{"code": "ValidationError", "message": m} for m in error.messages]
    message = "; ".join(d["message"] for d in details) or "One or more fields are invalid."
    return ApiError(400, "ValidationError", message, details)
