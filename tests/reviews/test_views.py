"""The Reviews tab: the list, + Start review, a review's page, deciding, Close, Export CSV."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from groups import services as group_services
from groups.models import Membership
from reviews import services
from reviews.models import Review, ReviewItem
from tests.conftest import messages_of, table_row
from tests.reviews.conftest import decisions


@pytest.fixture
def review(team, administrator):
    return services.start_group_review(group=team, started_by=administrator)


@pytest.fixture
def admin_client(client, administrator):
    client.force_login(administrator)
    return client


def item_pk(review, label):
    return review.items.get(label=label).pk


def detail(review):
    return reverse("reviews:detail", args=[review.pk])


# Refusals (the whole matrix, every route, is in tests/test_console_access.py)


@pytest.mark.parametrize("who", ["developer", "member", "support_staff"])
def test_non_administrators_are_refused_and_nothing_changes(client, request, review, who):
    client.force_login(request.getfixturevalue(who))
    alice = item_pk(review, "alice@example.com")
    assert client.get(reverse("reviews:list")).status_code == 403
    assert client.get(reverse("reviews:export", args=[review.pk])).status_code == 403
    response = client.post(reverse("reviews:decide", args=[review.pk]), {"remove": alice})
    assert response.status_code == 403
    response = client.post(reverse("reviews:close", args=[review.pk]), {"keep_undecided": "on"})
    assert response.status_code == 403
    assert decisions(review) == {
        "alice@example.com": ("", ""),
        "bob@example.com": ("", ""),
    }
    assert Review.objects.get().state == "open"


@pytest.mark.parametrize("who", ["anonymous", "blocked_user"])
def test_guests_and_blocked_people_are_sent_to_sign_in(client, request, review, who):
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))
    url = reverse("reviews:close", args=[review.pk])
    response = client.post(url, {"keep_undecided": "on"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("portal:login"))
    assert Review.objects.get().state == "open"


def test_an_unknown_review_is_404(admin_client):
    assert admin_client.get(reverse("reviews:detail", args=[999])).status_code == 404
    assert admin_client.get(reverse("reviews:export", args=[999])).status_code == 404


# The list


def test_the_list_shows_progress_and_filters_by_state(
    admin_client, review, administrator, beta, make_user
):
    services.decide(
        review=review,
        items=[item_pk(review, "alice@example.com")],
        decision="keep",
        decided_by=administrator,
    )
    group_services.add_members(group=beta, users=[make_user()], added_by=None)
    closed = services.start_group_review(group=beta, started_by=administrator)
    services.close_review(review=closed, closed_by=administrator, keep_undecided=True)
    body = admin_client.get(reverse("reviews:list")).content.decode()
    assert "1 of 2 decided" in table_row(body, "Partners")
    assert "0 of 1 decided" in table_row(body, "Beta testers")
    body = admin_client.get(reverse("reviews:list"), {"state": "open"}).content.decode()
    assert "Partners" in body and "Beta testers" not in body
    body = admin_client.get(reverse("reviews:list"), {"q": "beta"}).content.decode()
    assert "Partners" not in body and "Beta testers" in body


def test_the_list_queries_do_not_grow(admin_client, administrator, assert_queries_do_not_grow):
    def grow(numbers):
        for number in numbers:
            group = group_services.create_group(name=f"g-{number}", display_name=f"G {number}")
            group_services.add_members(group=group, users=[administrator], added_by=None)
            services.start_group_review(group=group, started_by=administrator)

    # Session, user, the count, the page's keys, its reviews with their counts,
    # the menu's badge of waiting approvals (from the shared cache).
    assert_queries_do_not_grow(reverse("reviews:list"), grow, 6, many=60)


# Starting


def test_the_start_page_queries_do_not_grow(
    admin_client, administrator, assert_queries_do_not_grow
):
    def grow(numbers):
        for number in numbers:
            group = group_services.create_group(name=f"g-{number}", display_name=f"G {number}")
            if number % 2:
                services.start_group_review(group=group, started_by=administrator)

    # Session, user, the count, one page of groups, their open reviews, the
    # menu's badge of waiting approvals (from the shared cache).
    assert_queries_do_not_grow(reverse("reviews:start"), grow, 6, many=60)


def test_start_offers_custom_groups_and_products(admin_client, review, beta, external, product):
    body = admin_client.get(reverse("reviews:start")).content.decode()
    assert reverse("reviews:start_group", args=[beta.name]) in body
    assert reverse("reviews:detail", args=[review.pk]) in body  # Partners: its open review
    assert "Directory people" not in body
    assert "Developers" not in body
    body = admin_client.get(reverse("reviews:start"), {"kind": "product"}).content.decode()
    assert reverse("reviews:start_product", args=[product.name]) in body


def test_starting_a_group_review(admin_client, team):
    url = reverse("reviews:start_group", args=[team.name])
    page = admin_client.get(url).content.decode()
    assert "lists the 2 members Partners has now" in page
    assert "Anyone added later is not in it" in page
    response = admin_client.post(url)
    review = Review.objects.get()
    assert response["Location"] == detail(review)
    assert messages_of(admin_client.get(detail(review))) == [
        "Started a review of Partners with 2 members. Mark each Keep or Remove, then press "
        "Close review."
    ]


def test_starting_again_leads_to_the_open_review(admin_client, review, team):
    response = admin_client.post(reverse("reviews:start_group", args=[team.name]), follow=True)
    assert response.redirect_chain[-1][0] == detail(review)
    assert "There is already an open review of Partners" in messages_of(response)[0]
    assert Review.objects.count() == 1


@pytest.mark.parametrize("which", ["developers", "external"])
def test_groups_whose_members_are_derived_are_refused(admin_client, request, which):
    group = request.getfixturevalue(which)
    response = admin_client.post(reverse("reviews:start_group", args=[group.name]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("groups:members", args=[group.name])
    assert group.display_name in messages_of(response)[0]
    assert not Review.objects.exists()


def test_starting_a_product_review(admin_client, product):
    url = reverse("reviews:start_product", args=[product.name])
    assert "Administrators always see every product" in admin_client.get(url).content.decode()
    admin_client.post(url)
    review = Review.objects.get()
    assert (review.kind, review.subject_label) == ("product", "Payments")
    assert list(review.items.values_list("label", flat=True)) == ["Partners"]


def test_members_and_access_control_tabs_link_to_a_review(admin_client, team, product):
    body = admin_client.get(reverse("groups:members", args=[team.name])).content.decode()
    assert reverse("reviews:start_group", args=[team.name]) in body
    body = admin_client.get(reverse("products:access", args=[product.name])).content.decode()
    assert reverse("reviews:start_product", args=[product.name]) in body


# A review's page and its decisions


def test_the_review_page_says_it_is_a_snapshot(admin_client, review, administrator, make_user):
    group_services.add_members(
        group=review_group(review), users=[make_user(email="late@example.com")], added_by=None
    )
    services.decide(
        review=review,
        items=[item_pk(review, "bob@example.com")],
        decision="remove",
        decided_by=administrator,
        comment="Left the company",
    )
    body = admin_client.get(detail(review)).content.decode()
    assert "Anyone added since is not in it" in body
    assert "late@example.com" not in body
    assert "1 of 2 decided" in body
    row = table_row(body, "bob@example.com")
    assert "Remove" in row and "Left the company" in row and "root@example.com" in row


def review_group(review):
    return Membership.objects.filter(group_id=review.subject_id).first().group


def test_keep_and_remove_one_row(admin_client, review):
    alice, bob = item_pk(review, "alice@example.com"), item_pk(review, "bob@example.com")
    url = reverse("reviews:decide", args=[review.pk])
    response = admin_client.post(url, {"keep": alice, "comment": "Still here"})
    assert response["Location"] == detail(review)
    response = admin_client.post(url, {"remove": bob, "back_page": "1", "back_q": "b"})
    assert response["Location"] == f"{detail(review)}?q=b&page=1"
    assert messages_of(admin_client.get(detail(review))) == [
        "Marked 1 member Keep.",
        "Marked 1 member Remove. The removal applies when the review is closed.",
    ]
    assert decisions(review) == {
        "alice@example.com": ("keep", ""),
        "bob@example.com": ("remove", ""),
    }
    assert review.items.get(pk=alice).comment == "Still here"


def test_keep_and_remove_the_selected_rows(admin_client, review):
    url = reverse("reviews:decide", args=[review.pk])
    chosen = list(review.items.values_list("pk", flat=True))
    response = admin_client.post(url, {"decision": "remove", "items": chosen}, follow=True)
    assert messages_of(response) == [
        "Marked 2 members Remove. They are removed when the review is closed."
    ]
    assert {d for d, _ in decisions(review).values()} == {"remove"}
    response = admin_client.post(url, {"decision": "keep"}, follow=True)
    assert messages_of(response) == [
        "Tick at least one row, then press Keep selected or Remove selected."
    ]
    assert {d for d, _ in decisions(review).values()} == {"remove"}


def test_the_review_page_filters_by_decision(admin_client, review, administrator):
    services.decide(
        review=review,
        items=[item_pk(review, "bob@example.com")],
        decision="remove",
        decided_by=administrator,
    )
    body = admin_client.get(detail(review), {"decision": "undecided"}).content.decode()
    assert "alice@example.com" in body and "bob@example.com" not in body


def test_the_review_page_queries_do_not_grow(
    admin_client, administrator, assert_queries_do_not_grow
):
    group = group_services.create_group(name="big", display_name="Big")
    review = services.start_group_review(group=group, started_by=administrator)

    def grow(numbers):
        items = [
            ReviewItem(review=review, target_id=1000 + n, label=f"p{n}@example.com")
            for n in numbers
        ]
        ReviewItem.objects.bulk_create(items)
        ReviewItem.objects.filter(
            review=review, target_id__in=[1000 + n for n in numbers][::2]
        ).update(decision="keep", decided_by_label="root@example.com")

    # Session, user, the review, the count, its progress, the menu's badge of
    # waiting approvals (from the shared cache), one page of items.
    assert_queries_do_not_grow(detail(review), grow, 7, many=120)


# Closing


def test_closing_with_undecided_items_asks_for_them(admin_client, review):
    url = reverse("reviews:close", args=[review.pk])
    assert "Keep the undecided (2)" in admin_client.get(url).content.decode()
    response = admin_client.post(url)
    assert response.status_code == 400
    assert "2 members are still undecided." in response.content.decode()
    assert Review.objects.get().state == "open"


def test_closing_applies_the_decisions(admin_client, review, administrator, alice):
    services.decide(
        review=review,
        items=[item_pk(review, "bob@example.com")],
        decision="remove",
        decided_by=administrator,
    )
    response = admin_client.post(
        reverse("reviews:close", args=[review.pk]), {"keep_undecided": "on"}, follow=True
    )
    assert messages_of(response) == ["Closed the review of Partners: 1 removed, 1 kept."]
    assert list(Membership.objects.values_list("user_id", flat=True)) == [alice.pk]
    body = response.content.decode()
    assert "Close review" not in body
    assert "Removed" in table_row(body, "bob@example.com")
    assert "Kept (undecided)" in table_row(body, "alice@example.com")


def test_a_closed_review_refuses_decisions_and_a_second_close(admin_client, review, administrator):
    services.close_review(review=review, closed_by=administrator, keep_undecided=True)
    response = admin_client.post(
        reverse("reviews:decide", args=[review.pk]),
        {"remove": item_pk(review, "alice@example.com")},
        follow=True,
    )
    assert "This review was closed" in messages_of(response)[0]
    assert "its decisions can't change" in messages_of(response)[0]
    response = admin_client.post(reverse("reviews:close", args=[review.pk]), follow=True)
    assert messages_of(response) == ["This review is already closed; nothing changed."]
    assert Membership.objects.count() == 2


# Export


def test_export_csv(admin_client, review, administrator):
    services.decide(
        review=review,
        items=[item_pk(review, "bob@example.com")],
        decision="remove",
        decided_by=administrator,
        comment='=HYPERLINK("http://x")',
    )
    services.close_review(review=review, closed_by=administrator, keep_undecided=True)
    response = admin_client.get(reverse("reviews:export", args=[review.pk]))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="review-{review.pk}-partners.csv"'
    )
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == [
        "Item",
        "Name or ID",
        "Decision",
        "Reviewer",
        "Decided at",
        "Comment",
        "Applied",
    ]
    assert rows[1] == [
        "alice@example.com",
        "Alice Ames",
        "Undecided",
        "",
        "",
        "",
        "Kept (undecided)",
    ]
    assert rows[2][:4] == ["bob@example.com", "Bob Berg", "Remove", "root@example.com"]
    assert rows[2][4].startswith(str(review.items.get(label="bob@example.com").decided_at.year))
    # A comment is text in a spreadsheet, never a formula.
    assert rows[2][5:] == ['\'=HYPERLINK("http://x")', "Removed"]


def test_an_over_long_comment_changes_nothing(admin_client, review):
    response = admin_client.post(
        reverse("reviews:decide", args=[review.pk]),
        {"keep": item_pk(review, "alice@example.com"), "comment": "x" * 1001},
        follow=True,
    )
    assert messages_of(response) == [
        "Nothing changed. Comment: Ensure this value has at most 1000 characters (it has 1001)."
    ]
    assert decisions(review)["alice@example.com"] == ("", "")


def test_deciding_again_or_on_a_stranger_says_nothing_changed(
    admin_client, review, beta, make_user
):
    url = reverse("reviews:decide", args=[review.pk])
    alice = item_pk(review, "alice@example.com")
    admin_client.post(url, {"keep": alice}, follow=True)
    response = admin_client.post(url, {"keep": alice}, follow=True)
    assert messages_of(response) == ["Nothing changed: already marked Keep, with the same comment."]
    group_services.add_members(group=beta, users=[make_user()], added_by=None)
    other = services.start_group_review(group=beta, started_by=None)
    response = admin_client.post(url, {"remove": other.items.get().pk}, follow=True)
    assert messages_of(response) == ["Nothing changed: that member isn't in this review."]
    assert other.items.get().decision == ""
