"""The menus' pages: the cached rows filtered in Python agree with visible_to for
every audience and every kind of viewer, and every write shows at once."""

from __future__ import annotations

import uuid

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.cache import caches
from django.db import transaction

from content import menus, services
from content.models import Page
from groups import services as group_services
from groups.models import Group, GroupMember
from tests.content.conftest import ALL, EVERYONE, OTHERS, PARTNERS, SIGNED_IN

VIEWERS = [
    "anonymous",
    "developer",
    "member",
    "outsider",
    "blocked_member",
    "pending_user",
    "administrator",
    "support_staff",
    "as_partners",
    "as_others",
    "as_guests",
    "as_developers",
    "as_administrators",
]


@pytest.fixture
def viewer(request, partners, others):
    """Whom the menus are for: a person in some role, or a group's stand-in (View as)."""

    def get(name):
        if name == "anonymous":
            return AnonymousUser()
        if name.startswith("as_"):
            return GroupMember(group=Group.objects.get(name=name.removeprefix("as_")))
        if name == "blocked_member":
            blocked = request.getfixturevalue("blocked_user")
            group_services.add_members(group=partners, users=[blocked], added_by=None)
            return blocked
        return request.getfixturevalue(name)

    return get


def slugs(found):
    return [page.slug for page in found]


@pytest.mark.parametrize("who", VIEWERS)
def test_cached_filter_agrees_with_visible_to(pages, viewer, who):
    person = viewer(who)
    expected = (
        Page.objects.visible_to(person)
        .filter(state=Page.State.PUBLISHED)
        .exclude(menu=Page.Menu.NONE)
        .order_by("order", "title", "pk")
    )

    assert slugs(menus.visible(menus._read(), person)) == slugs(expected)


@pytest.mark.parametrize(
    ("who", "seen"),
    [
        ("anonymous", EVERYONE),
        ("developer", SIGNED_IN),
        ("member", PARTNERS),
        ("outsider", SIGNED_IN),
        # Blocked accounts can't sign in: what guests see, their groups aside.
        ("blocked_member", EVERYONE),
        ("pending_user", EVERYONE),
        ("support_staff", SIGNED_IN),
        ("as_partners", PARTNERS),
        ("as_others", OTHERS),
        ("as_guests", EVERYONE),
        ("as_developers", SIGNED_IN),
        # Drafts are opened from the console, never from a menu.
        ("administrator", ALL - {"draft"}),
        ("as_administrators", ALL - {"draft"}),
    ],
)
def test_menu_pages_for_each_viewer(pages, viewer, who, seen):
    assert set(slugs(menus.menu_pages(viewer(who)))) == seen


def test_menu_pages_are_in_menu_order(pages, administrator):
    assert slugs(menus.menu_pages(administrator)) == [
        "everyone",
        "signed-in",
        "partners-only",
        "others-only",
        "nobody-chosen",
        "terms",
    ]


def test_menu_pages_read_once_then_from_the_shared_cache(
    pages, django_assert_num_queries, developer
):
    menus.menu_pages(AnonymousUser())

    # 1. the shared cache's read (a query with the database cache, none
    # with Redis), 2. the viewer's groups, since a page is for Partners (in
    # a request, the groups' memo answers it when the page read them too).
    with django_assert_num_queries(2):
        assert set(slugs(menus.menu_pages(developer))) == SIGNED_IN


def test_menu_pages_without_group_pages_read_no_groups(
    make_portal_page, developer, django_assert_num_queries
):
    make_portal_page("Guide", menu="top")
    menus.menu_pages(developer)

    with django_assert_num_queries(1):
        assert slugs(menus.menu_pages(developer)) == ["guide"]


def test_every_write_shows_in_the_menus_at_once(make_portal_page, member, outsider, partners):
    menus.menu_pages(member)
    page = make_portal_page("Guide", menu="top")
    assert slugs(menus.menu_pages(outsider)) == ["guide"]

    page = services.update_page(
        page=page, expected_version=page.version, visibility="groups", title="Partner guide"
    )
    assert slugs(menus.menu_pages(outsider)) == []
    assert slugs(menus.menu_pages(member)) == []

    services.grant_page(page=page, groups=[partners], added_by=None)
    assert [p.title for p in menus.menu_pages(member)] == ["Partner guide"]
    assert slugs(menus.menu_pages(outsider)) == []

    services.revoke_page(page=page, group=partners)
    assert slugs(menus.menu_pages(member)) == []

    page = services.update_page(page=page, expected_version=None, visibility="everyone")
    page = services.set_state(page=page, state=Page.State.DRAFT)
    assert slugs(menus.menu_pages(member)) == []

    page = services.set_state(page=page, state=Page.State.PUBLISHED)
    services.update_page(page=page, expected_version=None, menu="footer")
    assert [p.menu for p in menus.menu_pages(member)] == ["footer"]

    services.delete_page(page=page)
    assert slugs(menus.menu_pages(member)) == []


def test_membership_change_shows_without_a_page_write(pages, outsider, partners):
    menus.menu_pages(outsider)

    group_services.add_members(group=partners, users=[outsider], added_by=None)

    assert "partners-only" in slugs(menus.menu_pages(outsider))


@pytest.mark.django_db(transaction=True)
def test_a_change_rolled_back_leaves_the_menus_right(make_portal_page, outsider):
    page = make_portal_page("Guide", menu="top")
    menus.menu_pages(outsider)

    with pytest.raises(RuntimeError), transaction.atomic():
        services.update_page(page=page, expected_version=None, visibility="groups")
        raise RuntimeError

    assert slugs(menus.menu_pages(outsider)) == ["guide"]


def test_with_redis_menus_read_before_the_commit_are_retired_by_it(
    settings, redis_url, make_portal_page, outsider, django_capture_on_commit_callbacks
):
    settings.CACHES = settings.CACHES | {
        "shared": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_url.rsplit("/", 1)[0] + "/12",
            "KEY_PREFIX": f"menus-{uuid.uuid4().hex}",
        }
    }
    cache = caches["shared"]
    page = make_portal_page("Guide", menu="top")
    assert slugs(menus.menu_pages(outsider)) == ["guide"]
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        services.update_page(page=page, expected_version=None, visibility="groups")
        # Another node reads the new generation before the change commits,
        # and the rows as they were (the page still for everyone), and
        # stores them.
        generation = cache.get(menus.MENU_PAGES.generation_key)
        before = [row._replace(visibility="everyone") for row in menus._read()]
        cache.set(menus.MENU_PAGES.key, (generation, before))
        assert slugs(menus.menu_pages(outsider)) == ["guide"]
    assert slugs(menus.menu_pages(outsider)) == []


def test_a_redis_that_does_not_answer_costs_the_cache_not_the_menus(
    settings, client, make_portal_page, developer, caplog
):
    settings.CACHES = settings.CACHES | {
        "shared": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",
            "OPTIONS": {"socket_connect_timeout": 0.2},
        }
    }
    make_portal_page("Guide", menu="top")
    client.force_login(developer)

    response = client.get("/pages/guide/")

    assert response.status_code == 200
    assert 'aria-current="page" href="/pages/guide/"' in response.content.decode()
    assert "shared cache did not answer" in caplog.text
