"""products.markdown and its template filter: descriptions and terms are Markdown, never markup."""

from __future__ import annotations

import html
import re

import pytest
from django.urls import reverse


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
