"""The developer portal's pages: each opens for the people it is meant for, and
answers 404, exactly as a missing page does, for everyone else."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from content.models import Page
from portal import preview


@login_not_required
@require_GET
def page_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """A page, as the visitor (or the person an administrator views the portal as) sees it."""
    viewer, _ = preview.viewer_for(request)
    page = get_object_or_404(Page.objects.visible_to(viewer), slug=slug)
    return render(request, "content/page.html", {"page": page})
