from __future__ import annotations

import threading
from collections import OrderedDict
from functools import lru_cache
from typing import Any

from django import template
from django.template.defaultfilters import truncatechars
from django.template.loader import get_template
from django.urls import get_script_prefix
from django.utils.safestring import SafeString, mark_safe

from products import markdown as markdown_module
from products.models import Product

register = template.Library()


@register.filter
def markdown(text: str) -> SafeString:
    """Render Markdown safely: raw HTML escaped, unsafe links and images dropped.

    Remembered by the text itself, so an edit shows at once: a product's
    full-length terms and description took 13 ms to render each time.
    """
    text = text or ""
    if len(text) > CACHED_MARKDOWN_LENGTH:
        # A page's body may be 100,000 characters: 512 of them would hold
        # hundreds of MB in each worker, so long texts are rendered each time.
        return markdown_module.render(text)
    return _markdown(text)


# Texts up to this long are remembered: product terms (10,000 characters at
# most) and most pages; about 12 MB at worst.
CACHED_MARKDOWN_LENGTH = 10_000


@lru_cache(maxsize=512)
def _markdown(text: str) -> SafeString:
    return markdown_module.render(text)


@register.filter
def summary(text: str, length: int) -> SafeString:
    """A Markdown description as plain text cut to length, as cards and lists show it.

    Like markdown|striptags|truncatechars:length, but with the blocks (list
    items, paragraphs, headings) kept apart by " · ", since striptags alone
    ran them together ("10 calls a second JSON over HTTPS"). Remembered by
    the text itself: a card shows what its description says now, and
    rendering Markdown for each card was a third of the catalogue's
    rendering time.
    """
    return _summary(text, int(length))


SEPARATOR = " · "


@lru_cache(maxsize=4096)
def _summary(text: str, length: int) -> SafeString:
    plain = SEPARATOR.join(markdown_module.blocks(text))
    # Safe as the chain it replaces is: striptags and truncatechars keep
    # the escaping of the sanitised Markdown they are given, and the
    # separator is plain text.
    cut = truncatechars(plain, length)
    if cut.endswith(SEPARATOR.rstrip() + "…"):  # no separator right before the ellipsis
        cut = cut[: -len(SEPARATOR.rstrip()) - 1].rstrip() + "…"
    return mark_safe(cut)  # noqa: S308


# Rendered cards by (pk, version, updated_at, listed_only, signed in). Every
# save of a product is a new version (portal.entities), so an edit, a
# publish or an unpublish renders a new card on the very next page; which
# products a page shows is still decided per request by visible_to.
CARDS = 4096
_cards: OrderedDict[tuple[Any, ...], SafeString] = OrderedDict()
_cards_lock = threading.Lock()


@register.simple_tag(takes_context=True)
def product_card(context: template.Context, product: Product) -> SafeString:
    """A product's catalogue card, rendered once per version of the product.

    The card template is given the product and whether the visitor is
    signed in, nothing else of the request, since the card is shared.
    """
    listed_only = bool(getattr(product, "listed_only", False))
    user = context.get("user")
    signed_in = bool(user is not None and user.is_authenticated)
    # The script prefix decides the card's links.
    key = (
        get_script_prefix(),
        product.pk,
        product.version,
        product.updated_at,
        listed_only,
        signed_in,
    )
    with _cards_lock:
        cached = _cards.get(key)
        if cached is not None:
            _cards.move_to_end(key)
            return cached
    # Autoescaped by the engine, which returns a SafeString already; marking
    # it again only tells the type checker.
    card = mark_safe(  # noqa: S308
        get_template("products/portal/product_card.html").render(
            {"product": product, "listed_only": listed_only, "signed_in": signed_in}
        )
    )
    with _cards_lock:
        _cards[key] = card
        while len(_cards) > CARDS:
            _cards.popitem(last=False)
    return card
