"""The console's Approvals: one inbox for everything waiting for an administrator.

What waits (sign-ups, requests to join a group or to see a product,
subscription requests) is described by each app as a portal.approvals.Kind;
this page lists them together, filters and searches them, and approves or
rejects the ticked ones, each through its own app's services.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from portal import approvals, console
from portal.access import administrator_required
from portal.lists import choice, paginate, search_query
from portal.services import REASON_MAX

SORTS = {
    "oldest": ["entry_at", "entry_kind", "entry_id"],
    "newest": ["-entry_at", "-entry_kind", "-entry_id"],
}
SORT_CHOICES = [("oldest", "Oldest first"), ("newest", "Newest first")]
# One decision names at most this many items: a page's worth and more.
MAX_DECIDED = 200
# Past this many, the outcome is told in one message rather than one per item.
MESSAGES_EACH = 5


class DecisionForm(forms.Form):
    action = forms.ChoiceField(choices=[("approve", "Approve"), ("reject", "Reject")])
    items = forms.MultipleChoiceField(
        required=False,
        error_messages={"invalid_choice": "Something you ticked is no longer in the list."},
    )
    reason = forms.CharField(
        label="Reason for rejecting",
        required=False,
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Sent to each person you reject. Up to 1,000 characters.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Any kind:id pair is accepted here; whether it still waits is
        # found out one by one when deciding.
        self.fields["items"].valid_value = _well_formed  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        items = data.get("items") or []
        if "items" in data and not items:
            self.add_error("items", "Tick at least one request first.")
        if len(items) > MAX_DECIDED:
            self.add_error("items", f"Decide at most {MAX_DECIDED} at once.")
        if data.get("action") == "reject" and not (data.get("reason") or "").strip():
            self.add_error("reason", "Give a reason: each person you reject gets it by email.")
        return data


def _well_formed(value: str) -> bool:
    key, _, pk = value.partition(":")
    return approvals.kind(key) is not None and pk.isdigit() and len(pk) < 19


def _selected_kinds(request: HttpRequest) -> tuple[str, list[approvals.Kind]]:
    every = approvals.kinds()
    key = choice(request, "kind", [item.key for item in every])
    return key, [item for item in every if not key or item.key == key]


def _rows(page: Any) -> list[dict[str, Any]]:
    """The page's entries with their items, loaded in one query (or a few) per kind."""
    wanted: dict[str, list[int]] = defaultdict(list)
    for pk, key, _ in page.object_list:
        wanted[key].append(pk)
    loaded = {}
    for key, ids in wanted.items():
        item_kind = approvals.kind(key)
        if item_kind is not None:
            loaded[key] = item_kind.load(ids)
    rows = []
    for pk, key, since in page.object_list:
        item = loaded.get(key, {}).get(pk)
        if item is not None:
            rows.append(
                {"kind": approvals.kind(key), "item": item, "since": since, "value": f"{key}:{pk}"}
            )
    return rows


@require_http_methods(["GET", "HEAD", "POST"])
@administrator_required
def inbox(request: HttpRequest) -> HttpResponse:
    form = DecisionForm()
    if request.method == "POST":
        data = request.POST.copy()
        if data.get("only"):
            # A row's own Approve button decides that row alone.
            data.setlist("items", [str(data["only"])])
            data["action"] = "approve"
        form = DecisionForm(data)
        if form.is_valid():
            _decide(request, form)
            return redirect(_back(request))
    key, selected = _selected_kinds(request)
    query = search_query(request)
    sort = choice(request, "sort", SORTS, default="oldest")
    page = paginate(request, approvals.entries(selected, query).order_by(*SORTS[sort]))
    counts = approvals.counts(query)
    every = approvals.kinds()
    kind_filter = console.Filter(
        field="kind",
        label="Show",
        everything=f"Everything waiting ({sum(counts.values()):,})",
        choices=[(item.key, f"{item.label} ({counts.get(item.key, 0):,})") for item in every],
    )
    ticked = set(request.POST.getlist("items")) if request.method == "POST" else set()
    return render(
        request,
        "portal/approvals.html",
        {
            "title": "Approvals",
            "page": page,
            "rows": _rows(page),
            "query": query,
            "search_label": "Search by person, group, product or subscription",
            "filter": kind_filter,
            "filter_value": key,
            "sort": sort,
            "sort_choices": SORT_CHOICES,
            "filtered": bool(query or key),
            "form": form,
            "ticked": ticked,
            "kinds": every,
        },
        status=400 if form.is_bound else 200,
    )


def _back(request: HttpRequest) -> str:
    """The inbox as it was shown: the same filter, search, sort and page."""
    names = ("kind", "q", "sort", "page")
    kept = {name: request.GET[name] for name in names if request.GET.get(name)}
    url = reverse("console:approvals")
    return f"{url}?{urlencode(kept)}" if kept else url


def _decide(request: HttpRequest, form: DecisionForm) -> None:
    action = form.cleaned_data["action"]
    reason = form.cleaned_data["reason"].strip()
    done: list[str] = []
    refused: list[str] = []
    for value in dict.fromkeys(form.cleaned_data["items"]):
        key, _, pk = value.partition(":")
        item_kind = approvals.kind(key)
        if item_kind is None:
            continue
        still_waiting = item_kind.waiting().filter(pk=int(pk)).exists()
        item = item_kind.load([int(pk)]).get(int(pk)) if still_waiting else None
        if item is None:
            refused.append(f"One {item_kind.noun} was decided or withdrawn meanwhile.")
            continue
        try:
            if action == "approve":
                done.append(item_kind.approve(item, request.user, request.POST))
            else:
                done.append(item_kind.reject(item, request.user, reason))
        except ValidationError as error:
            refused.append(" ".join(error.messages))
    verb = "Approved" if action == "approve" else "Rejected"
    if len(done) > MESSAGES_EACH:
        messages.success(request, f"{verb} {len(done)} requests; each person got an email.")
    else:
        for line in done:
            messages.success(request, line)
    for line in refused:
        messages.error(request, line)
