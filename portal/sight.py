"""The one funnel for "what someone sees changed".

Memberships, a group's access to a product, blocking, unblocking, promotion
and demotion all change which products someone sees. The service that makes
such a change calls `changed()` inside its transaction; the rules that
depend on sight (the subscriptions' access rule) listen to `sight_changed`,
connected in their app's `ready()`. So no domain module of a lower app
imports a higher one, and no caller has to remember the rule.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.dispatch import Signal

# Sent with owner_ids (people whose sight changed), product_ids (products
# whose viewers changed) and api_ids (APIs that left a product, so are seen
# by fewer people; the APIs inside the named products count as changed too).
# None means "any"; api_ids is None unless named.
sight_changed = Signal()


def changed(
    *,
    people: Iterable[int] | None = None,
    products: Iterable[int] | None = None,
    apis: Iterable[int] | None = None,
) -> None:
    """Report that these people may see other products, or these products (or APIs) other people."""
    sight_changed.send(
        sender=changed,
        owner_ids=None if people is None else list(people),
        product_ids=None if products is None else list(products),
        api_ids=None if apis is None else list(apis),
    )
