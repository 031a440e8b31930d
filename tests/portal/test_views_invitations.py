"""Users › + Add › Invite, the pending list, Resend, Revoke, and the page the link opens."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from groups import invitations
from groups.models import Group, Invitation, Membership
from portal.models import User
from tests.conftest import messages_of

PASSWORD = "a-rather-unusual-passphrase-42"


def token_in(body: str) -> str:
    return re.search(r"/invitation/([^/\s]+)/", body).group(1)


@pytest.fixture
def invited(administrator, partners, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        invitation = invitations.invite(
            email="pat@partner.example",
            first_name="Pat",
            groups=[partners],
            invited_by=administrator,
        )
    return invitation, token_in(mailoutbox[-1].body)


def accept_form(**overrides):
    return {
        "first_name": "Pat",
        "last_name": "Partner",
        "password1": PASSWORD,
        "password2": PASSWORD,
    } | overrides


def test_users_add_offers_invite_beside_add_with_a_password(client, administrator):
    client.force_login(administrator)
    page = client.get(reverse("console:users")).content.decode()
    assert f'href="{reverse("console:invite")}">Invite<' in page
    assert f'href="{reverse("console:user_create")}">Add with a password<' in page
    assert f'href="{reverse("console:invitations")}"' in page


def test_invite_sends_the_email_and_lists_the_invitation(
    client, administrator, partners, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(administrator)
    page = client.get(reverse("console:invite")).content.decode()
    assert "Partners" in page and "Developers" not in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("console:invite"),
            {"email": "pat@partner.example", "groups": [partners.pk]},
            follow=True,
        )
    assert response.redirect_chain == [(reverse("console:invitations"), 302)]
    assert any("Invited pat@partner.example" in text for text in messages_of(response))
    assert "pat@partner.example" in response.content.decode()
    [email] = mailoutbox
    assert "http://testserver" not in email.body and "/invitation/" in email.body


def test_invite_refuses_an_address_with_an_account_and_links_to_it(
    client, administrator, developer
):
    client.force_login(administrator)
    response = client.post(reverse("console:invite"), {"email": "DEV@example.com"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "An account with this email address already exists" in page
    assert f'href="{developer.get_absolute_url()}"' in page
    assert not Invitation.objects.exists()


def test_invite_refuses_a_pending_address_and_offers_resend(client, administrator, invited):
    client.force_login(administrator)
    response = client.post(reverse("console:invite"), {"email": "PAT@Partner.example"})
    page = response.content.decode()
    assert "An invitation to this email address is pending" in page
    assert "Resend it" in page
    assert Invitation.objects.count() == 1


def test_invite_refuses_a_system_group(client, administrator, partners):
    client.force_login(administrator)
    developers = Group.objects.get(name=Group.DEVELOPERS)
    response = client.post(
        reverse("console:invite"), {"email": "x@example.com", "groups": [developers.pk]}
    )
    assert response.status_code == 200
    assert "Choose custom groups only" in response.content.decode()
    assert not Invitation.objects.exists()


@pytest.mark.parametrize("forged", ["developers", "99999", "x"])
def test_invite_refuses_a_forged_group_next_to_the_field_when_no_custom_group_exists(
    client, administrator, forged
):
    # No custom group: the form lists no checkbox, so the refusal has none to sit under.
    client.force_login(administrator)
    if forged == "developers":
        forged = str(Group.objects.get(name=Group.DEVELOPERS).pk)
    response = client.post(
        reverse("console:invite"), {"email": "x@example.com", "groups": [forged]}
    )
    assert response.status_code == 200
    page = response.content.decode()
    fieldset = page[page.index('id="div_id_groups"') :]
    fieldset = fieldset[: fieldset.index("</fieldset>")]
    assert "Choose custom groups only" in fieldset
    assert "There are no custom groups yet" in fieldset
    assert 'value="x@example.com"' in page
    assert not Invitation.objects.exists()


def test_resend_kills_the_old_link(
    client, administrator, invited, mailoutbox, django_capture_on_commit_callbacks
):
    invitation, old = invited
    client.force_login(administrator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("console:invitation_resend", args=[invitation.pk]))
    assert response.status_code == 302
    new = token_in(mailoutbox[-1].body)
    assert client.get(reverse("portal:invitation", args=[old])).status_code == 404
    client.logout()
    assert client.get(reverse("portal:invitation", args=[new])).status_code == 200


def test_revoke_asks_first_then_kills_the_link(client, administrator, invited):
    invitation, token = invited
    client.force_login(administrator)
    url = reverse("console:invitation_revoke", args=[invitation.pk])
    assert "Revoke the invitation to pat@partner.example?" in client.get(url).content.decode()
    assert Invitation.objects.open().count() == 1
    client.post(url)
    assert not Invitation.objects.open().exists()
    client.logout()
    response = client.get(reverse("portal:invitation", args=[token]))
    assert response.status_code == 410
    assert "withdrawn" in response.content.decode()


def test_accept_page_names_the_inviter_and_the_groups(client, invited):
    _, token = invited
    page = client.get(reverse("portal:invitation", args=[token])).content.decode()
    assert "Ada Admin" in page and "Partners" in page and "pat@partner.example" in page


def test_accepting_signs_in_and_lands_on_the_products(client, invited, partners):
    _, token = invited
    response = client.post(reverse("portal:invitation", args=[token]), accept_form(), follow=True)
    assert response.redirect_chain == [(reverse("portal:products"), 302)]
    assert response.wsgi_request.user.email == "pat@partner.example"
    user = User.objects.get(email="pat@partner.example")
    assert Membership.objects.filter(group=partners, user=user).exists()
    # Used: the link opens nothing now, even signed out.
    client.logout()
    response = client.get(reverse("portal:invitation", args=[token]))
    assert response.status_code == 410 and "already used" in response.content.decode()


@pytest.mark.parametrize(
    "form, error",
    [
        (accept_form(password2="something-else-entirely-9"), "The two passwords differ"),
        (accept_form(password1="12345678", password2="12345678"), "too common"),
        (accept_form(first_name=""), "This field is required"),
    ],
)
def test_a_refused_form_changes_nothing(client, invited, form, error):
    _, token = invited
    response = client.post(reverse("portal:invitation", args=[token]), form)
    assert response.status_code == 200
    assert error in response.content.decode()
    assert not User.objects.filter(email="pat@partner.example").exists()


def test_an_expired_link_is_a_clear_page(client, invited):
    invitation, token = invited
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    response = client.post(reverse("portal:invitation", args=[token]), accept_form())
    assert response.status_code == 410
    assert "expired" in response.content.decode()
    assert not User.objects.filter(email="pat@partner.example").exists()


@pytest.mark.parametrize("token", ["nonsense", "A" * 43, "%00", "x" * 300])
def test_a_tampered_link_is_a_404(client, invited, token):
    response = client.post(reverse("portal:invitation", args=[token]), accept_form())
    assert response.status_code == 404
    assert not User.objects.filter(email="pat@partner.example").exists()


def test_an_account_made_meanwhile_says_to_sign_in(client, invited, make_user):
    _, token = invited
    make_user(email="PAT@partner.example")
    response = client.post(reverse("portal:invitation", args=[token]), accept_form())
    assert response.status_code == 409
    assert "Sign in with it" in response.content.decode()
    assert User.objects.filter(email__iexact="pat@partner.example").count() == 1


def test_someone_signed_in_is_told_to_sign_out_and_the_invitation_waits(
    client, invited, developer, partners
):
    invitation, token = invited
    link = reverse("portal:invitation", args=[token])
    client.force_login(developer)
    page = client.get(link)
    assert page.status_code == 409
    body = page.content.decode()
    assert "you're signed in as dev@example.com" in body
    assert "pat@partner.example" in body
    assert f'action="{reverse("portal:logout")}"' in body
    assert f'name="next" value="{link}"' in body
    assert 'name="password1"' not in body
    # Posting the form anyway changes nothing: no account, still the developer.
    response = client.post(link, accept_form())
    assert response.status_code == 409
    assert response.wsgi_request.user == developer
    assert not User.objects.filter(email="pat@partner.example").exists()
    assert Invitation.objects.open().filter(pk=invitation.pk).exists()
    # Signing out with the button comes back to the link, which still works.
    signed_out = client.post(reverse("portal:logout"), {"next": link})
    assert signed_out["Location"] == link
    assert 'name="password1"' in client.get(link).content.decode()
    accepted = client.post(link, accept_form())
    assert accepted["Location"] == reverse("portal:products")
    assert Membership.objects.filter(group=partners, user__email="pat@partner.example").exists()


@pytest.mark.parametrize("rows", [3, 30])
def test_pending_list_takes_the_same_queries_for_few_or_many(
    client, administrator, partners, beta, rows, django_assert_max_num_queries
):
    for number in range(rows):
        invitations.invite(
            email=f"person{number}@example.com", groups=[partners, beta], invited_by=administrator
        )
    client.force_login(administrator)
    client.get(reverse("console:invitations"))  # warm: the menu's badge is then a cache read
    with django_assert_max_num_queries(9):
        response = client.get(reverse("console:invitations"))
    assert response.status_code == 200
    assert f"person{rows - 1}@example.com" in response.content.decode()


def test_pending_list_searches(client, administrator):
    invitations.invite(email="alpha@example.com", invited_by=administrator)
    invitations.invite(email="beta@example.com", invited_by=administrator)
    client.force_login(administrator)
    page = client.get(reverse("console:invitations"), {"q": "alpha"}).content.decode()
    assert "alpha@example.com" in page and "beta@example.com" not in page


@pytest.mark.parametrize("who", ["developer", "support_staff", "member"])
def test_the_accept_page_is_refused_to_nobody_but_changes_nothing_for_a_bad_token(
    client, sign_in_as, who
):
    sign_in_as(who)
    assert client.get(reverse("portal:invitation", args=["forged"])).status_code == 404
