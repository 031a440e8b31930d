"""The console's pages, written once for every tab.

A list (search, a filter, sort, paging), Settings with optimistic
concurrency, a confirmation before anything destructive, and the picker
(search, tick across pages, Select). Groups, products, subscriptions and
users build their pages from these; each view still states its own access
rule with @administrator_required.
"""

from __future__ import annotations

import copy
import datetime
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from audit.models import Record
from portal.entities import ConcurrentChangeError
from portal.forms import AsOfForm
from portal.lists import choice, paginate, search_query

# Named entities (groups, products) sort the same ways.
NAME_SORTS = {
    "name": ["display_name_key", "pk"],
    "-name": ["-display_name_key", "-pk"],
    "-updated": ["-updated_at", "-pk"],
}
NAME_SORT_CHOICES = [
    ("name", "Name, A–Z"),
    ("-name", "Name, Z–A"),
    ("-updated", "Recently changed"),
]
# Sections of a detail page show this many rows and say how many there are.
SECTION_ROWS = 50


@dataclass(frozen=True)
class Filter:
    """The one drop-down beside a list's search box."""

    field: str
    label: str
    everything: str
    choices: Sequence[tuple[str, str]]


@dataclass(frozen=True)
class Sorts:
    orders: dict[str, list[str]]
    choices: Sequence[tuple[str, str]]
    default: str


NAME_SORTING = Sorts(orders=NAME_SORTS, choices=NAME_SORT_CHOICES, default="name")


def list_page(
    request: HttpRequest,
    template: str,
    *,
    title: str,
    items: Callable[[str], QuerySet[Any]],
    search_label: str = "Search by name or description",
    filter: Filter | None = None,
    more_filters: Sequence[Filter] = (),
    sorts: Sorts | None = None,
    each: Callable[[Any], None] | None = None,
    each_page: Callable[[list[Any]], None] | None = None,
    context: dict[str, Any] | None = None,
) -> HttpResponse:
    """A searchable, filtered, sorted list, one page at a time.

    items(query) gives the rows matching the search; the page's queries
    don't grow with the rows, as long as items() annotates instead of
    following relations per row. each(row), if given, prepares every row
    of the page for the template; each_page(rows), if given, gets the
    page's rows at once first (to read what they show in one query). The
    count stops a thousand rows past the page ("1,000+"), and a page's
    annotations are computed for its own rows only (portal.lists.ListPaginator).
    """
    query = search_query(request)
    rows = items(query)
    value = ""
    if filter is not None:
        value = choice(request, filter.field, [key for key, _ in filter.choices])
        if value:
            rows = rows.filter(**{filter.field: value})
    chosen = []
    for extra in more_filters:
        extra_value = choice(request, extra.field, [key for key, _ in extra.choices])
        if extra_value:
            rows = rows.filter(**{extra.field: extra_value})
        chosen.append((extra, extra_value))
    sort = ""
    if sorts is not None:
        sort = choice(request, "sort", sorts.orders, default=sorts.default)
        rows = rows.order_by(*sorts.orders[sort])
    page = paginate(request, rows, capped=True)
    if each is not None or each_page is not None:
        shown = list(page.object_list)
        page.object_list = shown
        if each_page is not None:
            each_page(shown)
        if each is not None:
            for row in shown:
                each(row)
    return render(
        request,
        template,
        {
            "page": page,
            "query": query,
            "search_label": search_label,
            "filter": filter,
            "filter_value": value,
            "more_filters": chosen,
            "sort": sort,
            "sort_choices": sorts.choices if sorts else (),
            "filtered": bool(query or value or any(extra for _, extra in chosen)),
            "title": title,
            **(context or {}),
        },
    )


def create_page(
    request: HttpRequest, form: forms.BaseForm, *, title: str, list_url: str, list_label: str
) -> HttpResponse:
    """+ Add: the form, with Create and Cancel; a name proposes the ID as it is typed."""
    return render(
        request,
        "console/create_form.html",
        {"form": form, "title": title, "list_url": list_url, "list_label": list_label},
    )


@dataclass(frozen=True)
class Tab:
    key: str
    label: str
    url: str


def detail_context(
    *, heading: str, breadcrumbs: Sequence[tuple[str, str]], tabs: Sequence[Tab], tab: str
) -> dict[str, Any]:
    """The heading, breadcrumbs and tabs every page of an entity shows (console/detail.html)."""
    label = next((item.label for item in tabs if item.key == tab and item.key != "overview"), "")
    return {
        "heading": heading,
        "breadcrumbs": breadcrumbs,
        "tabs": tabs,
        "tab": tab,
        "tab_label": label,
    }


def entity_context(
    entity: Any, *, tab: str, tabs: Sequence[tuple[str, str, str]], listed: tuple[str, str]
) -> dict[str, Any]:
    """A named entity's heading, breadcrumbs and tabs, given as (key, label, URL name)."""
    return detail_context(
        heading=entity.display_name,
        breadcrumbs=[(listed[0], reverse(listed[1]))],
        tabs=[Tab(key, label, reverse(name, args=[entity.name])) for key, label, name in tabs],
        tab=tab,
    )


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None or value == "":
        return "(empty)"
    return str(value)


def reopen_after_conflict[FormT: forms.ModelForm](
    form_class: type[FormT], data: Any, current: Any
) -> tuple[FormT, list[tuple[str, str, str]]]:
    """After a save refused because someone else saved first.

    Returns the form as it was typed, now at the version just read (so the
    next Save, made knowingly, wins), and each field's saved value beside
    the typed one.
    """
    fields = form_class._meta.fields or []
    # A write-only field (a client secret) is never shown back, not even here.
    hidden: frozenset[str] = getattr(form_class, "write_only", frozenset())
    theirs = {name: getattr(current, name) for name in fields}
    data = data.copy()
    data["version"] = str(current.version)
    form = form_class(data, instance=current)
    form.is_valid()
    rows = [
        (str(form[name].label), _shown(theirs[name]), _shown(form[name].value()))
        if name not in hidden
        else (str(form[name].label), "(not shown)", "(not shown)")
        for name in fields
    ]
    return form, rows


def settings_page(
    request: HttpRequest,
    template: str,
    *,
    entity: Model,
    form_class: type[forms.ModelForm],
    save: Callable[..., Any],
    noun: str,
    context: dict[str, Any],
    name_field: str = "display_name",
    unique_field: str = "display_name",
    then: Callable[[Any], str] | None = None,
) -> HttpResponse:
    """Settings that refuse to overwrite another administrator's save.

    save(expected_version=..., **changes) is the entity's update service.
    The form edits a copy, so that a refused save leaves the page's heading
    showing the saved name. name_field names the entity in the message,
    unique_field is where a save that lost a race for a unique value is
    refused, and then(saved), if given, is where a save leads (a page whose
    address changed has a new Settings address).
    """
    form = form_class(request.POST or None, instance=copy.copy(entity))
    conflict = None
    if form.is_valid():
        changes = {name: form.cleaned_data[name] for name in form_class._meta.fields or []}
        try:
            saved = save(expected_version=form.cleaned_data["version"], **changes)
        except ConcurrentChangeError as error:
            form, conflict = reopen_after_conflict(form_class, request.POST, error.current)
        except IntegrityError:
            what = "name" if unique_field == "display_name" else form[unique_field].label.lower()
            form.add_error(unique_field, f"Another {noun} was just given this {what}.")
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            messages.success(request, f"Saved the settings of {changes[name_field]}.")
            return redirect(then(saved) if then is not None else request.path)
    return render(request, template, {**context, "form": form, "conflict": conflict, "noun": noun})


@dataclass(frozen=True)
class Confirmation:
    """A page that asks before a destructive action, naming what is lost and kept."""

    title: str
    button: str
    cancel_url: str
    breadcrumbs: Sequence[tuple[str, str]] = ()
    text: str = ""
    lost: Sequence[str] = ()
    kept: Sequence[str] = ()
    # A checkbox the action reads (name, label), e.g. "also delete its subscriptions".
    option: tuple[str, str] | None = None
    # The label of a free-text reason field, for actions that keep one.
    reason: str = ""


def confirm_page(
    request: HttpRequest, confirmation: Confirmation, *, error: str = ""
) -> HttpResponse:
    """Render the confirmation; 400 when it comes back with an error."""
    return render(
        request,
        "console/confirm.html",
        {"confirm": confirmation, "error": error},
        status=400 if error else 200,
    )


def confirmed(
    request: HttpRequest,
    confirmation: Confirmation,
    *,
    act: Callable[[], str | None],
    then: str,
    nothing_done: str = "",
) -> HttpResponse:
    """Ask first (GET); on POST, act() and say what it did, or why it couldn't.

    act() returns the message for what it did, or None when there was
    nothing to do, which nothing_done then explains.
    """
    if request.method != "POST":
        return confirm_page(request, confirmation)
    try:
        done = act()
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        if done is None:
            messages.info(request, nothing_done)
        else:
            messages.success(request, done)
    return redirect(then)


@dataclass(frozen=True)
class Candidates:
    """What a picker offers: how it is searched, shown and submitted."""

    search_label: str
    columns: Sequence[str]
    # Renders a candidate's cells after the checkbox, given `item`.
    row_template: str
    nothing_chosen: str
    # What the checkboxes submit: the primary key, or the entity's ID.
    key: str


PEOPLE = Candidates(
    search_label="Search developers by name or email",
    columns=["Name", "Email", "State"],
    row_template="console/picker_person.html",
    nothing_chosen="Choose at least one person, then press Select.",
    key="pk",
)
GROUPS = Candidates(
    search_label="Search groups by name or description",
    columns=["Group", "Type", "Description"],
    row_template="console/picker_group.html",
    nothing_chosen="Choose at least one group, then press Select.",
    key="name",
)


@dataclass(frozen=True)
class Picker:
    """Members › + Add, Access control › + Add group, + Add to groups: one page.

    Candidates are searched and paged; what is ticked survives paging and
    searching (static/js/picker.js), and Select submits it all at once.
    """

    offers: Candidates
    title: str
    help: str
    # The badge on candidates that are already in (e.g. "Member").
    taken_label: str
    cancel_url: str
    breadcrumbs: Sequence[tuple[str, str]]
    # What the page says when there is nothing to pick at all.
    empty: str


@dataclass
class PickerRow:
    item: Any
    value: str
    taken: bool = False


@dataclass
class Picked:
    """What was ticked and still exists, and how many ticked values did not."""

    items: list[Any]
    missing: int = 0


def _submitted(values: list[str], *, numeric: bool) -> set[str]:
    """The submitted values worth looking up; PostgreSQL refuses NUL, and
    an ID column refuses what isn't a number that fits it."""
    kept = {value for value in values if value and "\x00" not in value}
    if numeric:
        kept = {value for value in kept if value.isascii() and value.isdigit() and len(value) < 19}
    return kept


def picker_page(
    request: HttpRequest,
    picker: Picker,
    *,
    candidates: Any,
    links: QuerySet[Any],
    link_field: str,
    select: Callable[[Picked], HttpResponse],
) -> HttpResponse:
    """Search and page through candidates; on Select, hand the ticked ones to select().

    links are the rows that already tie a candidate in (the group's
    memberships, say), pointing at it through link_field; those candidates
    are shown as in and can't be ticked.
    """
    error = ""
    if request.method == "POST":
        key = picker.offers.key
        values = _submitted(request.POST.getlist("pick"), numeric=key == "pk")
        found = list(candidates.filter(**{f"{key}__in": values}))
        if found:
            return select(Picked(items=found, missing=len(values) - len(found)))
        error = picker.offers.nothing_chosen
    query = search_query(request)
    page = paginate(request, candidates.search(query), capped=True)
    shown = list(page.object_list)
    already = set(
        links.filter(**{f"{link_field}__in": shown}).values_list(f"{link_field}_id", flat=True)
    )
    rows = [
        PickerRow(item=item, value=str(getattr(item, picker.offers.key)), taken=item.pk in already)
        for item in shown
    ]
    return render(
        request,
        "console/picker.html",
        {"picker": picker, "page": page, "rows": rows, "query": query, "error": error},
    )


def as_of_context(
    request: HttpRequest,
    rebuild: Callable[[datetime.datetime], Any],
    compare: Callable[[Any, Any], Any],
) -> dict[str, Any]:
    """Access as of: the form, the moments it asks for (now when empty or refused),
    what `rebuild` makes of the record at that moment, what `compare` finds changed
    when a second moment is asked for, and where the activity record starts."""
    form = AsOfForm(request.GET or None)
    now = timezone.now()
    at, other = now, None
    if form.is_bound and form.is_valid():
        at = form.cleaned_data["at"] or now
        other = form.cleaned_data["compare"]
    result = rebuild(at)
    first = Record.objects.order_by("at", "id").values_list("at", flat=True).first()
    return {
        "form": form,
        "moment": at,
        "compare_moment": other,
        "result": result,
        "changes": None if other is None else compare(result, rebuild(other)),
        "record_starts": first,
        "before_record": first is None or at < first,
    }
