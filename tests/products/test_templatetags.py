"""products_tags: the summary filter cards use instead of markdown|striptags|truncatechars,
and the product_card tag."""

from __future__ import annotations

from collections import OrderedDict

import pytest
from django.contrib.auth.models import AnonymousUser
from django.template import engines

from products import markdown as markdown_module
from products.templatetags import products_tags

DESCRIPTIONS = [
    "",
    "Take **payments** in [many currencies](https://example.com).",
    "<script>alert(1)</script> and <b>bold</b> & co",
    "A < B > C &amp; D",
    "# Title\n\n- one\n- two\n\n```\ncode <here>\n```",
    "x" * 400,
    "Éclair " * 60,
]


def render(source: str, text: str) -> str:
    return engines["django"].from_string("{% load products_tags %}" + source).render({"t": text})


@pytest.mark.parametrize("text", [text for text in DESCRIPTIONS if "\n" not in text])
@pytest.mark.parametrize("length", [140, 160])
def test_summary_of_one_paragraph_renders_as_the_filter_chain_it_replaces(text, length):
    chain = render(f"{{{{ t|markdown|striptags|truncatechars:{length} }}}}", text)
    assert render(f"{{{{ t|summary:{length} }}}}", text) == chain.strip()


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("- 10 calls a second\n- JSON over HTTPS", "10 calls a second · JSON over HTTPS"),
        ("First paragraph.\n\nSecond one.", "First paragraph. · Second one."),
        (
            "# Title\n\n- one\n- two\n\n```\ncode <here>\n```",
            "Title · one · two · code &lt;here&gt;",
        ),
        ("1. a\n   - nested\n2. b", "a · nested · b"),
        ("- a\n\n  3. nested\n  4. more", "a · nested · more"),
        ("One line\nand the next.", "One line and the next."),
    ],
)
def test_summary_keeps_blocks_apart(text, shown):
    """Catalogue cards ran list items together: "10 calls a second JSON over HTTPS"."""
    assert render("{{ t|summary:160 }}", text) == shown


def test_summary_counts_the_separators_in_its_length():
    shown = render("{{ t|summary:20 }}", "- 10 calls a second\n- JSON over HTTPS")
    assert shown == "10 calls a second…"


def test_summary_never_lets_markup_through():
    shown = render("{{ t|summary:160 }}", "<img src=x onerror=alert(1)> <script>x</script>")
    assert "<img" not in shown
    assert "<script" not in shown


def test_summary_follows_the_text_not_a_key():
    assert render("{{ t|summary:160 }}", "First *text*").strip() == "First text"
    assert render("{{ t|summary:160 }}", "Second *text*").strip() == "Second text"


@pytest.mark.parametrize("text", DESCRIPTIONS)
def test_markdown_renders_as_the_renderer_does_every_time(text):
    expected = str(markdown_module.render(text))
    assert render("{{ t|markdown }}", text) == expected
    assert render("{{ t|markdown }}", text) == expected


def test_markdown_follows_the_text_not_a_key():
    assert render("{{ t|markdown }}", "First *text*").strip() == "<p>First <em>text</em></p>"
    assert render("{{ t|markdown }}", "Second *text*").strip() == "<p>Second <em>text</em></p>"


def test_product_card_keeps_at_most_cards_renderings(monkeypatch, make_product):
    monkeypatch.setattr(products_tags, "CARDS", 2)
    monkeypatch.setattr(products_tags, "_cards", OrderedDict())
    page = engines["django"].from_string(
        "{% load products_tags %}{% for p in products %}{% product_card p %}{% endfor %}"
    )
    products = [make_product(f"Card {n}") for n in range(3)]
    html = page.render({"products": products, "user": AnonymousUser()})
    assert [p.display_name in html for p in products] == [True, True, True]
    assert len(products_tags._cards) == 2


def test_markdown_of_a_long_text_is_rendered_each_time_not_kept():
    # A page's body may be 100,000 characters: 512 of those kept in each worker
    # would be hundreds of MB.
    products_tags._markdown.cache_clear()
    long_text = "A *page*. " * 2000
    assert products_tags.markdown(long_text) == markdown_module.render(long_text)
    assert products_tags._markdown.cache_info().currsize == 0
    products_tags.markdown("A *short* one.")
    assert products_tags._markdown.cache_info().currsize == 1
