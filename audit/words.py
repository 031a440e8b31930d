"""How the console words the record: actions, kinds of object, and values."""

from __future__ import annotations

from typing import Any

# action -> what the console says happened.
ACTIONS: dict[str, str] = {
    "group.create": "Created a group",
    "group.update": "Changed a group",
    "group.delete": "Deleted a group",
    "member.add": "Added a member",
    "member.remove": "Removed a member",
    "rule.create": "Added a group rule",
    "rule.delete": "Deleted a group rule",
    "request.create": "Asked for access",
    "request.approve": "Approved a request",
    "request.reject": "Rejected a request",
    "request.withdraw": "Withdrew a request",
    "invitation.create": "Invited someone",
    "invitation.resend": "Sent an invitation again",
    "invitation.revoke": "Revoked an invitation",
    "invitation.accept": "Accepted an invitation",
    "product.create": "Created a product",
    "product.update": "Changed a product",
    "product.delete": "Deleted a product",
    "access.grant": "Gave a group access",
    "access.revoke": "Took a group's access away",
    "api.create": "Created an API",
    "api.update": "Changed an API",
    "api.delete": "Deleted an API",
    "api.document": "Imported an API document",
    "product_api.add": "Added an API to a product",
    "product_api.remove": "Removed an API from a product",
    "page.create": "Created a page",
    "page.update": "Changed a page",
    "page.publish": "Published a page",
    "page.unpublish": "Unpublished a page",
    "page.restore": "Restored a page's version",
    "page.delete": "Deleted a page",
    "page_access.grant": "Let a group see a page",
    "page_access.revoke": "Stopped a group seeing a page",
    "user.create": "Created an account",
    "user.update": "Changed an account",
    "user.block": "Blocked an account",
    "user.unblock": "Unblocked an account",
    "user.approve": "Approved an account",
    "user.promote": "Made an administrator",
    "user.demote": "Took administrator rights away",
    "user.delete": "Deleted an account",
    "user.password": "Changed a password",
    "subscription.create": "Created a subscription",
    "subscription.approve": "Approved a subscription",
    "subscription.reject": "Rejected a subscription",
    "subscription.suspend": "Suspended a subscription",
    "subscription.activate": "Activated a subscription",
    "subscription.cancel": "Cancelled a subscription",
    "subscription.update": "Changed a subscription",
    "subscription.keys": "Regenerated a key",
    "subscription.delete": "Deleted a subscription",
    "token.create": "Created an access token",
    "token.revoke": "Revoked an access token",
    "scim_token.create": "Created a provisioning token",
    "scim_token.revoke": "Revoked a provisioning token",
    "review.start": "Started an access review",
    "review.decide": "Decided in an access review",
    "review.close": "Closed an access review",
    "activity.prune": "Pruned old activity",
}

# object kind -> its name in filters and headings.
KINDS: dict[str, str] = {
    "group": "Group",
    "user": "User",
    "product": "Product",
    "api": "API",
    "page": "Page",
    "subscription": "Subscription",
    "token": "Access token",
    "scim_token": "Provisioning token",
    "invitation": "Invitation",
    "review": "Access review",
    "settings": "Settings",
    "activity": "Activity",
}


def action_words(action: str) -> str:
    if action in ACTIONS:
        return ACTIONS[action]
    kind, _, verb = action.partition(".")
    if kind == "settings":
        return f"Changed the {verb.replace('_', ' ')} settings"
    return f"{verb.replace('_', ' ').capitalize()} ({kind.replace('_', ' ')})"


def kind_words(kind: str) -> str:
    return KINDS.get(kind, kind.replace("_", " ").capitalize())


def shown(value: Any) -> str:
    """A recorded value, short enough for a table cell."""
    if value is None or value == "":
        return "(empty)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    text = str(value)
    return text if len(text) <= 120 else text[:119] + "…"


def changes(before: Any, after: Any) -> list[tuple[str, str, str]]:
    """(field, before, after) for each recorded value; one side may be missing."""
    old = before if isinstance(before, dict) else {}
    new = after if isinstance(after, dict) else {}
    names = list(dict.fromkeys([*new, *old]))
    return [
        (
            name.replace("_", " "),
            shown(old.get(name)) if name in old else "",
            shown(new.get(name)) if name in new else "",
        )
        for name in names
    ]
