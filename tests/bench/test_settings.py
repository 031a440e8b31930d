from __future__ import annotations

import pytest
from django.urls import Resolver404, resolve

from bench.middleware import HEADER


@pytest.fixture
def bench_settings(settings):
    settings.ROOT_URLCONF = "bench.urls"
    settings.MIDDLEWARE = ["bench.middleware.count_queries", *settings.MIDDLEWARE]


def test_floors_exist_only_in_the_bench_urlconf():
    for path in ("/bench/floor/template/", "/bench/floor/empty/"):
        with pytest.raises(Resolver404):
            resolve(path)
        assert resolve(path, urlconf="bench.urls")


@pytest.mark.django_db
def test_floors_answer_without_a_query(bench_settings, client):
    template = client.get("/bench/floor/template/")
    assert template.status_code == 200
    assert b"navbar" in template.content
    assert template[HEADER] == "0"
    empty = client.get("/bench/floor/empty/")
    assert empty.status_code == 204
    assert empty[HEADER] == "0"


@pytest.mark.django_db
def test_query_count_header_counts_the_session_and_the_page(bench_settings, client, administrator):
    client.force_login(administrator)
    response = client.get("/console/groups/")
    assert response.status_code == 200
    # At least the session, the user and the page's own rows.
    assert int(response[HEADER]) >= 3
