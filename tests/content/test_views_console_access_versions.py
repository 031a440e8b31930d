"""The console's Pages tab: a page's Access (groups) and Versions (Restore)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from content import services
from content.models import KEPT_VERSIONS, Page, PageGroup, PageVersion
from groups.models import Group
from tests.conftest import messages_of, table_row


@pytest.fixture
def secret(make_page):
    """A published page for chosen groups, with none chosen yet."""
    return make_page(
        "Partner news",
        body="Only for partners",
        visibility=Page.Visibility.GROUPS,
        state=Page.State.PUBLISHED,
    )


def chosen(page):
    return set(PageGroup.objects.filter(page=page).values_list("group__name", flat=True))


# Access


def test_access_without_groups_warns_that_only_administrators_see_it(client, administrator, secret):
    client.force_login(administrator)
    body = client.get(reverse("content:access", args=[secret.slug])).content.decode()
    assert "No group is chosen yet, so only administrators see this page." in body
    assert f'href="{reverse("content:add_groups", args=[secret.slug])}"' in body


def test_access_of_a_page_for_everyone_says_groups_do_not_count(client, administrator, guide):
    client.force_login(administrator)
    body = client.get(reverse("content:access", args=[guide.slug])).content.decode()
    assert "don't change who sees it" in body
    assert "No group is chosen yet" not in body


def test_add_groups_through_the_picker(client, administrator, secret, partners, beta):
    client.force_login(administrator)
    url = reverse("content:add_groups", args=[secret.slug])
    body = client.get(url).content.decode()
    assert 'value="partners"' in body and 'value="beta"' in body
    # Administrators see every page already: they are not offered.
    assert 'value="administrators"' not in body
    response = client.post(url, {"pick": ["partners", "beta"]}, follow=True)
    assert response.redirect_chain == [(reverse("content:access", args=[secret.slug]), 302)]
    assert messages_of(response) == ["Beta testers, Partners can now see Partner news."]
    assert chosen(secret) == {"partners", "beta"}
    row = table_row(response.content.decode(), ">Partners</a>")
    assert "root@example.com" in row
    # The picker marks them as already in.
    assert "Sees it" in client.get(url).content.decode()


def test_adding_the_same_group_twice_adds_it_once(client, administrator, secret, partners):
    client.force_login(administrator)
    url = reverse("content:add_groups", args=[secret.slug])
    client.post(url, {"pick": ["partners"]}, follow=True)
    response = client.post(url, {"pick": ["partners"]}, follow=True)
    assert messages_of(response) == ["Partners could already see Partner news."]
    assert PageGroup.objects.filter(page=secret).count() == 1


@pytest.mark.parametrize("pick", [[], ["no-such-group"], ["\x00"], ["administrators"]])
def test_the_picker_refuses_nothing_or_unknown_groups(client, administrator, secret, pick):
    client.force_login(administrator)
    response = client.post(reverse("content:add_groups", args=[secret.slug]), {"pick": pick})
    assert response.status_code == 200
    assert "Choose at least one group, then press Select." in response.content.decode()
    assert not PageGroup.objects.exists()


def test_adding_groups_to_a_page_for_everyone_says_when_they_count(
    client, administrator, guide, partners
):
    client.force_login(administrator)
    response = client.post(
        reverse("content:add_groups", args=[guide.slug]), {"pick": ["partners"]}, follow=True
    )
    assert "once “Who can see it” is “Chosen groups”" in messages_of(response)[0]


def test_remove_a_group_asks_first(client, administrator, secret, partners):
    services.grant_page(page=secret, groups=[partners], added_by=None)
    client.force_login(administrator)
    access = reverse("content:access", args=[secret.slug])
    assert "Remove" in table_row(client.get(access).content.decode(), ">Partners</a>")
    url = reverse("content:remove_group", args=[secret.slug, "partners"])
    body = client.get(url).content.decode()
    assert "Stop Partners seeing Partner news?" in body
    assert chosen(secret) == {"partners"}
    response = client.post(url, follow=True)
    assert response.redirect_chain == [(access, 302)]
    assert messages_of(response) == ["Partners no longer sees Partner news."]
    assert chosen(secret) == set()
    # Replayed: nothing left to remove.
    assert client.post(url).status_code == 404


def test_access_queries_do_not_grow_with_rows(
    client, administrator, secret, make_user, assert_queries_do_not_grow
):
    adder = make_user(email="adder@example.com")
    client.force_login(administrator)

    def add_links(numbers):
        groups = Group.objects.bulk_create(
            Group(name=f"team-{n:03}", display_name=f"Team {n:03}", display_name_key=f"team {n:03}")
            for n in numbers
        )
        PageGroup.objects.bulk_create(
            PageGroup(page=secret, group=group, added_by=adder) for group in groups
        )

    # 1. the session
    # 2. the signed-in user
    # 3. the page
    # 4. the paginator's COUNT of its links
    # 5. one page of links, joined to their groups and to who added them
    # 6. the menu's badge of waiting approvals, read from the shared cache
    url = reverse("content:access", args=[secret.slug])
    assert_queries_do_not_grow(url, add_links, 6)


def test_group_picker_queries_do_not_grow_with_rows(
    client, administrator, secret, assert_queries_do_not_grow
):
    client.force_login(administrator)

    def add_groups(numbers):
        groups = Group.objects.bulk_create(
            Group(name=f"team-{n:03}", display_name=f"Team {n:03}", display_name_key=f"team {n:03}")
            for n in numbers
        )
        # Half of them already see the page, so the "Sees it" marks are exercised too.
        PageGroup.objects.bulk_create(PageGroup(page=secret, group=group) for group in groups[::2])

    # 1. the session
    # 2. the signed-in user
    # 3. the page
    # 4. the paginator's COUNT of the groups
    # 5. one page of groups
    # 6. which of the page's groups already see it
    # 7. the menu's badge of waiting approvals, read from the shared cache
    url = reverse("content:add_groups", args=[secret.slug])
    assert_queries_do_not_grow(url, add_groups, 7)


# Versions


def edit(page, **changes):
    return services.update_page(page=page, expected_version=None, **changes)


def test_versions_list_newest_first_with_who_and_when(client, administrator, guide):
    edit(guide, body="Second", updated_by=administrator)
    edit(guide, body="Third", updated_by=administrator)
    client.force_login(administrator)
    body = client.get(reverse("content:versions", args=[guide.slug])).content.decode()
    numbers = list(PageVersion.objects.filter(page=guide).values_list("number", flat=True))
    assert len(numbers) == 3
    positions = [body.index(f">Version {number}</a>") for number in numbers]
    assert positions == sorted(positions)
    newest = table_row(body, f">Version {numbers[0]}</a>")
    assert "Current" in newest and "Restore" not in newest and "root@example.com" in newest
    assert "Restore" in table_row(body, f">Version {numbers[-1]}</a>")


def test_a_version_shows_its_text(client, administrator, guide):
    edit(guide, body="Changed <b>later</b>")
    client.force_login(administrator)
    body = client.get(reverse("content:version", args=[guide.slug, 1])).content.decode()
    assert "# Welcome\n\nFirst *steps*." in body
    assert "Restore this version" in body
    newest = guide.versions.first().number
    body = client.get(reverse("content:version", args=[guide.slug, newest])).content.decode()
    assert "Changed &lt;b&gt;later&lt;/b&gt;" in body
    assert "Restore this version" not in body


def test_restore_asks_first_then_makes_a_new_version(client, administrator, guide):
    edit(guide, title="Renamed", body="Newer text")
    client.force_login(administrator)
    url = reverse("content:restore", args=[guide.slug, 1])
    body = client.get(url).content.decode()
    assert "Restore version 1 of Renamed?" in body
    assert Page.objects.get(pk=guide.pk).body == "Newer text"
    response = client.post(url, follow=True)
    assert response.redirect_chain == [(reverse("content:detail", args=[guide.slug]), 302)]
    page = Page.objects.get(pk=guide.pk)
    assert (page.title, page.body) == ("Getting started", "# Welcome\n\nFirst *steps*.")
    assert page.updated_by == administrator
    assert messages_of(response) == ["Restored version 1 of Getting started, as a new version."]
    assert list(page.versions.values_list("title", flat=True)) == [
        "Getting started",
        "Renamed",
        "Getting started",
    ]
    assert "<em>steps</em>" in response.content.decode()


def test_restore_replayed_changes_nothing_more(client, administrator, guide):
    edit(guide, body="Newer text")
    client.force_login(administrator)
    url = reverse("content:restore", args=[guide.slug, 1])
    client.post(url, follow=True)
    count = guide.versions.count()
    response = client.post(url, follow=True)
    assert messages_of(response) == ["The page already has the title and text of version 1."]
    assert guide.versions.count() == count


def test_restore_keeps_settings(client, administrator, guide):
    edit(guide, body="Newer text")
    edit(guide, menu=Page.Menu.FOOTER, visibility=Page.Visibility.SIGNED_IN)
    client.force_login(administrator)
    client.post(reverse("content:restore", args=[guide.slug, 1]))
    page = Page.objects.get(pk=guide.pk)
    assert (page.menu, page.visibility, page.state) == ("footer", "signedIn", "published")


def test_only_the_last_versions_are_kept(client, administrator, guide):
    for n in range(KEPT_VERSIONS + 2):
        edit(guide, body=f"Text {n}")
    client.force_login(administrator)
    assert guide.versions.count() == KEPT_VERSIONS
    assert client.get(reverse("content:version", args=[guide.slug, 1])).status_code == 404
    assert client.post(reverse("content:restore", args=[guide.slug, 1])).status_code == 404


def test_restore_only_by_post_after_asking(client, administrator, guide):
    edit(guide, body="Newer text")
    client.force_login(administrator)
    assert client.get(reverse("content:restore", args=[guide.slug, 1])).status_code == 200
    assert Page.objects.get(pk=guide.pk).body == "Newer text"


def test_overview_names_the_chosen_groups(client, administrator, secret, partners, beta):
    services.grant_page(page=secret, groups=[partners, beta], added_by=None)
    client.force_login(administrator)
    body = client.get(reverse("content:detail", args=[secret.slug])).content.decode()
    assert "Chosen groups: Beta testers, Partners" in body
