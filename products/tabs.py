"""A product's tabs in the console, for every app that adds a page to them."""

from __future__ import annotations

# (key, label, URL name); the APIs tab's pages live in the apis app.
PRODUCT_TABS = [
    ("overview", "Overview", "products:detail"),
    ("settings", "Settings", "products:update"),
    ("access", "Access control", "products:access"),
    ("apis", "APIs", "apis:product_apis"),
    ("as_of", "Access as of", "products:as_of"),
]
