"""requirements.lock pins what a node runs and nothing else; requirements-dev.lock adds the rest."""

from __future__ import annotations

import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
DEV_ONLY = [
    "pytest",
    "pytest-django",
    "pytest-playwright",
    "pytest-cov",
    "mypy",
    "playwright",
    "schemathesis",
    "ruff",
    "djade",
    "hypothesis",
    "coverage",
    "azure-mgmt-apimanagement",
    "scim2-client",
    "scim2-tester",
    "django-stubs",
]


def project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def pins(name: str) -> dict[str, str]:
    """A lock file's name==version lines, by canonical name (its -r line apart)."""
    found = {}
    for line in (ROOT / name).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-r "):
            continue
        package, _, version = line.partition("==")
        assert version, f"{name}: {line!r} is not pinned with =="
        found[canonicalize_name(package)] = version
    return found


def needed(requirements: list[str]) -> list[Requirement]:
    return [Requirement(text) for text in requirements]


def test_every_runtime_dependency_is_pinned_in_the_runtime_lock_at_an_allowed_version():
    runtime = pins("requirements.lock")
    for requirement in needed(project()["dependencies"]):
        name = canonicalize_name(requirement.name)
        assert name in runtime, f"{requirement.name} is missing from requirements.lock"
        assert requirement.specifier.contains(runtime[name], prereleases=True), requirement
        # psycopg[binary,pool] brings psycopg-binary and psycopg-pool.
        for extra in requirement.extras:
            assert canonicalize_name(f"{requirement.name}-{extra}") in runtime, extra


def test_no_development_package_is_in_the_runtime_lock():
    runtime = pins("requirements.lock")
    dev_extras = [
        canonicalize_name(r.name) for r in needed(project()["optional-dependencies"]["dev"])
    ]
    for name in {canonicalize_name(n) for n in DEV_ONLY} | set(dev_extras):
        assert name not in runtime, f"{name} is a development package, in requirements.lock"


def test_the_dev_lock_includes_the_runtime_lock_and_pins_every_dev_extra():
    lines = (ROOT / "requirements-dev.lock").read_text().splitlines()
    assert lines[0] == "-r requirements.lock"
    runtime, dev = pins("requirements.lock"), pins("requirements-dev.lock")
    # Each package is pinned once, in one of the two files.
    assert not set(runtime) & set(dev)
    for requirement in needed(project()["optional-dependencies"]["dev"]):
        name = canonicalize_name(requirement.name)
        version = dev.get(name) or runtime.get(name)
        assert version, f"{requirement.name} is missing from requirements-dev.lock"
        assert requirement.specifier.contains(version, prereleases=True), requirement
