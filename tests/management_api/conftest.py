"""Fixtures for the management API's tests: tokens, a client that sends one, and rows to call."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from groups import services as group_services
from groups.models import Group
from management_api.models import AccessToken
from management_api.services import issue_token
from portal.models import User
from products import services as product_services
from products.models import Product
from tests.management_api.helpers import body, url


@pytest.fixture
def bearer_for(db: None) -> Callable[..., dict[str, str]]:
    """The Authorization header of a new token for a user; changes apply to the token's row."""

    def make(user: User, **changes: object) -> dict[str, str]:
        token, clear = issue_token(user=user, name="tests", days=1)
        if changes:
            AccessToken.objects.filter(pk=token.pk).update(**changes)
        return {"HTTP_AUTHORIZATION": f"Bearer {clear}"}

    return make


@pytest.fixture
def bearer(administrator: User, bearer_for: Callable[..., dict[str, str]]) -> dict[str, str]:
    """An administrator's token, as the Authorization header."""
    return bearer_for(administrator)


@pytest.fixture
def api(client: Any, bearer: dict[str, str]) -> Any:
    """The test client with an administrator's token on every call."""

    class Api:
        def get(self, path: str, **query: str) -> Any:
            return client.get(url(path, **query), **bearer)

        def head(self, path: str) -> Any:
            return client.head(url(path), **bearer)

        def put(self, path: str, properties: dict | None = None, **headers: str) -> Any:
            data = body(**properties) if properties is not None else ""
            return client.put(url(path), data, "application/json", **bearer, **headers)

        def patch(self, path: str, properties: dict, if_match: str = "*") -> Any:
            return client.patch(
                url(path), body(**properties), "application/json", HTTP_IF_MATCH=if_match, **bearer
            )

        def delete(self, path: str, if_match: str | None = "*", **query: str) -> Any:
            headers = {"HTTP_IF_MATCH": if_match} if if_match else {}
            return client.delete(url(path, **query), **bearer, **headers)

        def post(self, path: str) -> Any:
            return client.post(url(path), **bearer)

    return Api()


@pytest.fixture
def make_group(db: None) -> Callable[..., Group]:
    def make(name: str, display_name: str, description: str = "") -> Group:
        return group_services.create_group(
            name=name, display_name=display_name, description=description
        )

    return make


@pytest.fixture
def group_catalogue(make_group: Callable[..., Group]) -> None:
    """Four custom groups whose names and descriptions the $filter tests look through."""
    make_group("partners", "Partners", "Partner companies")
    make_group("part-time", "Part-time staff", "Seasonal help")
    make_group("research", "Research and Development", "Labs")
    make_group("sales", "Sales", "Partner channel")


@pytest.fixture
def logistics(db: None) -> Product:
    """Logistics, not published: only Administrators see it."""
    return product_services.create_product(name="logistics", display_name="Logistics")


@pytest.fixture
def shared_product(developers: Group) -> Product:
    """Logistics, published: every developer can see it and subscribe to it."""
    product = product_services.create_product(
        name="logistics", display_name="Logistics", state=Product.State.PUBLISHED
    )
    product_services.grant_access(product=product, groups=[developers], added_by=None)
    return product


@pytest.fixture
def in_process() -> Iterator[None]:
    """Keep the test's database connection open across in-process requests.

    Django closes "old" connections at the start and end of each request;
    in a test that would close the connection the test transaction uses.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)
