"""products.models: which products each viewer sees, and what a product may be."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from groups import services as group_services
from groups.models import Group, GroupMember, Membership
from portal.models import User
from products import services
from products.models import Product, ProductGroup

PUBLISHED = Product.State.PUBLISHED


NOT_PUBLISHED = Product.State.NOT_PUBLISHED


CATALOGUE = {
    "guests-pub": (PUBLISHED, ["guests"]),
    "guests-draft": (NOT_PUBLISHED, ["guests"]),
    "developers-pub": (PUBLISHED, ["developers"]),
    "developers-draft": (NOT_PUBLISHED, ["developers"]),
    "guests-and-developers-pub": (PUBLISHED, ["guests", "developers"]),
    "partners-pub": (PUBLISHED, ["partners"]),
    "partners-draft": (NOT_PUBLISHED, ["partners"]),
    "beta-pub": (PUBLISHED, ["beta"]),
    "partners-and-beta-pub": (PUBLISHED, ["partners", "beta"]),
    "external-pub": (PUBLISHED, ["directory"]),
    "external-draft": (NOT_PUBLISHED, ["directory"]),
    "nobodys-group-pub": (PUBLISHED, ["empty"]),
    "administrators-only-pub": (PUBLISHED, []),
    "administrators-only-draft": (NOT_PUBLISHED, []),
}


GUEST_VIEW = {"guests-pub", "guests-and-developers-pub"}


DEVELOPER_VIEW = {"developers-pub", "guests-and-developers-pub"}


@pytest.fixture
def catalogue(administrators, developers, guests, partners, beta, external):
    """The custom and external groups of the table, and its products."""
    groups = {group.name: group for group in (administrators, developers, guests)}
    groups["partners"] = partners
    groups["beta"] = beta
    groups["empty"] = group_services.create_group(name="empty", display_name="Nobody yet")
    groups["directory"] = external
    assert groups["directory"].type == Group.Type.EXTERNAL
    for name, (state, linked) in CATALOGUE.items():
        services.create_product(
            name=name,
            display_name=name.replace("-", " ").title(),
            state=state,
            groups=[groups[group] for group in linked],
        )
    return groups


def _member(make_user, groups, *group_names, **fields):
    user = make_user(**fields)
    for name in group_names:
        if groups[name].type == "external":
            group_services.add_directory_members(group=groups[name], users=[user], via="sign-in")
        else:
            group_services.add_members(group=groups[name], users=[user], added_by=None)
    return user


VIEWERS = {
    "anonymous": lambda make_user, groups: AnonymousUser(),
    "developer in no group": lambda make_user, groups: _member(make_user, groups),
    "member of one group": lambda make_user, groups: _member(make_user, groups, "partners"),
    "member of several groups": lambda make_user, groups: _member(
        make_user, groups, "partners", "beta"
    ),
    "member of an external group": lambda make_user, groups: _member(
        make_user, groups, "directory"
    ),
    # Blocked and pending accounts can't sign in: their stored memberships
    # don't count, they see what visitors see.
    "blocked member": lambda make_user, groups: _member(
        make_user, groups, "partners", "directory", state=User.State.BLOCKED
    ),
    "pending member": lambda make_user, groups: _member(
        make_user, groups, "beta", state=User.State.PENDING
    ),
    "administrator": lambda make_user, groups: _member(make_user, groups, is_superuser=True),
    "blocked administrator": lambda make_user, groups: _member(
        make_user, groups, is_superuser=True, is_staff=True, state=User.State.BLOCKED
    ),
    "support staff": lambda make_user, groups: _member(make_user, groups, is_staff=True),
    "support staff in a group": lambda make_user, groups: _member(
        make_user, groups, "beta", is_staff=True
    ),
}


@pytest.mark.parametrize(
    ("viewer", "expected"),
    [
        ("anonymous", GUEST_VIEW),
        ("developer in no group", DEVELOPER_VIEW),
        ("member of one group", DEVELOPER_VIEW | {"partners-pub", "partners-and-beta-pub"}),
        (
            "member of several groups",
            DEVELOPER_VIEW | {"partners-pub", "beta-pub", "partners-and-beta-pub"},
        ),
        ("member of an external group", DEVELOPER_VIEW | {"external-pub"}),
        ("blocked member", GUEST_VIEW),
        ("pending member", GUEST_VIEW),
        ("administrator", set(CATALOGUE)),
        ("blocked administrator", GUEST_VIEW),
        ("support staff", DEVELOPER_VIEW),
        ("support staff in a group", DEVELOPER_VIEW | {"beta-pub", "partners-and-beta-pub"}),
    ],
)
def test_visible_to_catalogue_of_each_viewer(catalogue, make_user, viewer, expected):
    user = VIEWERS[viewer](make_user, catalogue)
    names = list(Product.objects.visible_to(user).values_list("name", flat=True))
    # Exists() keeps one row per product however many of its groups match.
    assert len(names) == len(set(names))
    assert set(names) == expected


def test_visible_to_follows_membership_changes(catalogue, make_user):
    person = make_user()
    group_services.add_members(group=catalogue["partners"], users=[person], added_by=None)
    assert "partners-pub" in set(Product.objects.visible_to(person).values_list("name", flat=True))

    group_services.remove_member(group=catalogue["partners"], user=person)

    names = set(Product.objects.visible_to(person).values_list("name", flat=True))
    assert names == DEVELOPER_VIEW


def test_visible_to_follows_grants_and_state(catalogue, make_user):
    person = make_user()
    product = Product.objects.get(name="nobodys-group-pub")
    assert product not in Product.objects.visible_to(person)

    services.grant_access(product=product, groups=[catalogue["developers"]], added_by=None)
    assert product in Product.objects.visible_to(person)

    services.set_state(product=product, state=NOT_PUBLISHED)
    assert product not in Product.objects.visible_to(person)

    services.set_state(product=product, state=PUBLISHED)
    services.revoke_access(product=product, group=catalogue["developers"])
    assert product not in Product.objects.visible_to(person)


def test_visible_to_takes_blocking_into_account_at_once(catalogue, make_user):
    person = _member(make_user, catalogue, "partners")
    person.state = User.State.BLOCKED
    person.save()

    names = set(Product.objects.visible_to(person).values_list("name", flat=True))

    assert names == GUEST_VIEW


# The property test: random people, groups, memberships and products, and the
# rules computed in plain Python beside them.

SYSTEM_NAMES = [Group.ADMINISTRATORS, Group.DEVELOPERS, Group.GUESTS]


people = st.lists(
    st.fixed_dictionaries(
        {
            # Weighted towards active developers, whose catalogue has most rules.
            "state": st.sampled_from([*User.State.values, User.State.ACTIVE]),
            "is_superuser": st.sampled_from([False, False, True]),
            "is_staff": st.booleans(),
        }
    ),
    min_size=1,
    max_size=5,
)


@st.composite
def worlds(draw):
    custom = draw(st.lists(st.booleans(), min_size=1, max_size=4))  # True: an external group
    group_names = SYSTEM_NAMES + [f"group-{i}" for i in range(len(custom))]
    users = draw(people)
    for user in users:
        user["groups"] = draw(st.sets(st.sampled_from(group_names[3:])))
    products = draw(
        st.lists(
            st.fixed_dictionaries(
                {
                    "published": st.booleans(),
                    "groups": st.sets(st.sampled_from(group_names)),
                }
            ),
            min_size=1,
            max_size=6,
        )
    )
    return {"custom": custom, "users": users, "products": products}


def _expected(products, *, signed_in, active, superuser, groups):
    """The visibility rules, written out without the ORM."""
    if signed_in and active and superuser:
        return {name for name, _, _ in products}
    # Accounts that can't sign in are visitors, whatever their memberships.
    seen_through = {Group.DEVELOPERS} | groups if signed_in and active else {Group.GUESTS}
    return {name for name, published, linked in products if published and linked & seen_through}


@settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(world=worlds())
def test_visible_to_matches_the_rules(db, world):
    with transaction.atomic():
        groups = {name: Group.objects.get(name=name) for name in SYSTEM_NAMES}
        for i, external in enumerate(world["custom"]):
            groups[f"group-{i}"] = group_services.create_group(
                name=f"group-{i}",
                display_name=f"Group {i}",
                external_id=f"aad://group-{i}" if external else "",
            )
        users = []
        for i, spec in enumerate(world["users"]):
            user = User.objects.create(
                email=f"person-{i}@example.com",
                state=spec["state"],
                is_superuser=spec["is_superuser"],
                is_staff=spec["is_staff"],
            )
            Membership.objects.bulk_create(
                Membership(group=groups[name], user=user) for name in spec["groups"]
            )
            users.append((user, spec))
        products = []
        for i, spec in enumerate(world["products"]):
            product = Product.objects.create(
                name=f"product-{i}",
                display_name=f"Product {i}",
                state=PUBLISHED if spec["published"] else NOT_PUBLISHED,
            )
            ProductGroup.objects.bulk_create(
                ProductGroup(product=product, group=groups[name]) for name in spec["groups"]
            )
            products.append((product.name, spec["published"], spec["groups"]))

        def seen(viewer):
            return set(Product.objects.visible_to(viewer).values_list("name", flat=True))

        assert seen(AnonymousUser()) == _expected(
            products, signed_in=False, active=False, superuser=False, groups=set()
        )
        for user, spec in users:
            assert seen(user) == _expected(
                products,
                signed_in=True,
                active=spec["state"] == User.State.ACTIVE,
                superuser=spec["is_superuser"],
                groups=spec["groups"],
            ), spec
        # The console's "View as" a group shows what a member of that group
        # alone would see: Guests as a visitor, Administrators everything.
        for name, group in groups.items():
            viewer = GroupMember(group=group)
            assert seen(viewer) == _expected(
                products,
                signed_in=name != Group.GUESTS,
                active=True,
                superuser=name == Group.ADMINISTRATORS,
                groups=set() if group.is_system else {name},
            ), name
        transaction.set_rollback(True)


@pytest.mark.parametrize("group_count", [1, 50])
def test_visible_to_is_two_queries_whatever_the_number_of_groups(
    make_user, django_assert_num_queries, group_count
):
    person = make_user()
    groups = Group.objects.bulk_create(
        Group(name=f"team-{i}", display_name=f"Team {i}", display_name_key=f"team {i}")
        for i in range(group_count)
    )
    Membership.objects.bulk_create(Membership(group=group, user=person) for group in groups)
    # One product through each group, and one through a group the person is not in.
    stranger = group_services.create_group(name="strangers", display_name="Strangers")
    for group in [*groups, stranger]:
        services.create_product(
            name=f"for-{group.name}",
            display_name=f"For {group.name}",
            state=PUBLISHED,
            groups=[group],
        )

    # 1. the person's groups, read by their indexes
    # 2. the products linked to that literal list of groups
    with django_assert_num_queries(2):
        names = {product.name for product in Product.objects.visible_to(person)}

    assert names == {f"for-{group.name}" for group in groups}


def test_visible_to_is_two_queries_for_anonymous_and_one_for_administrators(
    administrator, guests, django_assert_num_queries
):
    services.create_product(name="open", display_name="Open", state=PUBLISHED, groups=[guests])
    services.create_product(name="draft", display_name="Draft")

    # The Guests group, then its products.
    with django_assert_num_queries(2):
        anonymous = {product.name for product in Product.objects.visible_to(AnonymousUser())}
    with django_assert_num_queries(1):
        everything = {product.name for product in Product.objects.visible_to(administrator)}

    assert anonymous == {"open"}
    assert everything == {"open", "draft"}


# Product.full_clean


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"description": "d" * 1001}, "at most 1000 characters"),
        ({"subscriptions_limit": 0}, "The limit is at least 1"),
        (
            {"subscription_required": False, "approval_required": True},
            "can't require approval",
        ),
    ],
)
def test_product_full_clean_refuses_invalid_settings(db, fields, message):
    product = Product(name="checked", display_name="Checked", **fields)
    with pytest.raises(ValidationError) as caught:
        product.full_clean()
    assert any(message in text for text in caught.value.messages)


def test_product_full_clean_accepts_the_limits(db):
    Product(
        name="edge",
        display_name="Edge",
        description="d" * 1000,
        subscriptions_limit=1,
        subscription_required=False,
        approval_required=False,
    ).full_clean()
