"""The activity record, read-only: who changed what, listed in Azure's list shape."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from audit.models import Record
from management_api import serializers
from management_api.azure import api_view, apply_filter, json_response, page
from management_api.errors import not_found

ACTIVITY_FILTERS = {
    "action": "action",
    "objectKind": "object_kind",
    "objectId": "object_id",
    "relatedKind": "related_kind",
    "relatedId": "related_id",
    "actorKind": "actor_kind",
}


@api_view({"GET"})
def record_list(request: HttpRequest) -> HttpResponse:
    """Oldest first, by id: records are only appended, so $skip paging never shifts."""
    records = apply_filter(request, Record.objects.order_by("id"), ACTIVITY_FILTERS)
    return page(request, records, serializers.activity_record)


@api_view({"GET"})
def record_entity(request: HttpRequest, record_id: str) -> HttpResponse:
    found = (
        Record.objects.filter(pk=int(record_id)).first()
        if record_id.isascii() and record_id.isdigit() and len(record_id) <= 18
        else None
    )
    if found is None:
        raise not_found(f"Activity record '{record_id}'")
    return json_response(serializers.activity_record(found))
