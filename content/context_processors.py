"""What the portal's templates show on every page: the branding (top bar, title,
accent stylesheet) and the menus of pages (top bar, footer)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import SimpleLazyObject

from content import branding as branding_services
from content import menus
from content.models import Page
from portal import preview


def branding(request: HttpRequest) -> dict[str, object]:
    """Read (from the shared cache) only by pages that show it, once however often they do."""
    return {"branding": SimpleLazyObject(branding_services.current)}


@dataclass(frozen=True)
class MenuLink:
    title: str
    url: str
    current: bool


class PortalMenus:
    """Read on first use: console pages, which show neither menu, never pay for them."""

    def __init__(self, request: HttpRequest) -> None:
        self.request = request

    @cached_property
    def _links(self) -> list[tuple[str, MenuLink]]:
        # "View as" shows the previewed person's (or group's) menus.
        viewer, _ = preview.viewer_for(self.request)
        links = []
        for page in menus.menu_pages(viewer):
            url = reverse("portal:page", args=[page.slug])
            links.append((page.menu, MenuLink(page.title, url, url == self.request.path)))
        return links

    @cached_property
    def top(self) -> list[MenuLink]:
        return [link for menu, link in self._links if menu == Page.Menu.TOP]

    @cached_property
    def footer(self) -> list[MenuLink]:
        return [link for menu, link in self._links if menu == Page.Menu.FOOTER]


def portal_menus(request: HttpRequest) -> dict[str, object]:
    return {"portal_menus": PortalMenus(request)}
