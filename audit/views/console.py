"""The console's Activity: every recorded change, filtered and paged, and
exported as CSV; and the History section the object pages share."""

from __future__ import annotations

import csv
import datetime
import json
from collections.abc import Iterator
from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from audit import words
from audit.models import Record, RecordQuerySet
from portal.access import administrator_required
from portal.activity import rows as activity_rows

PER_PAGE = 50
# Opening a spreadsheet runs a cell that starts with these as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CSV_COLUMNS = [
    "id",
    "time (UTC)",
    "actor kind",
    "actor",
    "on behalf of",
    "via",
    "address",
    "action",
    "object kind",
    "object id",
    "object",
    "related kind",
    "related id",
    "related",
    "before",
    "after",
    "caused by",
]


class ActivityFilters(forms.Form):
    who = forms.CharField(
        label="Who", required=False, max_length=200, help_text="Part of an email or a name."
    )
    kind = forms.ChoiceField(label="Kind of object", required=False)
    action = forms.ChoiceField(label="Action", required=False)
    start = forms.DateField(
        label="From",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="From the start of this day (UTC).",
    )
    end = forms.DateField(
        label="To",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="To the end of this day (UTC).",
    )
    object = forms.RegexField(
        regex=r"^[a-z_]{1,20}:[A-Za-z0-9._-]{1,64}$",
        required=False,
        widget=forms.HiddenInput,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        kind, action = self.fields["kind"], self.fields["action"]
        assert isinstance(kind, forms.ChoiceField) and isinstance(action, forms.ChoiceField)
        kind.choices = [("", "Any kind"), *words.KINDS.items()]
        action.choices = [("", "Any action"), *words.ACTIONS.items()]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and end < start:
            self.add_error("end", "Pick a day on or after the From day.")
        return cleaned

    def filtered(self, records: RecordQuerySet) -> RecordQuerySet:
        if not self.is_bound or not self.is_valid():
            return records
        data = self.cleaned_data
        if data["who"].strip():
            who = data["who"].strip()
            records = records.filter(Q(actor_label__icontains=who) | Q(on_behalf_of__icontains=who))
        if data["kind"]:
            records = records.filter(Q(object_kind=data["kind"]) | Q(related_kind=data["kind"]))
        if data["action"]:
            records = records.filter(action=data["action"])
        if data["start"]:
            records = records.filter(at__gte=_day_start(data["start"]))
        if data["end"]:
            records = records.filter(at__lt=_day_start(data["end"] + datetime.timedelta(days=1)))
        if data["object"]:
            kind, _, pk = data["object"].partition(":")
            records = records.about(kind, pk)
        return records

    @property
    def active(self) -> bool:
        return self.is_bound and any(
            self.data.get(name) for name in ("who", "kind", "action", "start", "end", "object")
        )


def _day_start(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=datetime.UTC)


def _cursor(value: str) -> int | None:
    return int(value) if value.isascii() and value.isdigit() and len(value) < 19 else None


@require_GET
@administrator_required
def activity(request: HttpRequest) -> HttpResponse:
    """Newest first, PER_PAGE at a time, paged by id (the order records were written
    in): Older and Newer read the page's rows and one more, never a count."""
    filters = ActivityFilters(request.GET or None)
    records = filters.filtered(Record.objects.all())
    older, newer = _cursor(request.GET.get("older", "")), _cursor(request.GET.get("newer", ""))
    if newer is not None:
        page = list(records.filter(id__gt=newer).order_by("id")[: PER_PAGE + 1])
        has_newer, has_older = len(page) > PER_PAGE, True
        page = list(reversed(page[:PER_PAGE]))
    else:
        if older is not None:
            records = records.filter(id__lt=older)
        page = list(records.order_by("-id")[: PER_PAGE + 1])
        has_older, has_newer = len(page) > PER_PAGE, older is not None
        page = page[:PER_PAGE]
    if not page:
        has_older = has_newer = False
    subject = None
    if filters.is_bound and filters.is_valid() and filters.cleaned_data["object"]:
        kind, _, pk = filters.cleaned_data["object"].partition(":")
        subject = _subject(kind, pk)
    return render(
        request,
        "audit/activity.html",
        {
            "filters": filters,
            "rows": activity_rows(page),
            "older_cursor": page[-1].pk if page and has_older else None,
            "newer_cursor": page[0].pk if page and has_newer else None,
            "subject": subject,
        },
    )


def _subject(kind: str, pk: str) -> str:
    """The object a History link filters on, by its latest recorded name."""
    latest = (
        Record.objects.about(kind, pk)
        .values_list("object_kind", "object_id", "object_label", "related_label")
        .first()
    )
    label = ""
    if latest is not None:
        label = latest[2] if (latest[0], latest[1]) == (kind, pk) else latest[3]
    return f"{words.kind_words(kind)} {label or pk}"


class _Echo:
    """A file that hands back what is written to it, for csv.writer in a stream."""

    def write(self, value: str) -> str:
        return value


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def csv_lines(records: QuerySet[Record]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(CSV_COLUMNS)
    for record in records.order_by("-id").iterator(chunk_size=2000):
        yield writer.writerow(
            [
                _cell(value)
                for value in (
                    record.pk,
                    record.at.astimezone(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S"),
                    record.actor_kind,
                    record.actor_label,
                    record.on_behalf_of,
                    record.via,
                    record.address or "",
                    record.action,
                    record.object_kind,
                    record.object_id,
                    record.object_label,
                    record.related_kind,
                    record.related_id,
                    record.related_label,
                    "" if record.before is None else _json(record.before),
                    "" if record.after is None else _json(record.after),
                    record.cause_id or "",
                )
            ]
        )


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


@require_GET
@administrator_required
def activity_csv(request: HttpRequest) -> HttpResponseBase:
    filters = ActivityFilters(request.GET or None)
    if filters.is_bound and not filters.is_valid():
        return activity(request)
    response: Any = StreamingHttpResponse(
        csv_lines(filters.filtered(Record.objects.all())), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="activity-{timezone.now():%Y%m%d}.csv"'
    return response
