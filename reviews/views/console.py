"""The console's Reviews tab: the list, + Start review, a review's page, Close, Export CSV."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from groups.models import Group
from portal import console
from portal.access import administrator_required
from portal.lists import choice, paginate, search_query
from products.models import Product
from reviews import services
from reviews.forms import DecisionForm
from reviews.models import COMMENT_LENGTH, Review, ReviewItem

REVIEWS_INTRO = (
    "An access review asks, for each member of a group or each group that sees a product, "
    "whether they should keep it. Reviewers mark each one Keep or Remove; closing the review "
    "removes the ones marked Remove. Reviews and their decisions are kept."
)
STATE_FILTER = console.Filter(
    field="state", label="State", everything="Any state", choices=Review.State.choices
)
KIND_FILTER = console.Filter(
    field="kind", label="Reviewing", everything="Anything", choices=Review.Kind.choices
)
REVIEW_SORTING = console.Sorts(
    orders={
        "-started": ["-started_at", "-pk"],
        "started": ["started_at", "pk"],
        "subject": ["subject_label", "pk"],
    },
    choices=[
        ("-started", "Newest first"),
        ("started", "Oldest first"),
        ("subject", "Group or product, A–Z"),
    ],
    default="-started",
)
# The review page's filter of items, by decision.
DECISIONS = {
    "undecided": ReviewItem.Decision.UNDECIDED,
    "keep": ReviewItem.Decision.KEEP,
    "remove": ReviewItem.Decision.REMOVE,
}
DECISION_CHOICES = [("undecided", "Undecided"), ("keep", "Keep"), ("remove", "Remove")]
# What a review page keeps in its address, and its decisions return to.
KEPT_PARAMETERS = ("q", "decision", "page")
# Cells a spreadsheet would read as a formula start with these.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _get_review(pk: int) -> Review:
    return get_object_or_404(Review, pk=pk)


def _detail_url(review: Review, parameters: dict[str, str] | None = None) -> str:
    url = reverse("reviews:detail", args=[review.pk])
    kept = {name: value for name, value in (parameters or {}).items() if value}
    return f"{url}?{urlencode(kept)}" if kept else url


def _breadcrumbs() -> list[tuple[str, str]]:
    return [("Reviews", reverse("reviews:list"))]


@require_GET
@administrator_required
def review_list(request: HttpRequest) -> HttpResponse:
    return console.list_page(
        request,
        "reviews/review_list.html",
        title="Reviews",
        items=lambda query: Review.objects.search(query).for_list(),
        search_label="Search by name or person",
        filter=STATE_FILTER,
        more_filters=[KIND_FILTER],
        sorts=REVIEW_SORTING,
        context={
            "add_url": reverse("reviews:start"),
            "add_label": "+ Start review",
            "intro": REVIEWS_INTRO,
        },
    )


@require_GET
@administrator_required
def review_start(request: HttpRequest) -> HttpResponse:
    """Choose what to review: a custom group, or a product."""
    kind = choice(request, "kind", Review.Kind.values, default=Review.Kind.GROUP)
    query = search_query(request)
    candidates: QuerySet[Any]
    if kind == Review.Kind.GROUP:
        candidates = Group.objects.filter(type=Group.Type.CUSTOM).search(query)
        start = "reviews:start_group"
    else:
        candidates = Product.objects.search(query)
        start = "reviews:start_product"
    page = paginate(request, candidates.order_by("display_name_key", "pk"), capped=True)
    page.object_list = list(page.object_list)
    open_reviews = dict(
        Review.objects.filter(
            kind=kind,
            state=Review.State.OPEN,
            subject_id__in=[candidate.pk for candidate in page.object_list],
        ).values_list("subject_id", "pk")
    )
    for candidate in page.object_list:
        candidate.start_url = reverse(start, args=[candidate.name])
        open_review = open_reviews.get(candidate.pk)
        candidate.open_url = reverse("reviews:detail", args=[open_review]) if open_review else ""
    return render(
        request,
        "reviews/review_start.html",
        {
            "kind": kind,
            "kinds": Review.Kind.choices,
            "query": query,
            "page": page,
            "breadcrumbs": _breadcrumbs(),
        },
    )


def _start_page(
    request: HttpRequest,
    *,
    subject: Group | Product,
    kind: str,
    count: int,
    start: Callable[[], Review],
    cancel_url: str,
) -> HttpResponse:
    if request.method == "POST":
        try:
            review = start()
        except services.AlreadyOpen as error:
            messages.info(request, " ".join(error.messages))
            return redirect(error.review)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect(cancel_url)
        noun = review.item_noun
        messages.success(
            request,
            f"Started a review of {subject.display_name} with {count} {noun}"
            f"{'s' if count != 1 else ''}. Mark each Keep or Remove, then press Close review.",
        )
        return redirect(review)
    return render(
        request,
        "reviews/review_start_confirm.html",
        {
            "subject": subject,
            "kind": kind,
            "count": count,
            "cancel_url": cancel_url,
            "breadcrumbs": [*_breadcrumbs(), ("Start review", reverse("reviews:start"))],
            "open_review": Review.objects.filter(
                kind=kind, subject_id=subject.pk, state=Review.State.OPEN
            ).first(),
        },
    )


@require_http_methods(["GET", "POST"])
@administrator_required
def review_start_group(request: HttpRequest, name: str) -> HttpResponse:
    group = get_object_or_404(Group, name=name)
    refusal = services.group_refusal(group)
    if refusal is not None:
        messages.error(request, " ".join(refusal.messages))
        return redirect("groups:members", group.name)
    return _start_page(
        request,
        subject=group,
        kind=Review.Kind.GROUP,
        count=group.memberships.count(),
        start=lambda: services.start_group_review(group=group, started_by=request.user),
        cancel_url=reverse("groups:members", args=[group.name]),
    )


@require_http_methods(["GET", "POST"])
@administrator_required
def review_start_product(request: HttpRequest, name: str) -> HttpResponse:
    product = get_object_or_404(Product, name=name)
    return _start_page(
        request,
        subject=product,
        kind=Review.Kind.PRODUCT,
        count=product.links.exclude(group__name=Group.ADMINISTRATORS).count(),
        start=lambda: services.start_product_review(product=product, started_by=request.user),
        cancel_url=reverse("products:access", args=[product.name]),
    )


def _progress(review: Review) -> dict[str, int]:
    """How many items the review holds and how many are decided each way, in one query."""
    return review.items.aggregate(
        total=Count("pk"),
        keep=Count("pk", filter=Q(decision=ReviewItem.Decision.KEEP)),
        remove=Count("pk", filter=Q(decision=ReviewItem.Decision.REMOVE)),
    )


def _subject_url(review: Review) -> str:
    if review.kind == Review.Kind.GROUP:
        return reverse("groups:members", args=[review.subject_name])
    return reverse("products:access", args=[review.subject_name])


@require_GET
@administrator_required
def review_detail(request: HttpRequest, pk: int) -> HttpResponse:
    review = _get_review(pk)
    query = search_query(request)
    decision = choice(request, "decision", DECISIONS)
    items = review.items.order_by("label", "pk")
    if query:
        items = items.filter(Q(label__icontains=query) | Q(detail__icontains=query))
    if decision:
        items = items.filter(decision=DECISIONS[decision])
    page = paginate(request, items)
    progress = _progress(review)
    decided = progress["keep"] + progress["remove"]
    return render(
        request,
        "reviews/review_detail.html",
        console.detail_context(heading=str(review), breadcrumbs=_breadcrumbs(), tabs=[], tab="")
        | {
            "review": review,
            "page": page,
            "query": query,
            "decision": decision,
            "decision_choices": DECISION_CHOICES,
            "filtered": bool(query or decision),
            "progress": progress,
            "decided": decided,
            "undecided": progress["total"] - decided,
            "subject_url": _subject_url(review),
            "comment_length": COMMENT_LENGTH,
        },
    )


def _numbers(values: list[str]) -> list[int]:
    """The submitted values that can be an item's key (a number that fits the column)."""
    return [
        int(value) for value in values if value.isascii() and value.isdigit() and len(value) < 19
    ]


@require_POST
@administrator_required
def review_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """Keep or Remove one row (its own button), or the ticked rows (the buttons below)."""
    review = _get_review(pk)
    back = {name: request.POST.get(f"back_{name}", "") for name in KEPT_PARAMETERS}
    if request.POST.get("keep") or request.POST.get("remove"):
        decision = "keep" if request.POST.get("keep") else "remove"
        chosen = _numbers([request.POST.get(decision, "")])
    else:
        decision = request.POST.get("decision", "")
        chosen = _numbers(request.POST.getlist("items"))
        if decision in ("keep", "remove") and not chosen:
            messages.error(
                request,
                "Tick at least one row, then press Keep selected or Remove selected.",
            )
            return redirect(_detail_url(review, back))
    form = DecisionForm(request.POST)
    if not form.is_valid():
        problems = " ".join(str(problem) for problem in form.errors["comment"])
        messages.error(request, f"Nothing changed. Comment: {problems}")
        return redirect(_detail_url(review, back))
    try:
        changed = services.decide(
            review=review,
            items=chosen,
            decision=decision,
            decided_by=request.user,
            comment=form.cleaned_data["comment"],
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(_detail_url(review, back))
    label = ReviewItem.Decision(decision).label
    noun = review.item_noun
    if changed:
        text = f"Marked {changed} {noun}{'s' if changed != 1 else ''} {label}."
        if decision == ReviewItem.Decision.REMOVE:
            text += (
                " They are removed when the review is closed."
                if changed != 1
                else (" The removal applies when the review is closed.")
            )
        messages.success(request, text)
    elif review.items.filter(pk__in=chosen).exists():
        messages.info(request, f"Nothing changed: already marked {label}, with the same comment.")
    else:
        messages.info(request, f"Nothing changed: that {noun} isn't in this review.")
    return redirect(_detail_url(review, back))


@require_http_methods(["GET", "POST"])
@administrator_required
def review_close(request: HttpRequest, pk: int) -> HttpResponse:
    review = _get_review(pk)
    detail_url = review.get_absolute_url()
    if not review.is_open:
        messages.info(request, "This review is already closed; nothing changed.")
        return redirect(detail_url)
    progress = _progress(review)
    undecided = progress["total"] - progress["keep"] - progress["remove"]
    noun = review.item_noun
    removing = progress["remove"]
    what = (
        f"from {review.subject_label}"
        if review.kind == Review.Kind.GROUP
        else f"from seeing {review.subject_label}"
    )
    confirmation = console.Confirmation(
        title=f"Close the review of {review.subject_label}?",
        text=f"Closing removes {removing} {noun}{'s' if removing != 1 else ''} {what}, "
        "through the same rules as removing them by hand, and keeps the rest. A removal "
        "that no longer applies is noted, not an error. Decisions can't change afterwards.",
        button="Close review",
        cancel_url=detail_url,
        breadcrumbs=[*_breadcrumbs(), (str(review), detail_url)],
        lost=[
            f"Marked Remove: {removing} {noun}{'s' if removing != 1 else ''}.",
        ],
        kept=[
            f"Marked Keep: {progress['keep']} {noun}{'s' if progress['keep'] != 1 else ''}.",
            *(
                [f"Undecided: {undecided}, kept only if you choose “Keep the undecided”."]
                if undecided
                else []
            ),
            "The review, its decisions and who made them.",
        ],
        option=("keep_undecided", f"Keep the undecided ({undecided})") if undecided else None,
    )
    if request.method != "POST":
        return console.confirm_page(request, confirmation)
    try:
        closed = services.close_review(
            review=review,
            closed_by=request.user,
            keep_undecided=bool(request.POST.get("keep_undecided")),
        )
    except ValidationError as error:
        if error.code == "undecided":
            return console.confirm_page(request, confirmation, error=" ".join(error.messages))
        messages.error(request, " ".join(error.messages))
        return redirect(detail_url)
    parts = [f"{closed.removed_count} removed"]
    if closed.gone_count:
        parts.append(f"{closed.gone_count} already gone")
    parts.append(f"{progress['keep'] + closed.kept_undecided_count} kept")
    messages.success(request, f"Closed the review of {review.subject_label}: {', '.join(parts)}.")
    return redirect(detail_url)


class _Echo:
    """A file that hands back what is written to it, for csv.writer to stream through."""

    def write(self, value: str) -> str:
        return value


def _cell(value: str) -> str:
    """A text cell a spreadsheet shows as text, never runs as a formula."""
    return f"'{value}" if value.startswith(FORMULA_START) else value


def _csv_rows(review: Review) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(
        ["Item", "Name or ID", "Decision", "Reviewer", "Decided at", "Comment", "Applied"]
    )
    items = review.items.order_by("label", "pk").values_list(
        "label", "detail", "decision", "decided_by_label", "decided_at", "comment", "outcome"
    )
    for label, detail, decision, reviewer, decided_at, comment, outcome in items.iterator(
        chunk_size=1000
    ):
        yield writer.writerow(
            [
                _cell(label),
                _cell(detail),
                ReviewItem.Decision(decision).label,
                _cell(reviewer),
                timezone.localtime(decided_at).isoformat() if decided_at else "",
                _cell(comment),
                ReviewItem.Outcome(outcome).label,
            ]
        )


@require_GET
@administrator_required
def review_export(request: HttpRequest, pk: int) -> StreamingHttpResponse:
    review = _get_review(pk)
    response = StreamingHttpResponse(_csv_rows(review), content_type="text/csv; charset=utf-8")
    name = f"review-{review.pk}-{review.subject_name}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
