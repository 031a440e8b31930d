"""The portal's search: what each person finds, and what they never find."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse

from apis import services as api_services
from apis.models import Api
from content import search as portal_search
from content.models import Page
from groups import services as group_services
from portal import preview
from products.models import Product

URL = reverse("portal:search")


@pytest.fixture
def orbit(make_product, make_api, publish_page, partners, others, developers, guests) -> None:
    """One of each kind of thing, every one of them about "orbit"."""
    payments = make_product(
        "Orbit Payments", description="Take **orbit** card payments.\n\n- fast\n- safe"
    )
    secret = make_product("Orbit Secret", description="Orbit plans of the others", groups=[others])
    make_product("Orbit Draft", description="Orbit not yet out", state=Product.State.NOT_PUBLISHED)
    make_product("Orbit Everyone", description="Orbit for every developer", groups=[developers])
    make_product("Orbit Public", description="Orbit for visitors", groups=[guests])
    make_api("Orbit Tracking", products=[payments], description="Track orbit parcels")
    make_api("Orbit Hidden", products=[secret], description="Orbit secret calls")
    publish_page("Orbit guide", body="# Start\n\nAll about the **orbit**.")
    publish_page(
        "Orbit members", body="For signed-in orbiters", visibility=Page.Visibility.SIGNED_IN
    )
    publish_page("Orbit partners handbook", body="Orbit for partners", groups=[partners])
    publish_page("Orbit others only", body="Orbit for the others", groups=[others])
    publish_page("Orbit draft notes", body="Orbit unfinished", state=Page.State.DRAFT)


EVERYTHING = {
    "Orbit Payments",
    "Orbit Secret",
    "Orbit Draft",
    "Orbit Everyone",
    "Orbit Public",
    "Orbit Tracking",
    "Orbit Hidden",
    "Orbit guide",
    "Orbit members",
    "Orbit partners handbook",
    "Orbit others only",
    "Orbit draft notes",
}
FOUND = {
    "anonymous": {"Orbit Public", "Orbit guide"},
    "member": {
        "Orbit Payments",
        "Orbit Everyone",
        "Orbit Tracking",
        "Orbit guide",
        "Orbit members",
        "Orbit partners handbook",
    },
    "other_member": {
        "Orbit Secret",
        "Orbit Everyone",
        "Orbit Hidden",
        "Orbit guide",
        "Orbit members",
        "Orbit others only",
    },
    # A blocked account is signed out: it finds what a visitor finds, not what its groups see.
    "blocked_member": {"Orbit Public", "Orbit guide"},
    # Support staff are developers in the portal.
    "support_staff": {"Orbit Everyone", "Orbit guide", "Orbit members"},
    "administrator": EVERYTHING,
}


@pytest.fixture
def other_member(outsider, others):
    group_services.add_members(group=others, users=[outsider], added_by=None)
    return outsider


@pytest.fixture
def blocked_member(blocked_user, partners):
    group_services.add_members(group=partners, users=[blocked_user], added_by=None)
    return blocked_user


def titles(response: Any) -> set[str]:
    """The names of the results, their <mark>s taken off."""
    body = response.content.decode()
    links = re.findall(
        r'<li class="search-hit[^"]*">\s*<h3[^>]*>\s*<a href="[^"]*">(.*?)</a>', body
    )
    return {re.sub(r"</?mark>", "", link) for link in links}


@pytest.mark.parametrize("who", sorted(FOUND))
def test_each_person_finds_what_they_may_see_and_nothing_else(client, sign_in_as, orbit, who):
    sign_in_as(who)
    response = client.get(URL, {"q": "orbit"})
    assert response.status_code == 200
    assert titles(response) == FOUND[who]
    body = response.content.decode()
    for hidden in EVERYTHING - FOUND[who]:
        # Not a result, not quoted in a snippet, not counted.
        assert hidden not in re.sub(r"</?mark>", "", body)
    total = len(FOUND[who])
    assert f"{total} results for “orbit”" in body


def test_hidden_text_is_never_quoted(client, sign_in_as, orbit):
    sign_in_as("member")
    body = client.get(URL, {"q": "orbit"}).content.decode()
    for hidden_words in ("plans of the others", "secret calls", "not yet out", "unfinished"):
        assert hidden_words not in body
    # A word that only hidden things hold finds nothing at all.
    body = client.get(URL, {"q": "secret"}).content.decode()
    assert "Nothing matches “secret”" in body


def test_an_administrator_sees_drafts_marked_as_such(client, sign_in_as, orbit):
    sign_in_as("administrator")
    body = client.get(URL, {"q": "orbit draft"}).content.decode()
    assert "Not published" in body
    assert ">Draft</span>" in body


def test_view_as_a_developer_shows_their_results(client, sign_in_as, orbit, member):
    sign_in_as("administrator")
    session = client.session
    session[preview.SESSION_KEY] = {"kind": "user", "key": member.pk}
    session.save()
    response = client.get(URL, {"q": "orbit"})
    assert titles(response) == FOUND["member"]


def test_view_as_a_group_shows_its_results(client, sign_in_as, orbit, others):
    sign_in_as("administrator")
    session = client.session
    session[preview.SESSION_KEY] = {"kind": "group", "key": others.name}
    session.save()
    response = client.get(URL, {"q": "orbit"})
    assert titles(response) == FOUND["other_member"]


def test_every_word_must_match_whatever_its_case(client, sign_in_as, orbit):
    sign_in_as("member")
    assert titles(client.get(URL, {"q": "ORBIT card"})) == {"Orbit Payments"}
    # Words in the name, the description and the API's URL suffix combine.
    assert titles(client.get(URL, {"q": "tracking parcels"})) == {"Orbit Tracking"}
    assert titles(client.get(URL, {"q": "orbit-tracking"})) == {"Orbit Tracking"}
    assert titles(client.get(URL, {"q": "handbook partners"})) == {"Orbit partners handbook"}
    assert titles(client.get(URL, {"q": "orbit zebra"})) == set()


def test_results_are_grouped_with_counts_and_snippets(client, sign_in_as, orbit):
    sign_in_as("member")
    body = client.get(URL, {"q": "orbit"}).content.decode()
    assert re.search(r">Products <span[^>]*>\(2\)</span></h2>", body)
    assert re.search(r">APIs <span[^>]*>\(1\)</span></h2>", body)
    assert re.search(r">Pages <span[^>]*>\(3\)</span></h2>", body)
    assert "2 products, 1 API, 3 pages." in body
    # Markdown reduced to text, the word marked; list items kept apart.
    assert "Take <mark>orbit</mark> card payments. · fast · safe" in body
    assert "Start · All about the <mark>orbit</mark>." in body
    assert f'href="{reverse("portal:product", args=["orbit-payments"])}"' in body
    assert f'href="{reverse("portal:api", args=["orbit-tracking"])}"' in body


def test_an_empty_query_asks_what_to_look_for(client, orbit, django_assert_max_num_queries):
    client.get(URL)  # The menus' pages are read into the shared cache once.
    with django_assert_max_num_queries(3):
        body = client.get(URL, {"q": "   "}).content.decode()
    assert "What are you looking for?" in body
    assert "search-hit" not in body
    assert "What are you looking for?" in client.get(URL).content.decode()


def test_nothing_found_suggests_what_to_try(client, orbit):
    body = client.get(URL, {"q": "zebra"}).content.decode()
    assert "Nothing matches “zebra”" in body
    assert "try fewer or shorter words" in body
    assert "signed-in developers may see more" in body


def test_an_over_long_query_is_refused_clearly_and_kept(client, orbit):
    query = "orbit " + "x" * 200
    response = client.get(URL, {"q": query})
    body = response.content.decode()
    assert response.status_code == 200
    assert "a search can be up to 200" in body
    assert "search-hit" not in body
    assert f'value="{query}"' in body
    # 200 characters are fine.
    assert "search-hit" in client.get(URL, {"q": "orbit".ljust(200, " ")[:200]}).content.decode()


def test_too_many_words_are_refused_clearly_and_kept(client, orbit):
    query = "orbit " + " ".join(f"w{number}" for number in range(10))
    response = client.get(URL, {"q": query})
    body = response.content.decode()
    assert "Your search has 11 different words; a search can have up to 10." in body
    assert 'aria-invalid="true"' in body
    assert "search-hit" not in body
    assert f'value="{query}"' in body
    # Ten different words are searched; a word typed twice counts once.
    assert "search-hit" in client.get(URL, {"q": "orbit " * 11}).content.decode()
    assert "different words" not in client.get(URL, {"q": query.rsplit(" ", 1)[0]}).content.decode()


def test_html_in_the_query_is_escaped(client, make_product, guests):
    make_product("Tags <b>", description="Write <script>alert(1)</script> & more", groups=[guests])
    response = client.get(URL, {"q": "<script>alert(1)</script>"})
    body = response.content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    body = client.get(URL, {"q": "<b>"}).content.decode()
    assert "Tags <mark>&lt;b&gt;</mark>" in body
    assert "<b>" not in body.split("<main", 1)[1]


def test_unicode_words_are_found(client, make_product, publish_page, guests):
    make_product("Équipe Météo", description="Prévisions à 東京 😀", groups=[guests])
    publish_page("Café ☕ guide", body="Über die Straße")
    # The name whatever its case; the text as written.
    assert titles(client.get(URL, {"q": "équipe"})) == {"Équipe Météo"}
    assert titles(client.get(URL, {"q": "東京 😀"})) == {"Équipe Météo"}
    assert titles(client.get(URL, {"q": "café Straße"})) == {"Café ☕ guide"}
    body = client.get(URL, {"q": "東京"}).content.decode()
    assert "<mark>東京</mark>" in body


def test_nul_in_the_query_is_ignored(client, orbit):
    assert client.get(URL, {"q": "orb\x00it"}).status_code == 200


def test_only_get(client):
    assert client.post(URL, {"q": "orbit"}).status_code == 405


def test_the_top_bar_has_the_search_box(client, orbit):
    body = client.get(reverse("portal:products")).content.decode()
    assert 'role="search"' in body
    assert '<label class="visually-hidden" for="portal-search-q">' in body
    # On the results page it holds the query, escaped.
    body = client.get(URL, {"q": 'orbit "><i>'}).content.decode()
    box = re.search(r'<input[^>]*id="portal-search-q"[^>]*>', body)
    assert box and 'value="orbit &quot;&gt;&lt;i&gt;"' in box[0]


def test_a_bounded_number_per_kind_and_more_in_the_lists(
    client, sign_in_as, make_product, publish_page, partners
):
    sign_in_as("member")
    for number in range(portal_search.PER_KIND + 3):
        make_product(f"Comet {number:02}", description="comet")
        publish_page(f"Comet page {number:02}", body="comet")
    body = client.get(URL, {"q": "comet"}).content.decode()
    assert body.count('class="search-hit') == 2 * portal_search.PER_KIND
    assert (
        f'>Products <span class="text-body-secondary fw-normal">({portal_search.PER_KIND + 3})'
        in body
    )
    assert f'href="{reverse("portal:products")}?q=comet"' in body
    assert f"Showing the first {portal_search.PER_KIND} of {portal_search.PER_KIND + 3}." in body
    assert "Add a word to narrow the search." in body


def test_the_query_count_does_not_grow_with_the_rows(
    client,
    sign_in_as,
    make_product,
    make_api,
    publish_page,
    partners,
    django_assert_max_num_queries,
):
    member = sign_in_as("member")
    assert member is not None

    def grow(numbers: range) -> None:
        for number in numbers:
            product = make_product(f"Nova {number:03}", description="nova")
            make_api(f"Nova API {number:03}", products=[product], description="nova")
            publish_page(f"Nova page {number:03}", body="nova", groups=[partners])

    # The session and the user; the viewer's groups; the menus' pages from the
    # shared cache (a query with the database cache); for each kind its rows,
    # and its count once there are more rows than the page shows.
    grow(range(3))
    client.get(URL, {"q": "nova"})
    with django_assert_max_num_queries(10) as few:
        client.get(URL, {"q": "nova"})
    grow(range(3, 40))
    client.get(URL, {"q": "nova"})
    with django_assert_max_num_queries(10) as many:
        response = client.get(URL, {"q": "nova"})
    assert len(many) - len(few) == 3  # the three counts, and nothing per row
    assert response.content.decode().count('class="search-hit') == 3 * portal_search.PER_KIND


def test_snippets_cut_long_text_around_the_match():
    pattern = portal_search._pattern(["needle"])
    text = ("hay " * 200) + "the **needle** is here " + ("straw " * 200)
    snippet = str(portal_search.snippet(text, pattern))
    assert "the <mark>needle</mark> is here" in snippet
    assert snippet.startswith("… ") and snippet.endswith(" …")
    assert len(re.sub(r"</?mark>", "", snippet)) <= portal_search.SNIPPET_LENGTH + 4
    assert str(portal_search.snippet("", pattern)) == ""
    assert str(portal_search.snippet("no match here", pattern)) == "no match here"


def test_api_visibility_follows_its_products(client, sign_in_as, orbit, make_product, partners):
    """An API in a hidden product becomes findable once it is also in a visible one."""
    sign_in_as("member")
    hidden = Api.objects.get(name="orbit-hidden")
    assert "Orbit Hidden" not in titles(client.get(URL, {"q": "orbit"}))
    api_services.add_apis(product=make_product("Shared"), apis=[hidden], added_by=None)
    assert "Orbit Hidden" in titles(client.get(URL, {"q": "orbit"}))
