from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from sso.models import current_provider


def identity_provider(request: HttpRequest) -> dict[str, object]:
    """The provider for the sign-in page's button; read only by pages that show it."""
    return {"identity_provider": SimpleLazyObject(current_provider)}
