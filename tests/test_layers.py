"""The apps' dependency order, checked on the source: domain modules import
only their own app and lower ones, and nothing imports inside a function to
dodge a cycle. The README's Layout section draws the same order."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Bottom to top; the management API and SCIM provisioning sit on everything.
LAYERS = [
    "audit",
    "portal",
    "groups",
    "sso",
    "products",
    "apis",
    "subscriptions",
    "content",
    "reviews",
    "management_api",
    "scim",
]
# Modules that hold rules, reads and writes; views, URLs, forms, the admin and
# commands sit above every domain module and may use any of them.
DOMAIN_MODULES = {
    "models.py",
    "entities.py",
    "sight.py",
    "system.py",
    "services.py",
    "rules.py",
    "notify.py",
    "markdown.py",
    "tasks.py",
    "branding.py",
    "colours.py",
    "context.py",
}


def project_modules() -> list[Path]:
    return [
        path
        for app in LAYERS
        for path in sorted((ROOT / app).rglob("*.py"))
        if "migrations" not in path.parts
    ]


def domain_modules() -> list[Path]:
    return [path for path in project_modules() if path.name in DOMAIN_MODULES]


def imported_apps(tree: ast.AST) -> set[str]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
        elif isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
    return found & set(LAYERS)


def relative(path: Path) -> str:
    return str(path.relative_to(ROOT))


def test_layers_cover_every_app_with_domain_modules():
    apps = {path.parent.name for path in ROOT.glob("*/apps.py")}
    assert apps == set(LAYERS)


@pytest.mark.parametrize("path", domain_modules(), ids=relative)
def test_domain_module_imports_only_its_own_app_and_lower_ones(path):
    app = path.relative_to(ROOT).parts[0]
    allowed = set(LAYERS[: LAYERS.index(app) + 1])
    higher = imported_apps(ast.parse(path.read_text())) - allowed
    assert not higher, f"{relative(path)} imports {sorted(higher)}, above {app}"


def imports_inside_functions(tree: ast.AST) -> list[int]:
    lines = []
    for function in ast.walk(tree):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        # AppConfig.ready() is where Django lets an app import its models.
        if function.name == "ready":
            continue
        lines += [
            node.lineno
            for node in ast.walk(function)
            if isinstance(node, ast.Import | ast.ImportFrom)
        ]
    return lines


@pytest.mark.parametrize("path", project_modules(), ids=relative)
def test_no_import_hides_inside_a_function(path):
    assert imports_inside_functions(ast.parse(path.read_text())) == []


def registry_lookups(tree: ast.AST) -> list[int]:
    """Calls of django.apps.apps.get_model (the live registry, by its usual name)."""
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "get_model"
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "apps"
    ]


@pytest.mark.parametrize("path", project_modules(), ids=relative)
def test_no_project_model_is_looked_up_by_name(path):
    """apps.get_model is for migrations and post_migrate, which get historical models."""
    assert registry_lookups(ast.parse(path.read_text())) == []


def test_the_check_sees_an_upward_import():
    tree = ast.parse("from subscriptions.models import Subscription\n")
    assert imported_apps(tree) == {"subscriptions"}
    nested = ast.parse("def f():\n    from products import services\n")
    assert imports_inside_functions(nested) == [2]
    lookup = ast.parse("from django.apps import apps\napps.get_model('products', 'Product')\n")
    assert registry_lookups(lookup) == [2]
