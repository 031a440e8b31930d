"""portal.preview: the administrator's "View as", kept in the session, honoured for them only."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.urls import reverse

from groups.models import GroupMember
from portal import preview


def request_of(client, user=None, wanted=None):
    """A real request to the landing page, by this user, with this preview in the session."""
    if user is not None:
        client.force_login(user)
    if wanted is not None:
        session = client.session
        session[preview.SESSION_KEY] = wanted
        session.save()
    return client.get(reverse("portal:landing")).wsgi_request


def test_current_user_preview_shows_that_person(client, administrator, member):
    request = request_of(client, administrator, {"kind": "user", "key": str(member.pk)})
    shown = preview.current(request)
    assert shown == preview.Preview(viewer=member, label="Dev Eloper (dev@example.com)")
    assert preview.viewer_for(request) == (member, shown)


def test_current_group_preview_shows_a_member_of_the_group(client, administrator, partners):
    request = request_of(client, administrator, {"kind": "group", "key": "partners"})
    shown = preview.current(request)
    assert shown == preview.Preview(
        viewer=GroupMember(group=partners), label="a member of Partners"
    )
    assert preview.viewer_for(request)[0] == GroupMember(group=partners)


def test_current_is_not_honoured_for_a_developer(client, developer, outsider):
    request = request_of(client, developer, {"kind": "user", "key": str(outsider.pk)})
    assert preview.current(request) is None
    assert preview.viewer_for(request) == (developer, None)


def test_current_is_not_honoured_for_support_staff(client, support_staff, partners):
    request = request_of(client, support_staff, {"kind": "group", "key": "partners"})
    assert preview.current(request) is None


def test_current_of_something_unknown_is_none(client, administrator, partners):
    for wanted in [
        {"kind": "user", "key": "999999"},
        {"kind": "group", "key": "nobody"},
        {"kind": "product", "key": "partners"},
        {},
    ]:
        request = request_of(client, administrator, wanted)
        assert preview.current(request) is None, wanted


def test_viewer_for_without_a_preview_is_the_visitor(client, administrator):
    assert preview.viewer_for(request_of(client, administrator)) == (administrator, None)
    client.logout()
    viewer, shown = preview.viewer_for(request_of(client))
    assert isinstance(viewer, AnonymousUser) and shown is None


def test_start_remembers_the_choice_and_replaces_the_answer_already_given(
    client, administrator, partners
):
    request = request_of(client, administrator)
    assert preview.current(request) is None
    shown = preview.start(request, kind="group", key="partners")
    assert shown.label == "a member of Partners"
    assert request.session[preview.SESSION_KEY] == {"kind": "group", "key": "partners"}
    assert preview.current(request) is shown


def test_start_for_a_developer_previews_nothing(client, developer, partners):
    request = request_of(client, developer)
    assert preview.start(request, kind="group", key="partners") is None


def test_stop_forgets_the_preview_for_the_next_requests(client, administrator, partners):
    request = request_of(client, administrator, {"kind": "group", "key": "partners"})
    assert preview.current(request) is not None
    preview.stop(request)
    assert preview.current(request) is None
    preview.stop(request)  # stopping twice is harmless
    assert preview.SESSION_KEY not in request.session
    request.session.save()
    assert preview.current(request_of(client)) is None
