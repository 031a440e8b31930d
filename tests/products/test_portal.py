from __future__ import annotations

import html
import re

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client
from django.urls import reverse

from groups import services as group_services
from groups.models import Group, Membership
from portal import preview
from portal.models import User
from products import services
from products.models import Product, ProductGroup

PUBLISHED = Product.State.PUBLISHED
NOT_PUBLISHED = Product.State.NOT_PUBLISHED
PREVIEW_BANNER = "You are viewing the portal as"


@pytest.fixture
def guests(db):
    return Group.objects.get(name=Group.GUESTS)


@pytest.fixture
def developers(db):
    return Group.objects.get(name=Group.DEVELOPERS)


@pytest.fixture
def partner(make_user, partners):
    member = make_user(email="partner@example.com", first_name="Pat", last_name="Partner")
    group_services.add_members(group=partners, users=[member], added_by=None)
    return member


@pytest.fixture
def make_product(db):
    def make(display_name, *, groups=(), state=PUBLISHED, **fields):
        name = fields.pop("name", re.sub(r"[^a-z0-9]+", "-", display_name.lower()).strip("-"))
        return services.create_product(
            name=name, display_name=display_name, state=state, groups=groups, **fields
        )

    return make


@pytest.fixture
def shelf(make_product, guests, developers, partners):
    """One product for each way of being seen, by ID."""
    make_product("Weather", groups=[guests, developers])
    make_product("Visitors Only", groups=[guests])
    make_product("Payments", groups=[developers])
    make_product("Partner Deals", groups=[partners])
    make_product("Draft Plans", groups=[guests, developers, partners], state=NOT_PUBLISHED)
    make_product("Internal Tools")  # Administrators only
    return {product.name: product for product in Product.objects.all()}


GUEST_CATALOGUE = {"weather", "visitors-only"}
DEVELOPER_CATALOGUE = {"weather", "payments"}
PARTNER_CATALOGUE = DEVELOPER_CATALOGUE | {"partner-deals"}
EVERYTHING = {
    "weather",
    "visitors-only",
    "payments",
    "partner-deals",
    "draft-plans",
    "internal-tools",
}


def shown_products(response):
    """The product IDs a portal page links to, in page order."""
    assert response.status_code == 200
    return re.findall(r'href="/products/([A-Za-z0-9._-]+)/"', response.content.decode())


def catalogue(client):
    return set(shown_products(client.get(reverse("portal:products"))))


def normalised(content):
    """A page with its per-response secrets (CSRF tokens, CSP nonces) blanked."""
    text = content.decode()
    text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', 'name="csrfmiddlewaretoken"', text)
    return re.sub(r'nonce="[^"]*"', 'nonce=""', text)


def normalised_headers(response):
    return {
        name: re.sub(r"'nonce-[^']*'", "'nonce-'", value)
        for name, value in response.headers.items()
    }


def sign_in_as(client, request, who):
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))


# The catalogue


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("anonymous", GUEST_CATALOGUE),
        ("developer", DEVELOPER_CATALOGUE),
        ("support_staff", DEVELOPER_CATALOGUE),
        ("partner", PARTNER_CATALOGUE),
        ("administrator", EVERYTHING),
    ],
)
def test_catalogue_lists_exactly_the_visible_products(client, request, shelf, who, expected):
    sign_in_as(client, request, who)

    response = client.get(reverse("portal:products"))

    names = shown_products(response)
    assert len(names) == len(set(names))
    assert set(names) == expected
    assert response.context["page"].paginator.count == len(expected)


def test_catalogue_says_so_when_nothing_is_visible(client, developer, make_product, partners):
    make_product("Partner Deals", groups=[partners])
    client.force_login(developer)

    response = client.get(reverse("portal:products"))

    assert shown_products(response) == []
    assert "No API products are published for your groups yet" in response.content.decode()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("payments", {"payments-api"}),
        ("PAYMENTS", {"payments-api"}),  # case does not matter
        ("geo-", {"geo-maps"}),  # the product's ID
        ("routes", {"geo-maps"}),  # its description
        ("  routes  ", {"geo-maps"}),
        ("", {"payments-api", "geo-maps", "weather"}),
        # LIKE's wildcards are searched for, not obeyed.
        ("%", set()),
        ("_", set()),
        ("pay%api", set()),
    ],
)
def test_catalogue_search(client, developer, make_product, developers, partners, query, expected):
    make_product("Payments API", groups=[developers], description="Move money.")
    make_product("Maps", name="geo-maps", groups=[developers], description="Tiles and routes.")
    make_product("Weather", groups=[developers])
    # Matches every query above but is not the developer's to see.
    make_product(
        "Payments Maps Secret",
        name="geo-payments",
        groups=[partners],
        description="routes",
    )
    make_product("Payments Draft", groups=[developers], state=NOT_PUBLISHED)
    client.force_login(developer)

    response = client.get(reverse("portal:products"), {"q": query})

    assert set(shown_products(response)) == expected


def test_catalogue_search_without_match(client, developer, make_product, developers, partners):
    make_product("Weather", groups=[developers])
    make_product("Secret Weapon", groups=[partners])
    client.force_login(developer)

    response = client.get(reverse("portal:products"), {"q": "secret"})

    assert shown_products(response) == []
    assert "No products match “secret”" in response.content.decode()


def test_catalogue_pages_hold_twelve_products(client, developer, make_product, developers):
    visible = [f"Product {i:02}" for i in range(15)]
    for display_name in visible:
        make_product(display_name, groups=[developers])
    # Interleaved with the visible ones by name; they must not take up room.
    for i in range(5):
        make_product(f"Product {i:02}b", groups=[], state=PUBLISHED)
    client.force_login(developer)

    first = client.get(reverse("portal:products"))
    second = client.get(reverse("portal:products"), {"page": 2})

    assert shown_products(first) == [f"product-{i:02}" for i in range(12)]
    assert shown_products(second) == [f"product-{i:02}" for i in range(12, 15)]
    assert "Page 2 of 2" in second.content.decode()
    assert "Showing 13–15 of 15" in second.content.decode()


def test_catalogue_search_query_is_escaped(client, developer):
    client.force_login(developer)

    response = client.get(reverse("portal:products"), {"q": "<script>alert(1)</script>"})

    content = response.content.decode()
    assert "<script>alert(1)" not in content
    assert "No products match “&lt;script&gt;alert(1)&lt;/script&gt;”" in content


@pytest.mark.parametrize(("page", "expected"), [("99", 2), ("0", 1), ("abc", 1), ("-1", 1)])
def test_catalogue_page_out_of_range(client, developer, make_product, developers, page, expected):
    for i in range(13):
        make_product(f"Product {i:02}", groups=[developers])
    client.force_login(developer)

    response = client.get(reverse("portal:products"), {"page": page})

    assert response.context["page"].number == expected
    assert len(shown_products(response)) == (12 if expected == 1 else 1)


def test_catalogue_search_keeps_the_query_when_paging(client, developer, make_product, developers):
    for i in range(14):
        make_product(f"Alpha {i:02}", groups=[developers])
        make_product(f"Beta {i:02}", groups=[developers])
    client.force_login(developer)

    response = client.get(reverse("portal:products"), {"q": "alpha", "page": 2})

    assert shown_products(response) == ["alpha-12", "alpha-13"]
    assert 'href="?q=alpha&amp;page=1"' in response.content.decode()


@pytest.mark.parametrize("group_count", [1, 50])
@pytest.mark.parametrize("product_count", [5, 500])
def test_catalogue_query_count(
    client, make_user, django_assert_num_queries, group_count, product_count
):
    person = make_user()
    groups = Group.objects.bulk_create(
        Group(name=f"team-{i}", display_name=f"Team {i}", display_name_key=f"team {i}")
        for i in range(group_count)
    )
    Membership.objects.bulk_create(Membership(group=group, user=person) for group in groups)
    products = Product.objects.bulk_create(
        Product(
            name=f"product-{i:03}",
            display_name=f"Product {i:03}",
            display_name_key=f"product {i:03}",
            state=PUBLISHED,
            description=f"The **{i}th** product.",
        )
        for i in range(product_count)
    )
    # Each product through one of the person's groups, spread over all of them.
    ProductGroup.objects.bulk_create(
        ProductGroup(product=product, group=groups[i % group_count])
        for i, product in enumerate(products)
    )
    client.force_login(person)

    # 1. the session
    # 2. the signed-in user
    # 3. the paginator's COUNT of the visible products
    # 4. the page of twelve visible products
    with django_assert_num_queries(4):
        response = client.get(reverse("portal:products"))

    assert response.context["page"].paginator.count == product_count
    assert len(shown_products(response)) == min(12, product_count)


# A product's page


def test_product_page_renders_description_and_terms(client, developer, make_product, developers):
    make_product(
        "Payments",
        groups=[developers],
        description="Moves money, **bold** claims.",
        terms="You *must* agree.\n\n- no resale",
    )
    client.force_login(developer)

    response = client.get(reverse("portal:product", args=["payments"]))

    content = response.content.decode()
    assert response.status_code == 200
    assert "<strong>bold</strong>" in content
    assert "**bold**" not in content
    assert "Terms of use" in content
    assert "<em>must</em>" in content
    assert "<li>no resale</li>" in content


def test_product_page_open_product(client, developer, make_product, developers):
    make_product("Status", groups=[developers], subscription_required=False)
    client.force_login(developer)

    content = client.get(reverse("portal:product", args=["status"])).content.decode()

    assert "This product is <strong>open</strong>" in content
    assert "A subscription is needed" not in content
    assert "Terms of use" not in content


@pytest.mark.parametrize(
    ("approval", "wording"),
    [
        (True, "A subscription is needed to call its APIs, and an administrator approves each"),
        (False, "A subscription is needed to call its APIs."),
    ],
)
def test_product_page_subscription_wording(
    client, developer, make_product, developers, approval, wording
):
    make_product("Payments", groups=[developers], approval_required=approval)
    client.force_login(developer)

    content = client.get(reverse("portal:product", args=["payments"])).content.decode()

    assert wording in content
    assert ("approves each request" in content) is approval
    assert "<strong>open</strong>" not in content


@pytest.mark.parametrize(
    ("who", "hidden"),
    [
        ("anonymous", "payments"),  # Developers only
        ("anonymous", "partner-deals"),
        ("anonymous", "draft-plans"),  # linked to Guests but not published
        ("anonymous", "internal-tools"),
        ("developer", "visitors-only"),  # Guests only
        ("developer", "partner-deals"),
        ("developer", "draft-plans"),
        ("developer", "internal-tools"),
        ("partner", "draft-plans"),
        ("partner", "internal-tools"),
        ("support_staff", "partner-deals"),
    ],
)
def test_product_page_hidden_is_the_same_404_as_missing(client, request, shelf, who, hidden):
    sign_in_as(client, request, who)

    refused = client.get(reverse("portal:product", args=[hidden]))
    missing = client.get(reverse("portal:product", args=["no-such-product"]))

    assert refused.status_code == 404
    assert missing.status_code == 404
    assert normalised(refused.content) == normalised(missing.content)
    assert normalised_headers(refused) == normalised_headers(missing)
    assert shelf[hidden].display_name not in refused.content.decode()


@pytest.mark.parametrize(
    ("who", "status"),
    [("anonymous", 404), ("developer", 404), ("partner", 404), ("administrator", 200)],
)
def test_product_page_unpublished(client, request, shelf, who, status):
    sign_in_as(client, request, who)

    response = client.get(reverse("portal:product", args=["draft-plans"]))

    assert response.status_code == status
    if status == 200:
        assert "Not published: only administrators see this product." in response.content.decode()


@pytest.mark.parametrize("name", sorted(EVERYTHING))
def test_product_page_administrator_sees_every_product(client, administrator, shelf, name):
    client.force_login(administrator)

    assert client.get(reverse("portal:product", args=[name])).status_code == 200


@pytest.mark.parametrize("state", [User.State.BLOCKED, User.State.PENDING])
def test_signed_in_account_that_loses_sign_in_is_a_guest(client, partner, shelf, state):
    client.force_login(partner)
    assert catalogue(client) == PARTNER_CATALOGUE
    partner.state = state
    partner.save()

    assert catalogue(client) == GUEST_CATALOGUE
    assert client.get(reverse("portal:product", args=["partner-deals"])).status_code == 404
    assert client.get(reverse("portal:product", args=["payments"])).status_code == 404
    assert client.get(reverse("portal:product", args=["visitors-only"])).status_code == 200
    landing = client.get(reverse("portal:landing"))
    assert set(shown_products(landing)) <= GUEST_CATALOGUE


def test_blocked_administrator_who_was_signed_in_is_a_guest(client, administrator, shelf):
    client.force_login(administrator)
    assert catalogue(client) == EVERYTHING
    administrator.state = User.State.BLOCKED
    administrator.save()

    assert catalogue(client) == GUEST_CATALOGUE
    assert client.get(reverse("portal:product", args=["draft-plans"])).status_code == 404


# The landing page


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("anonymous", ["first-for-guests", "second-for-guests"]),
        ("developer", ["developers-1", "developers-2", "developers-3"]),
    ],
)
def test_landing_shows_at_most_three_visible_products(
    client, request, make_product, guests, developers, partners, who, expected
):
    # Hidden products sort first, so a leak would take a place on the page.
    make_product("A Hidden Draft", groups=[guests, developers], state=NOT_PUBLISHED)
    make_product("A Hidden Partner Deal", groups=[partners])
    make_product("A Hidden Internal Tool")
    make_product("First for Guests", groups=[guests])
    make_product("Second for Guests", groups=[guests])
    for i in range(1, 6):
        make_product(f"Developers {i}", groups=[developers], description=f"No. {i}")
    sign_in_as(client, request, who)

    response = client.get(reverse("portal:landing"))

    assert shown_products(response) == expected
    assert "Hidden" not in response.content.decode()


def test_landing_without_visible_products(client, make_product, developers):
    make_product("Payments", groups=[developers])

    response = client.get(reverse("portal:landing"))

    assert shown_products(response) == []
    assert "Products for you" not in response.content.decode()


# Untrusted Markdown


@pytest.mark.parametrize(
    "description",
    [
        "<script>alert(1)</script>",
        "Hello <img src=x onerror=alert(1)>",
        '<a href="javascript:alert(1)">click</a>',
        "[click](javascript:alert(1))",
        "[click](JaVaScRiPt:alert(1))",
        "[click](javascript&#58;alert(1))",
        "[click]( javascript:alert(1) )",
        "<javascript:alert(1)>",
        "[click][ref]\n\n[ref]: javascript:alert(1)",
        "[click](vbscript:msgbox(1))",
        "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    ],
)
@pytest.mark.parametrize("page", ["portal:product", "portal:products", "portal:landing"])
def test_product_description_is_not_markup(client, make_product, guests, description, page):
    make_product("Payments", groups=[guests], description=description, terms=description)
    args = ["payments"] if page == "portal:product" else []

    response = client.get(reverse(page, args=args))

    content = response.content.decode()
    assert response.status_code == 200
    assert "<script>alert" not in content
    assert "<img" not in content
    hrefs = [html.unescape(href) for href in re.findall(r'href="([^"]*)"', content)]
    assert not [href for href in hrefs if ":" in href and not href.startswith(("/", "?"))]


def test_product_description_keeps_safe_links(client, make_product, guests):
    make_product("Payments", groups=[guests], description="See [the docs](https://example.com/d).")

    content = client.get(reverse("portal:product", args=["payments"])).content.decode()

    assert '<a href="https://example.com/d">the docs</a>' in content


# The console's "View as"


@pytest.fixture
def external(db):
    return group_services.create_group(
        name="directory", display_name="Directory people", external_id="aad://x"
    )


def view_as(client, kind, key):
    return client.post(reverse("console:view_as"), {"kind": kind, "key": key})


@pytest.mark.parametrize(
    ("who", "outcome"),
    [
        ("anonymous", "sign-in"),
        ("developer", 403),
        ("support_staff", 403),
        ("partner", 403),
        ("blocked_user", "sign-in"),
    ],
)
@pytest.mark.parametrize(("kind", "key"), [("group", "partners"), ("user", "self")])
def test_view_as_is_for_administrators_only(client, request, partners, who, outcome, kind, key):
    if who != "anonymous":
        user = request.getfixturevalue(who)
        client.force_login(user)
        key = str(user.pk) if key == "self" else key
    elif key == "self":
        key = str(request.getfixturevalue("developer").pk)

    response = view_as(client, kind, key)

    if outcome == "sign-in":
        url = reverse("console:view_as")
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('portal:login')}?next={url}"
    else:
        assert response.status_code == outcome
    assert preview.SESSION_KEY not in client.session


def test_view_as_refuses_get(client, administrator):
    client.force_login(administrator)

    response = client.get(reverse("console:view_as"), {"kind": "group", "key": "guests"})

    assert response.status_code == 405


@pytest.mark.parametrize(
    ("kind", "key"),
    [
        ("group", "no-such-group"),
        ("group", ""),
        ("user", "999999"),
        ("user", "not-a-number"),
        ("user", ""),
        ("user", "-1"),
        ("someone", "partners"),
        ("", ""),
    ],
)
def test_view_as_unknown_target_is_404(client, administrator, partners, kind, key):
    client.force_login(administrator)

    response = view_as(client, kind, key)

    assert response.status_code == 404
    assert preview.SESSION_KEY not in client.session
    assert PREVIEW_BANNER not in client.get(reverse("portal:products")).content.decode()


@pytest.mark.parametrize(
    ("group", "member_fixture", "expected"),
    [
        ("partners", "partner", PARTNER_CATALOGUE),
        ("directory", "directory_member", DEVELOPER_CATALOGUE | {"directory-deals"}),
        ("developers", "developer", DEVELOPER_CATALOGUE),
    ],
)
def test_view_as_group_shows_what_its_members_see(
    client, request, administrator, shelf, make_product, external, group, member_fixture, expected
):
    make_product("Directory Deals", groups=[external])
    member = request.getfixturevalue(member_fixture)
    member_client = Client()
    member_client.force_login(member)
    client.force_login(administrator)

    response = view_as(client, "group", group)

    assert response.status_code == 302
    assert response["Location"] == reverse("portal:products")
    page = client.get(reverse("portal:products"))
    assert set(shown_products(page)) == expected == catalogue(member_client)
    content = page.content.decode()
    display_name = Group.objects.get(name=group).display_name
    assert f"{PREVIEW_BANNER} a member of {display_name}" in content


@pytest.fixture
def directory_member(make_user, external):
    member = make_user(email="directory@example.com")
    group_services.add_members(group=external, users=[member], added_by=None)
    return member


def test_view_as_guests_shows_the_guest_catalogue(client, administrator, shelf):
    client.force_login(administrator)

    view_as(client, "group", Group.GUESTS)

    page = client.get(reverse("portal:products"))
    assert set(shown_products(page)) == GUEST_CATALOGUE
    assert f"{PREVIEW_BANNER} a member of Guests" in page.content.decode()
    landing = client.get(reverse("portal:landing"))
    assert set(shown_products(landing)) <= GUEST_CATALOGUE
    assert PREVIEW_BANNER in landing.content.decode()


def test_view_as_banner_escapes_names(client, administrator, make_user):
    person = make_user(first_name="<b>Eve</b>", last_name="& co")
    client.force_login(administrator)

    view_as(client, "user", str(person.pk))

    content = client.get(reverse("portal:products")).content.decode()
    assert f"{PREVIEW_BANNER} &lt;b&gt;Eve&lt;/b&gt; &amp; co ({person.email})" in content


def test_view_as_administrators_shows_everything(client, administrator, shelf):
    client.force_login(administrator)

    view_as(client, "group", Group.ADMINISTRATORS)

    assert catalogue(client) == EVERYTHING


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("developer", DEVELOPER_CATALOGUE),
        ("partner", PARTNER_CATALOGUE),
        ("support_staff", DEVELOPER_CATALOGUE),
        ("blocked_partner", GUEST_CATALOGUE),
        ("pending_user", GUEST_CATALOGUE),
    ],
)
def test_view_as_user_shows_their_catalogue(client, request, administrator, shelf, who, expected):
    person = request.getfixturevalue(who)
    client.force_login(administrator)

    response = view_as(client, "user", str(person.pk))

    assert response.status_code == 302
    page = client.get(reverse("portal:products"))
    assert set(shown_products(page)) == expected
    assert f"{PREVIEW_BANNER} {person.display_name} ({person.email})" in page.content.decode()


@pytest.fixture
def blocked_partner(make_user, partners):
    member = make_user(email="gone@example.com", state=User.State.BLOCKED)
    group_services.add_members(group=partners, users=[member], added_by=None)
    return member


@pytest.mark.parametrize(
    ("kind", "key", "hidden"),
    [
        ("group", "partners", "draft-plans"),
        ("group", "partners", "internal-tools"),
        ("group", "partners", "visitors-only"),
        ("group", "guests", "payments"),
        ("group", "developers", "partner-deals"),
        ("user", "developer", "partner-deals"),
        ("user", "blocked_partner", "partner-deals"),
    ],
)
def test_view_as_hidden_product_is_404(client, request, administrator, shelf, kind, key, hidden):
    if kind == "user":
        key = str(request.getfixturevalue(key).pk)
    client.force_login(administrator)
    assert client.get(reverse("portal:product", args=[hidden])).status_code == 200

    client.post(reverse("console:view_as"), {"kind": kind, "key": key}, follow=True)

    response = client.get(reverse("portal:product", args=[hidden]))
    missing = client.get(reverse("portal:product", args=["no-such-product"]))
    assert response.status_code == 404
    assert normalised(response.content) == normalised(missing.content)
    assert PREVIEW_BANNER in response.content.decode()


def test_view_as_stop_ends_the_preview(client, administrator, shelf):
    client.force_login(administrator)
    view_as(client, "group", Group.GUESTS)
    assert catalogue(client) == GUEST_CATALOGUE

    response = client.post(reverse("console:view_as_stop"))

    assert response.status_code == 302
    assert response["Location"] == reverse("console:home")
    assert preview.SESSION_KEY not in client.session
    page = client.get(reverse("portal:products"))
    assert set(shown_products(page)) == EVERYTHING
    assert PREVIEW_BANNER not in page.content.decode()


@pytest.mark.parametrize(("who", "status"), [("developer", 403), ("support_staff", 403)])
def test_view_as_stop_is_for_administrators_only(client, request, who, status):
    client.force_login(request.getfixturevalue(who))

    assert client.post(reverse("console:view_as_stop")).status_code == status


@pytest.mark.parametrize(
    "demote",
    [
        pytest.param({"is_superuser": False}, id="no longer superuser"),
        pytest.param({"state": User.State.BLOCKED}, id="blocked"),
    ],
)
def test_view_as_is_ignored_once_not_an_administrator(client, administrator, shelf, demote):
    client.force_login(administrator)
    view_as(client, "group", Group.GUESTS)
    assert catalogue(client) == GUEST_CATALOGUE
    for field, value in demote.items():
        setattr(administrator, field, value)
    administrator.save()

    page = client.get(reverse("portal:products"))

    expected = DEVELOPER_CATALOGUE if demote.get("is_superuser") is False else GUEST_CATALOGUE
    assert set(shown_products(page)) == expected
    assert PREVIEW_BANNER not in page.content.decode()


def test_view_as_belongs_to_the_session(client, administrator, shelf):
    """Another administrator's session is not previewing."""
    client.force_login(administrator)
    view_as(client, "group", Group.GUESTS)
    other = Client()
    other.force_login(administrator)

    assert catalogue(other) == EVERYTHING
    assert catalogue(client) == GUEST_CATALOGUE


# Explaining access in the console


def sees_rows(response):
    """(product ID, "via ...") for each row of "What this user sees"."""
    content = response.content.decode()
    section = content.split("What this user sees", 1)[1].split("</table>", 1)[0]
    rows = re.findall(
        r'<a href="/console/products/([^/]+)/">[^<]*</a>.*?</th>\s*<td class="small">([^<]*)</td>',
        section,
        flags=re.S,
    )
    return {name: html.unescape(via) for name, via in rows}


def test_user_page_explains_what_they_see(
    client, administrator, make_user, make_product, guests, developers, partners
):
    beta = group_services.create_group(name="beta", display_name="Beta testers")
    person = make_user(email="pat@example.com")
    group_services.add_members(group=partners, users=[person], added_by=None)
    group_services.add_members(group=beta, users=[person], added_by=None)
    make_product("Payments", groups=[developers])
    make_product("Deals", groups=[partners, beta, developers, guests])
    make_product("Beta Maps", groups=[beta])
    make_product("Visitors", groups=[guests])
    make_product("Draft", groups=[partners], state=NOT_PUBLISHED)
    client.force_login(administrator)

    response = client.get(reverse("console:user_detail", args=[person.pk]))

    assert response.status_code == 200
    assert sees_rows(response) == {
        "payments": "via Developers",
        "deals": "via Beta testers, Developers, Partners",
        "beta-maps": "via Beta testers",
    }


def test_user_page_of_a_blocked_member_explains_the_guest_view(
    client, administrator, blocked_user, make_product, guests, developers, partners
):
    group_services.add_members(group=partners, users=[blocked_user], added_by=None)
    make_product("Deals", groups=[partners, guests])
    make_product("Payments", groups=[developers])
    client.force_login(administrator)

    response = client.get(reverse("console:user_detail", args=[blocked_user.pk]))

    assert sees_rows(response) == {"deals": "via Guests"}
    assert "sees only what visitors see" in response.content.decode()


def test_user_page_of_an_administrator(client, administrator, make_product, developers):
    make_product("Payments", groups=[developers])
    make_product("Draft")
    client.force_login(administrator)

    response = client.get(reverse("console:user_detail", args=[administrator.pk]))

    assert sees_rows(response) == {
        "payments": "via Administrators, Developers",
        "draft": "via Administrators",
    }
    assert "Administrators see every product, published or not." in response.content.decode()


def who_can_see_rows(response):
    """{group display name: people} from the product page's "Who can see this"."""
    content = response.content.decode()
    section = content.split("Who can see this", 1)[1].split("</table>", 1)[0]
    rows = re.findall(
        r'<th scope="row" class="fw-normal"><a href="[^"]*">([^<]*)</a></th>\s*<td>([^<]*)</td>',
        section,
    )
    return {html.unescape(group): html.unescape(people) for group, people in rows}


def test_product_page_explains_who_can_see_it(
    client,
    administrator,
    developer,
    support_staff,
    blocked_user,
    pending_user,
    make_user,
    make_product,
    guests,
    developers,
    partners,
    external,
):
    beta = group_services.create_group(name="beta", display_name="Beta testers")
    make_product("Other", groups=[beta])
    second_admin = make_user(is_superuser=True, is_staff=True)
    blocked_admin = make_user(is_superuser=True, state=User.State.BLOCKED)
    group_services.add_members(
        group=partners,
        users=[developer, support_staff, blocked_user, pending_user, blocked_admin],
        added_by=None,
    )
    group_services.add_members(group=external, users=[developer, second_admin], added_by=None)
    group_services.add_members(group=beta, users=[developer, support_staff], added_by=None)
    make_product("Payments", groups=[guests, developers, partners, external])
    client.force_login(administrator)

    response = client.get(reverse("products:detail", args=["payments"]))

    # Active accounts: administrator, developer, support_staff, second_admin.
    assert who_can_see_rows(response) == {
        "Administrators": "2 (all administrators)",
        "Developers": "4 (all signed-in developers)",
        "Guests": "Visitors who are not signed in",
        "Partners": "2",
        "Directory people": "2",
    }


def test_product_page_who_can_see_an_unlinked_product(client, administrator, make_product):
    make_product("Draft", state=NOT_PUBLISHED)
    client.force_login(administrator)

    response = client.get(reverse("products:detail", args=["draft"]))

    assert who_can_see_rows(response) == {"Administrators": "1 (all administrators)"}
    assert "Not published: only administrators see it for now" in response.content.decode()


def test_anonymous_visibility_matches_the_catalogue(client, shelf):
    expected = set(Product.objects.visible_to(AnonymousUser()).values_list("name", flat=True))

    assert catalogue(client) == expected == GUEST_CATALOGUE
