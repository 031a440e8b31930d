"""Requests to join a group, as the approvals inbox lists them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import Q, QuerySet

from groups import services
from groups.models import GroupRequest
from portal import approvals


def _search(items: QuerySet[GroupRequest], query: str) -> QuerySet[GroupRequest]:
    for word in query.split()[:5]:
        items = items.filter(
            Q(user__email__icontains=word)
            | Q(user__first_name__icontains=word)
            | Q(user__last_name__icontains=word)
            | Q(group__display_name__icontains=word)
        )
    return items


def _load(ids: list[int]) -> dict[int, GroupRequest]:
    return GroupRequest.objects.select_related("user", "group").in_bulk(ids)


def _approve(request: GroupRequest, actor: Any, data: Mapping[str, Any]) -> str:
    services.approve_request(request=request, decided_by=actor)
    return (
        f"{request.user.display_name} is a member of {request.group.display_name} now; "
        "they got an email saying so."
    )


def _reject(request: GroupRequest, actor: Any, reason: str) -> str:
    services.reject_request(request=request, decided_by=actor, reason=reason)
    return (
        f"{request.user.display_name}'s request to join {request.group.display_name} "
        "was rejected; they got your reason."
    )


def _summary(request: GroupRequest) -> str:
    return (
        f"{request.user.display_name} <{request.user.email}> asks to join "
        f"{request.group.display_name}: “{request.reason}”"
    )


GROUP_REQUESTS = approvals.Kind(
    key="group",
    label="Requests to join a group",
    noun="request to join a group",
    waiting=lambda: GroupRequest.objects.waiting(),
    since="created_at",
    search=_search,
    load=_load,
    template="groups/approval_row.html",
    approve=_approve,
    reject=_reject,
    summary=_summary,
    order=20,
)
