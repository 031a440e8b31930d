"""The administrator's "View as": the developer portal as someone else sees it.

A preview only changes what the portal shows; it never signs anyone in as
somebody else and never lets the administrator act for them.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest

from groups.models import Group, GroupMember, Viewer
from portal.models import User, is_administrator

SESSION_KEY = "portico_view_as"


@dataclass(frozen=True)
class Preview:
    viewer: Viewer
    label: str


def start(request: HttpRequest, *, kind: str, key: str) -> Preview | None:
    """Remember whom the administrator wants to view the portal as."""
    request.session[SESSION_KEY] = {"kind": kind, "key": key}
    request.__dict__.pop("_portico_preview", None)
    return current(request)


def stop(request: HttpRequest) -> None:
    request.session.pop(SESSION_KEY, None)
    request.__dict__.pop("_portico_preview", None)


def current(request: HttpRequest) -> Preview | None:
    """The preview in force for this request, if the administrator started one."""
    if not hasattr(request, "_portico_preview"):
        request._portico_preview = _load(request)  # type: ignore[attr-defined]
    return request._portico_preview  # type: ignore[attr-defined]


def _load(request: HttpRequest) -> Preview | None:
    wanted = request.session.get(SESSION_KEY)
    if not wanted or not is_administrator(request.user):
        return None
    if wanted.get("kind") == "user":
        person = User.objects.filter(pk=wanted.get("key")).first()
        if person is None:
            return None
        return Preview(viewer=person, label=f"{person.display_name} ({person.email})")
    if wanted.get("kind") == "group":
        group = Group.objects.filter(name=wanted.get("key")).first()
        if group is None:
            return None
        return Preview(viewer=GroupMember(group=group), label=f"a member of {group.display_name}")
    return None


def viewer_for(request: HttpRequest) -> tuple[Viewer, Preview | None]:
    """Who the portal pages show products for: the preview's viewer, or the visitor."""
    preview = current(request)
    return (preview.viewer if preview else request.user), preview
