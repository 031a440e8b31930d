"""Access as of a moment: who could see a product and who held an active
subscription to it then, and what a person could see then, rebuilt from the
activity record.

The rule applied to the replayed state is the visibility rule of
`Product.objects.visible_to` (products/models.py) and the system groups of
`groups.system.derived_group_ids`: administrators (active superusers) see
every product; anyone else sees the published products linked to one of
their groups; an account that can't sign in is a guest. A test holds this
module's answer for "now" to visible_to's.

What the record can't tell (rows written before the activity record
existed) is taken from the rows as they are now.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db.models import CharField, Q, QuerySet
from django.db.models.functions import Cast

from apis.models import Api, ProductApi
from audit.models import Record
from audit.replay import LINK_ACTIONS, Replayed, Since, in_order
from groups import system
from groups.models import Group, Membership
from portal.models import User
from products.models import Product, ProductGroup

# How many ids one IN (...) holds.
CHUNK = 2000
ACTIVE = "active"


@dataclass(frozen=True)
class Grant:
    """A group that saw the product then."""

    group_id: str
    label: str
    system_name: str
    since: Since | None


@dataclass(frozen=True)
class Viewer:
    """A person who could see the product then, and through what."""

    user_id: str
    label: str
    administrator: bool
    through: tuple[str, ...]
    since: Since | None


@dataclass(frozen=True)
class Held:
    """A subscription active then."""

    subscription_id: str
    label: str
    owner_label: str
    since: Since | None


@dataclass
class ProductAsOf:
    moment: datetime.datetime
    existed: bool
    label: str
    published: bool
    grants: list[Grant] = field(default_factory=list)
    viewers: list[Viewer] = field(default_factory=list)
    # The Developers group saw it: every signed-in developer did.
    every_developer: bool = False
    # The Guests group saw it: every visitor did.
    every_visitor: bool = False
    subscriptions: list[Held] = field(default_factory=list)


@dataclass(frozen=True)
class Seen:
    """A product a person could see then."""

    product_id: str
    label: str
    through: tuple[str, ...]
    since: Since | None


@dataclass
class PersonAsOf:
    moment: datetime.datetime
    existed: bool
    label: str
    state: str
    administrator: bool
    groups: list[Grant] = field(default_factory=list)
    seen: list[Seen] = field(default_factory=list)
    subscriptions: list[Held] = field(default_factory=list)


def _chunks(ids: Iterable[str]) -> Iterator[list[str]]:
    ids = sorted(set(ids))
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def _fold(query: Q, moment: datetime.datetime, into: Replayed | None = None) -> Replayed:
    state = into if into is not None else Replayed()
    for record in in_order(Record.objects.filter(query), moment).iterator(chunk_size=2000):
        state.apply(record)
    return state


def _fold_about(
    kind: str, ids: Iterable[str], moment: datetime.datetime, into: Replayed
) -> Replayed:
    for chunk in _chunks(ids):
        _fold(Q(object_kind=kind, object_id__in=chunk), moment, into)
    return into


def _add_unrecorded(
    state: Replayed,
    kind: str,
    mentions: Q,
    rows: QuerySet[Any],
    ends: tuple[str, str],
    moment: datetime.datetime,
) -> None:
    """Links that exist now but that no record mentions predate the record:
    they count from their own added_at, by whoever added them."""
    mentioned = set(
        Record.objects.filter(mentions, action__in=LINK_ACTIONS[kind])
        .values_list("object_id", "related_id")
        .distinct()
    )
    for obj, related, added_at, added_by in rows.filter(added_at__lte=moment).values_list(
        *ends, "added_at", "added_by__email"
    ):
        key = (str(obj), str(related))
        if key not in mentioned:
            state.links[kind].setdefault(
                key, Since(at=added_at, by=added_by or "", via="", record_id=0)
            )


def _created_before_the_record(products: QuerySet[Product]) -> QuerySet[Product]:
    """The products whose creation the record does not hold. Records name objects
    by text, so the key is compared as text (PostgreSQL won't compare a number
    with text)."""
    created = Record.objects.filter(object_kind="product", action="product.create")
    return products.annotate(pk_text=Cast("pk", CharField())).exclude(
        pk_text__in=created.values("object_id")
    )


def _system_groups() -> dict[str, str]:
    """pk → system name, for the three system groups (created by a migration, never recorded)."""
    return {
        str(pk): name
        for pk, name in Group.objects.filter(name__in=system.SYSTEM_GROUPS).values_list(
            "pk", "name"
        )
    }


def _people(user_ids: Iterable[str], moment: datetime.datetime) -> dict[str, dict[str, Any]]:
    """Each person's label, state and superuser flag then (None for someone not yet, or no more)."""
    user_ids = set(user_ids)
    state = _fold_about("user", user_ids, moment, Replayed())
    recorded = {pk for (kind, pk) in state.entities if kind == "user"}
    ever: set[str] = set()
    for chunk in _chunks(user_ids):
        ever.update(
            Record.objects.filter(object_kind="user", object_id__in=chunk)
            .values_list("object_id", flat=True)
            .distinct()
        )
    people: dict[str, dict[str, Any]] = {}
    for pk in recorded:
        entity = state.entities[("user", pk)]
        people[pk] = {
            "label": entity.label,
            "state": entity.values.get("state", User.State.ACTIVE),
            "is_superuser": bool(entity.values.get("is_superuser", False)),
        }
    # Accounts the record never mentions predate it: as they are now.
    unknown = [pk for pk in user_ids - ever if pk.isdigit()]
    for chunk in _chunks(unknown):
        for pk, email, state_, superuser in User.objects.filter(pk__in=chunk).values_list(
            "pk", "email", "state", "is_superuser"
        ):
            people[str(pk)] = {"label": email, "state": state_, "is_superuser": superuser}
    return people


def _administrators(moment: datetime.datetime) -> dict[str, dict[str, Any]]:
    """The administrators then: active superusers."""
    ever = set(
        Record.objects.filter(object_kind="user", at__lte=moment)
        .filter(Q(after__is_superuser=True) | Q(before__is_superuser=True))
        .values_list("object_id", flat=True)
        .distinct()
    )
    unrecorded = User.objects.filter(is_superuser=True).exclude(
        pk__in=[int(pk) for pk in ever if pk.isdigit()]
    )
    ever.update(str(pk) for pk in unrecorded.values_list("pk", flat=True))
    return {
        pk: person
        for pk, person in _people(ever, moment).items()
        if person["is_superuser"] and person["state"] == ACTIVE
    }


def _held(query: Q, moment: datetime.datetime) -> list[Held]:
    """The subscriptions created by records matching query, active then."""
    ids = set(
        Record.objects.filter(query, action="subscription.create").values_list(
            "object_id", flat=True
        )
    )
    state = _fold_about("subscription", ids, moment, Replayed())
    owners = {
        str(entity.values.get("owner_id"))
        for (kind, _), entity in state.entities.items()
        if kind == "subscription"
    }
    labels = {pk: person["label"] for pk, person in _people(owners, moment).items()}
    held = [
        Held(
            subscription_id=pk,
            label=entity.label,
            owner_label=labels.get(str(entity.values.get("owner_id")), ""),
            since=entity.created,
        )
        for (kind, pk), entity in state.entities.items()
        if kind == "subscription" and entity.values.get("state") == ACTIVE
    ]
    return sorted(held, key=lambda row: (row.owner_label.casefold(), row.label.casefold()))


def product_as_of(product: Product, moment: datetime.datetime) -> ProductAsOf:
    """Who could see this product, through which groups, and who held an active
    subscription to it, at this moment."""
    pk = str(product.pk)
    state = _fold(Q(object_kind="product", object_id=pk), moment)
    entity = state.entities.get(("product", pk))
    recorded = Record.objects.filter(
        object_kind="product", object_id=pk, action="product.create"
    ).exists()
    if entity is None and recorded:
        return ProductAsOf(
            moment=moment, existed=False, label=product.display_name, published=False
        )
    label = entity.label if entity is not None else product.display_name
    product_state = entity.values.get("state", product.state) if entity else product.state
    published = product_state == Product.State.PUBLISHED
    if not recorded and product.created_at > moment:
        return ProductAsOf(moment=moment, existed=False, label=label, published=False)

    _add_unrecorded(
        state,
        "access",
        Q(object_kind="product", object_id=pk),
        ProductGroup.objects.filter(product=product),
        ("product_id", "group_id"),
        moment,
    )
    granted = {group: since for (_, group), since in state.links["access"].items()}
    systems = _system_groups()
    groups = _fold_about("group", granted, moment, Replayed())
    for chunk in _chunks(group for group in granted if group not in systems):
        _add_unrecorded(
            groups,
            "member",
            Q(object_kind="group", object_id__in=chunk),
            Membership.objects.filter(group_id__in=[int(g) for g in chunk if g.isdigit()]),
            ("group_id", "user_id"),
            moment,
        )
    group_labels = dict(
        Group.objects.filter(pk__in=[int(g) for g in granted if g.isdigit()]).values_list(
            "pk", "display_name"
        )
    )
    grants = sorted(
        (
            Grant(
                group_id=group,
                label=_group_label(groups, group, group_labels),
                system_name=systems.get(group, ""),
                since=since,
            )
            for group, since in granted.items()
        ),
        key=lambda grant: grant.label.casefold(),
    )
    result = ProductAsOf(moment=moment, existed=True, label=label, published=published)
    result.grants = grants
    names = {grant.system_name for grant in grants}
    result.every_developer = published and system.DEVELOPERS in names
    result.every_visitor = published and system.GUESTS in names

    through: dict[str, list[tuple[str, Since]]] = {}
    if published:
        for (group, user), since in groups.links["member"].items():
            if group in granted and group not in systems:
                through.setdefault(user, []).append(
                    (_group_label(groups, group, group_labels), _later(since, granted[group]))
                )
    admins = _administrators(moment)
    people = _people(through, moment)
    viewers = [
        Viewer(
            user_id=user,
            label=people[user]["label"],
            administrator=user in admins,
            through=tuple(sorted(label for label, _ in ways)),
            since=min((since for _, since in ways), key=lambda s: s.at),
        )
        for user, ways in through.items()
        # Stored memberships count only for accounts that can sign in.
        if user in people and people[user]["state"] == ACTIVE
    ]
    seen = {viewer.user_id for viewer in viewers}
    viewers += [
        Viewer(user_id=pk, label=person["label"], administrator=True, through=(), since=None)
        for pk, person in admins.items()
        if pk not in seen
    ]
    result.viewers = sorted(viewers, key=lambda viewer: viewer.label.casefold())
    result.subscriptions = _held(Q(after__product_id=product.pk), moment)
    return result


def _later(first: Since, second: Since | None) -> Since:
    """Since when both held: a group's member saw the product once the group had it too."""
    if second is None or first.at >= second.at:
        return first
    return second


def _group_label(state: Replayed, group: str, current: dict[int, str]) -> str:
    entity = state.entities.get(("group", group))
    if entity is not None and entity.label:
        return entity.label
    if group.isdigit() and int(group) in current:
        return current[int(group)]
    # A group deleted since: its last recorded name.
    last = (
        Record.objects.filter(
            Q(object_kind="group", object_id=group) | Q(related_kind="group", related_id=group)
        )
        .order_by("-at", "-id")
        .values_list("object_label", "related_label", "object_kind")
        .first()
    )
    if last is None:
        return f"Group {group}"
    return last[0] if last[2] == "group" else last[1]


def person_as_of(person: User, moment: datetime.datetime) -> PersonAsOf:
    """What this person could see, through which groups, and held, at this moment."""
    pk = str(person.pk)
    people = _people([pk], moment)
    known = people.get(pk)
    recorded_create = Record.objects.filter(
        object_kind="user", object_id=pk, action="user.create"
    ).exists()
    if known is None or (not recorded_create and person.registration_date > moment):
        return PersonAsOf(
            moment=moment,
            existed=False,
            label=person.email,
            state="",
            administrator=False,
        )
    active = known["state"] == ACTIVE
    administrator = active and known["is_superuser"]
    result = PersonAsOf(
        moment=moment,
        existed=True,
        label=known["label"],
        state=known["state"],
        administrator=administrator,
    )
    systems = _system_groups()
    by_name = {name: group for group, name in systems.items()}
    memberships = _fold(
        Q(action__in=LINK_ACTIONS["member"], related_kind="user", related_id=pk), moment
    )
    _add_unrecorded(
        memberships,
        "member",
        Q(related_kind="user", related_id=pk),
        Membership.objects.filter(user=person).exclude(group__type=Group.Type.SYSTEM),
        ("group_id", "user_id"),
        moment,
    )
    mine: dict[str, Since | None] = {}
    if active:
        mine.update({group: since for (group, _), since in memberships.links["member"].items()})
        for name in (
            (system.ADMINISTRATORS, system.DEVELOPERS) if administrator else (system.DEVELOPERS,)
        ):
            if name in by_name:
                mine[by_name[name]] = None
    elif system.GUESTS in by_name:
        mine[by_name[system.GUESTS]] = None
    group_labels = dict(
        Group.objects.filter(pk__in=[int(g) for g in mine if g.isdigit()]).values_list(
            "pk", "display_name"
        )
    )
    groups_state = Replayed()
    for chunk in _chunks(mine):
        _fold(
            Q(object_kind="group", object_id__in=chunk, action__startswith="group."),
            moment,
            groups_state,
        )
    result.groups = sorted(
        (
            Grant(
                group_id=group,
                label=_group_label(groups_state, group, group_labels),
                system_name=systems.get(group, ""),
                since=since,
            )
            for group, since in mine.items()
        ),
        key=lambda grant: grant.label.casefold(),
    )
    labels = {grant.group_id: grant.label for grant in result.groups}

    links = Replayed()
    for chunk in _chunks(mine):
        _fold(
            Q(action__in=LINK_ACTIONS["access"], related_kind="group", related_id__in=chunk),
            moment,
            links,
        )
        _add_unrecorded(
            links,
            "access",
            Q(related_kind="group", related_id__in=chunk),
            ProductGroup.objects.filter(group_id__in=[int(g) for g in chunk if g.isdigit()]),
            ("product_id", "group_id"),
            moment,
        )
    through: dict[str, list[tuple[str, Since]]] = {}
    for (product, group), since in links.links["access"].items():
        through.setdefault(product, []).append((labels[group], _later(since, mine[group])))
    products = Replayed()
    if administrator:
        _fold(Q(object_kind="product", action__startswith="product."), moment, products)
        candidates = {pk_ for (kind, pk_) in products.entities if kind == "product"}
        unrecorded = _created_before_the_record(Product.objects.filter(created_at__lte=moment))
    else:
        _fold_about("product", through, moment, products)
        candidates = set(through)
        unrecorded = _created_before_the_record(
            Product.objects.filter(pk__in=[int(p) for p in through if p.isdigit()])
        )
    current = {str(row.pk): row for row in unrecorded.only("display_name", "state")}
    seen: list[Seen] = []
    for product in candidates | set(current):
        entity = products.entities.get(("product", product))
        if entity is not None:
            label, state_ = entity.label, entity.values.get("state")
        elif product in current:
            label, state_ = current[product].display_name, current[product].state
        else:
            continue  # created later, or deleted by then
        if not administrator and state_ != Product.State.PUBLISHED:
            continue
        ways = through.get(product, [])
        seen.append(
            Seen(
                product_id=product,
                label=label,
                through=tuple(sorted(label_ for label_, _ in ways)),
                since=min((since for _, since in ways), key=lambda s: s.at) if ways else None,
            )
        )
    result.seen = sorted(seen, key=lambda row: row.label.casefold())
    result.subscriptions = _held(Q(after__owner_id=person.pk), moment)
    return result


@dataclass(frozen=True)
class Change:
    """What differs between two moments, earlier to later, by kind of row."""

    kind: str
    gained: list[str]
    lost: list[str]


def _labels(rows: Iterable[Any], key: str) -> dict[str, str]:
    return {getattr(row, key): row.label for row in rows}


def _change(kind: str, earlier: dict[str, str], later: dict[str, str]) -> Change:
    def named(ids: Iterable[str], labels: dict[str, str]) -> list[str]:
        return sorted((labels[pk] for pk in ids), key=str.casefold)

    return Change(
        kind=kind,
        gained=named(later.keys() - earlier.keys(), later),
        lost=named(earlier.keys() - later.keys(), earlier),
    )


def product_changes(first: ProductAsOf, second: ProductAsOf) -> list[Change]:
    """Who gained and lost sight of the product, its groups and its subscriptions,
    between two moments."""
    earlier, later = sorted((first, second), key=lambda result: result.moment)
    held = {
        row.subscription_id: f"{row.label} ({row.owner_label})" for row in earlier.subscriptions
    }
    held_later = {
        row.subscription_id: f"{row.label} ({row.owner_label})" for row in later.subscriptions
    }
    return [
        _change("people", _labels(earlier.viewers, "user_id"), _labels(later.viewers, "user_id")),
        _change("groups", _labels(earlier.grants, "group_id"), _labels(later.grants, "group_id")),
        _change("active subscriptions", held, held_later),
    ]


def person_changes(first: PersonAsOf, second: PersonAsOf) -> list[Change]:
    """Which products and groups a person gained and lost between two moments."""
    earlier, later = sorted((first, second), key=lambda result: result.moment)
    return [
        _change("products", _labels(earlier.seen, "product_id"), _labels(later.seen, "product_id")),
        _change("groups", _labels(earlier.groups, "group_id"), _labels(later.groups, "group_id")),
        _change(
            "active subscriptions",
            _labels(earlier.subscriptions, "subscription_id"),
            _labels(later.subscriptions, "subscription_id"),
        ),
    ]


@dataclass(frozen=True)
class Containing:
    """A product the API was in then."""

    product_id: str
    label: str
    published: bool
    since: Since | None


@dataclass
class ApiAsOf:
    moment: datetime.datetime
    existed: bool
    label: str
    products: list[Containing] = field(default_factory=list)
    viewers: list[Viewer] = field(default_factory=list)
    every_developer: bool = False
    every_visitor: bool = False
    # Subscriptions to the API alone; those to its products are on the products' pages.
    subscriptions: list[Held] = field(default_factory=list)


def api_as_of(api: Api, moment: datetime.datetime) -> ApiAsOf:
    """Who could see this API (through the products it was in) at this moment.

    An API is seen by whoever sees a product that contains it, so this is
    the union of those products' answers: its cost grows with the number of
    products the API was in, not with the people.
    """
    pk = str(api.pk)
    own = _fold(Q(object_kind="api", object_id=pk), moment)
    recorded = Record.objects.filter(object_kind="api", object_id=pk, action="api.create").exists()
    if (recorded and ("api", pk) not in own.entities) or (not recorded and api.created_at > moment):
        return ApiAsOf(moment=moment, existed=False, label=api.display_name)
    entity = own.entities.get(("api", pk))
    result = ApiAsOf(
        moment=moment, existed=True, label=entity.label if entity else api.display_name
    )
    links = _fold(
        Q(action__in=LINK_ACTIONS["product_api"], related_kind="api", related_id=pk), moment
    )
    _add_unrecorded(
        links,
        "product_api",
        Q(related_kind="api", related_id=pk),
        ProductApi.objects.filter(api=api),
        ("product_id", "api_id"),
        moment,
    )
    products = {
        str(row.pk): row
        for row in Product.objects.filter(
            pk__in=[int(p) for (p, _) in links.links["product_api"] if p.isdigit()]
        )
    }
    viewers: dict[str, Viewer] = {}
    for (product_id, _), since in links.links["product_api"].items():
        product = products.get(product_id)
        if product is None:
            continue  # deleted since: its sight can no longer be rebuilt from a row
        seen = product_as_of(product, moment)
        if not seen.existed:
            continue
        result.products.append(
            Containing(
                product_id=product_id, label=seen.label, published=seen.published, since=since
            )
        )
        result.every_developer |= seen.every_developer
        result.every_visitor |= seen.every_visitor
        for viewer in seen.viewers:
            known = viewers.get(viewer.user_id)
            through = (seen.label,) if not viewer.administrator else ()
            if known is None:
                viewers[viewer.user_id] = Viewer(
                    user_id=viewer.user_id,
                    label=viewer.label,
                    administrator=viewer.administrator,
                    through=through,
                    since=viewer.since,
                )
            else:
                viewers[viewer.user_id] = Viewer(
                    user_id=known.user_id,
                    label=known.label,
                    administrator=known.administrator,
                    through=tuple(sorted({*known.through, *through})),
                    since=known.since,
                )
    result.products.sort(key=lambda row: row.label.casefold())
    result.viewers = sorted(viewers.values(), key=lambda viewer: viewer.label.casefold())
    result.subscriptions = _held(Q(after__api_id=api.pk), moment)
    return result


def api_changes(first: ApiAsOf, second: ApiAsOf) -> list[Change]:
    """Who gained and lost sight of the API, and the products it joined and left."""
    earlier, later = sorted((first, second), key=lambda result: result.moment)
    return [
        _change("people", _labels(earlier.viewers, "user_id"), _labels(later.viewers, "user_id")),
        _change(
            "products",
            _labels(earlier.products, "product_id"),
            _labels(later.products, "product_id"),
        ),
        _change(
            "active subscriptions",
            _labels(earlier.subscriptions, "subscription_id"),
            _labels(later.subscriptions, "subscription_id"),
        ),
    ]
