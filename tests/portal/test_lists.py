"""portal.lists: paging that counts no further than it needs and computes only the page."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from groups.models import Group, Membership
from portal import lists
from portal.models import User

pytestmark = pytest.mark.django_db


def page_of(rows, number, *, per_page=2, capped=True):
    request = RequestFactory().get("/", {"page": number})
    return lists.paginate(request, rows, per_page, capped=capped)


@pytest.fixture
def twenty(db):
    return Group.objects.bulk_create(
        Group(name=f"team-{n:02}", display_name=f"Team {n:02}", display_name_key=f"team {n:02}")
        for n in range(20)
    )


def test_more_than_reads_as_what_it_knows():
    assert str(lists.MoreThan(1001)) == "1,000+"
    assert lists.MoreThan(1001) == 1001
    assert str(lists.MoreThan(6)) == "5+"


def test_a_capped_count_stops_past_the_page_and_next_keeps_working(twenty, monkeypatch):
    monkeypatch.setattr(lists, "COUNT_AHEAD", 5)
    rows = Group.objects.filter(name__startswith="team-").order_by("name")
    first = page_of(rows, 1)
    assert str(first.paginator.count) == "5+"
    assert str(first.paginator.num_pages) == "2+"
    assert [group.name for group in first] == ["team-00", "team-01"]
    # Following Next page after page: each page counts on from where it starts.
    number, seen = 1, []
    while True:
        page = page_of(rows, number)
        assert page.number == number
        seen += [group.name for group in page]
        if not page.has_next():
            break
        number = page.next_page_number()
    assert seen == [f"team-{n:02}" for n in range(20)]
    assert page.paginator.count == 20 and not isinstance(page.paginator.count, lists.MoreThan)
    assert page.paginator.num_pages == 10


def test_a_page_past_the_end_is_the_last_one_even_capped(twenty, monkeypatch):
    monkeypatch.setattr(lists, "COUNT_AHEAD", 5)
    rows = Group.objects.filter(name__startswith="team-").order_by("name")
    assert [group.name for group in page_of(rows, 999)] == ["team-18", "team-19"]
    assert [group.name for group in page_of(rows, "9" * 40)] == ["team-18", "team-19"]
    assert [group.name for group in page_of(rows, "next")] == ["team-00", "team-01"]
    assert [group.name for group in page_of(rows, -3)] == ["team-00", "team-01"]


@pytest.mark.parametrize("number", ["+8", " 8", "8 ", "0_8"])
def test_a_page_number_reads_as_django_reads_it(twenty, monkeypatch, number):
    """However Django's Paginator reads the number, the count reaches that page."""
    monkeypatch.setattr(lists, "COUNT_AHEAD", 5)
    rows = Group.objects.filter(name__startswith="team-").order_by("name")
    page = page_of(rows, number)
    assert page.number == 8
    assert [group.name for group in page] == ["team-14", "team-15"]
    assert page.has_next()


def test_an_exact_count_when_asked(twenty, monkeypatch):
    monkeypatch.setattr(lists, "COUNT_AHEAD", 5)
    rows = Group.objects.filter(name__startswith="team-")
    assert page_of(rows.order_by("name"), 1, capped=False).paginator.count == 20


@pytest.fixture
def graded(twenty, administrator):
    """Team 00 has no members, Team 01 one, Team 02 two... up to Team 05."""
    people = User.objects.bulk_create(User(email=f"p{n}@example.com") for n in range(6))
    Membership.objects.bulk_create(
        Membership(group=group, user=person, added_by=administrator)
        for n, group in enumerate(twenty[:6])
        for person in people[:n]
    )
    return twenty


def test_page_two_of_an_annotated_list_sorted_by_name(graded):
    rows = (
        Group.objects.with_member_count()
        .filter(name__startswith="team-")
        .order_by("-display_name_key", "-pk")
    )
    with CaptureQueriesContext(connection) as queries:
        page = page_of(rows, 8)
    shown = [(group.name, group.member_count) for group in page]
    assert shown == [("team-05", 5), ("team-04", 4)]
    # The ids of the page are found without counting anyone's members.
    offset = [query["sql"] for query in queries if "OFFSET" in query["sql"]]
    assert len(offset) == 1 and "groups_membership" not in offset[0]


def test_page_two_of_a_list_sorted_by_an_annotation(graded):
    rows = (
        Group.objects.with_member_count()
        .filter(name__startswith="team-")
        .order_by("-member_count", "pk")
    )
    assert [(group.name, group.member_count) for group in page_of(rows, 2)] == [
        ("team-03", 3),
        ("team-02", 2),
    ]


def test_prefetched_rows_come_with_the_page(client, administrator, member, partners):
    client.force_login(administrator)
    response = client.get(reverse("console:users"), {"q": member.email})
    [person] = response.context["page"].object_list
    assert [m.group.name for m in person.memberships.all()] == [partners.name]


def test_the_console_says_how_far_it_counted(client, administrator, twenty, monkeypatch, settings):
    monkeypatch.setattr(lists, "COUNT_AHEAD", 5)
    settings.PORTICO_PAGE_SIZE = 2
    client.force_login(administrator)
    body = client.get(reverse("groups:list"), {"q": "team"}).content.decode()
    assert "Showing 1–2 of 5+" in body
    assert "Page 1 of 2+" in body
    assert "page=2" in body
