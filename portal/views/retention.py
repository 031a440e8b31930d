"""The console's Settings › Activity retention: how long the activity record is kept."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from audit import services as audit_services
from audit.models import RetentionSettings
from portal.access import administrator_required
from portal.forms import RetentionForm


@require_http_methods(["GET", "POST"])
@administrator_required
def retention_settings(request: HttpRequest) -> HttpResponse:
    current = RetentionSettings.current()
    form = RetentionForm(request.POST or None, initial={"keep_days": current.keep_days})
    if form.is_valid():
        keep_days = form.cleaned_data["keep_days"]
        audit_services.set_retention(keep_days=keep_days)
        if keep_days is None:
            messages.success(request, "Saved: activity records are kept forever.")
        else:
            messages.success(
                request,
                f"Saved: activity records are kept for {keep_days:,} "
                f"day{'' if keep_days == 1 else 's'}. Older ones are removed the next time "
                "manage.py prune_activity runs.",
            )
        return redirect("console:activity_retention")
    status = 400 if form.is_bound else 200
    return render(request, "console/activity_retention.html", {"form": form}, status=status)
