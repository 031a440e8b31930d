"""Path converters shared by the URL modules; importing this registers them."""

from __future__ import annotations

from django.urls import register_converter


class EntityIdConverter:
    """Azure-style IDs of groups and products: letters, digits, '-', '_' and '.'."""

    regex = r"[A-Za-z0-9._-]+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(EntityIdConverter, "entity_id")


class SubscriptionIdConverter:
    """Subscription IDs, as Azure allows them: no spaces, slashes, NULs or * # & + : < > ?."""

    regex = r"[^*#&+:<>?/\s\x00]+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(SubscriptionIdConverter, "subscription_id")
