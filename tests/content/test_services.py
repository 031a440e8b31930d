"""Writes to pages: versions kept and pruned, Restore, the one landing page,
concurrent saves, and the groups' links."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from content import services
from content.models import KEPT_VERSIONS, Page, PageGroup, PageVersion
from portal.entities import ConcurrentChangeError
from tests.conftest import fresh


def versions(page: Page) -> list[tuple[int, str]]:
    return list(PageVersion.objects.filter(page=page).values_list("number", "title"))


def test_create_page_keeps_its_first_version(make_portal_page, administrator):
    page = make_portal_page("Getting started", body="Hello", created_by=administrator)

    assert page.state == Page.State.PUBLISHED
    assert versions(page) == [(1, "Getting started")]
    assert PageVersion.objects.get(page=page).saved_by == administrator


def test_create_page_is_a_draft_unless_told(db):
    page = services.create_page(title="Notes", slug="notes")

    assert page.state == Page.State.DRAFT


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"title": "", "slug": "x"}, "title"),
        ({"title": "X", "slug": "Not A Slug"}, "slug"),
        ({"title": "X", "slug": "x", "visibility": "friends"}, "visibility"),
        ({"title": "X" * 201, "slug": "x"}, "title"),
    ],
)
def test_create_page_refuses_bad_fields_and_writes_nothing(db, fields, field):
    with pytest.raises(ValidationError) as refused:
        services.create_page(**fields)

    assert field in refused.value.message_dict
    assert not Page.objects.exclude(slug="welcome").exists()


def test_create_page_refuses_a_taken_address(make_portal_page):
    make_portal_page("First", slug="same")

    with pytest.raises(ValidationError) as refused:
        make_portal_page("Second", slug="same")

    assert "slug" in refused.value.message_dict


def test_update_page_keeps_a_version_only_when_title_or_body_change(make_portal_page):
    page = make_portal_page("Guide")

    page = services.update_page(page=page, expected_version=page.version, order=5, menu="top")
    assert versions(page) == [(1, "Guide")]

    page = services.update_page(page=page, expected_version=page.version, body="New text")
    assert [number for number, _ in versions(page)] == [page.version, 1]


def test_update_page_that_changes_nothing_is_no_new_version(make_portal_page):
    page = make_portal_page("Guide")

    same = services.update_page(page=page, expected_version=page.version, title="Guide")

    assert same.version == page.version
    assert versions(page) == [(1, "Guide")]


def test_versions_are_pruned_to_the_last_kept(make_portal_page):
    page = make_portal_page("Guide")
    for number in range(KEPT_VERSIONS + 3):
        page = services.update_page(page=page, expected_version=None, body=f"Text {number}")

    kept = PageVersion.objects.filter(page=page)
    assert kept.count() == KEPT_VERSIONS
    assert kept.first().number == page.version
    assert kept.first().body == f"Text {KEPT_VERSIONS + 2}"


def test_restore_version_puts_back_its_text_as_a_new_version(make_portal_page, administrator):
    page = make_portal_page("Guide", body="First words")
    page = services.update_page(page=page, expected_version=None, title="Guide 2", body="Second")

    restored = services.restore_version(
        page=page, number=1, expected_version=page.version, restored_by=administrator
    )

    assert (restored.title, restored.body) == ("Guide", "First words")
    assert restored.version == page.version + 1
    assert versions(restored)[0] == (restored.version, "Guide")


def test_restore_version_no_longer_kept_is_refused(make_portal_page):
    page = make_portal_page("Guide")
    for number in range(KEPT_VERSIONS + 1):
        page = services.update_page(page=page, expected_version=None, body=f"Text {number}")

    with pytest.raises(ValidationError, match="no longer kept"):
        services.restore_version(page=page, number=1, expected_version=page.version)
    assert fresh(page).version == page.version


def test_update_page_refuses_a_stale_version_and_changes_nothing(make_portal_page):
    page = make_portal_page("Guide")
    read_by_one = page.version
    services.update_page(page=page, expected_version=read_by_one, body="Someone else's")

    with pytest.raises(ConcurrentChangeError):
        services.update_page(page=page, expected_version=read_by_one, body="Mine")

    assert fresh(page).body == "Someone else's"


def test_restore_version_refuses_a_stale_version(make_portal_page):
    page = make_portal_page("Guide")
    stale = page.version
    services.update_page(page=page, expected_version=stale, body="Changed")

    with pytest.raises(ConcurrentChangeError):
        services.restore_version(page=page, number=1, expected_version=stale)


def test_welcome_is_the_landing_page_after_migrating(db):
    landing = Page.objects.get(is_landing=True)

    assert landing.slug == "welcome"
    assert landing.title == "APIs for building with us"
    assert landing.is_published
    assert landing.visibility == Page.Visibility.EVERYONE
    assert landing.menu == Page.Menu.NONE


def test_a_new_landing_page_takes_the_place_of_the_one_before(make_portal_page):
    welcome = Page.objects.get(slug="welcome")

    home = make_portal_page("Home", is_landing=True)

    assert list(Page.objects.filter(is_landing=True)) == [home]
    assert not fresh(welcome).is_landing


def test_update_page_to_landing_takes_the_place_of_the_one_before(make_portal_page):
    home = make_portal_page("Home")

    services.update_page(page=home, expected_version=home.version, is_landing=True)

    assert list(Page.objects.filter(is_landing=True).values_list("slug", flat=True)) == ["home"]


def test_delete_landing_page_says_the_welcome_comes_back(db):
    summary = services.delete_page(page=Page.objects.get(slug="welcome"))

    assert "built-in welcome" in summary.consequences[0]
    assert not Page.objects.filter(is_landing=True).exists()


def test_delete_page_removes_its_links_and_versions(make_portal_page, partners):
    page = make_portal_page("Guide", visibility="groups", groups=[partners])

    services.delete_page(page=page)

    assert not PageGroup.objects.exists()
    assert not PageVersion.objects.filter(page_id=page.pk).exists()


def test_grant_page_twice_links_each_group_once(make_portal_page, partners, others):
    page = make_portal_page("Guide", visibility="groups")

    assert services.grant_page(page=page, groups=[partners], added_by=None) == 1
    assert services.grant_page(page=page, groups=[partners, others], added_by=None) == 1
    assert services.grant_page(page=page, groups=[partners, partners], added_by=None) == 0

    assert sorted(page.groups.values_list("name", flat=True)) == ["others", "partners"]


def test_revoke_page_says_whether_the_group_saw_it(make_portal_page, partners):
    page = make_portal_page("Guide", visibility="groups", groups=[partners])

    assert services.revoke_page(page=page, group=partners) is True
    assert services.revoke_page(page=page, group=partners) is False
