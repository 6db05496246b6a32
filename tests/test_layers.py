"""The house's layers, as DESIGN.md draws them: which package may import which.

Read from the source with `ast`, imports inside functions included, so a lazy import
cannot slip a dependency past the rule. Production never imports the sandbox.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Each package and the packages of ours it may import (DESIGN.md, "Layers").
# `metrics` and `tracing` are beside `policy` at the bottom: every layer may record
# into them, and they import nothing of ours.
POLICY = {"policy", "metrics", "tracing"}
DATA = POLICY | {"db"}
DOMAIN = {"auth", "engine", "registry", "audit", "broker", "facts", "correspondence"}
ALLOWED: dict[str, set[str]] = {
    "policy": set(),
    "metrics": set(),
    "tracing": set(),
    "db": POLICY,
    "auth": DATA,
    "engine": POLICY,
    "registry": DATA | {"engine"},  # asks the policy where an entry stands
    "audit": DATA,
    "broker": POLICY,
    "correspondence": DATA,  # MedCom messages, and the outbox that delivers them
    "facts": POLICY | {"broker"},
    "handbook": DATA | {"engine", "facts", "registry"},
    "decisions": DATA | DOMAIN,
    "evaluation": DATA | {"audit", "registry"},  # the pilot's evaluation, from metadata only
    # the web pages, on the application services
    # (and the lawyers' what-if bench on the handbook's synthetic scenario worlds)
    "pages": DATA | DOMAIN | {"decisions", "evaluation", "handbook"},
    "api": DATA | DOMAIN | {"handbook", "decisions", "pages", "evaluation"},
    "cli": DATA | DOMAIN | {"handbook", "decisions", "api", "pages", "evaluation"},
    "sandbox": DATA | DOMAIN | {"handbook", "decisions", "api", "cli", "pages", "evaluation"},
    "bench": DATA
    | DOMAIN
    | {"handbook", "decisions", "api", "cli", "sandbox", "pages"}
    | {"evaluation"},
    # The local cluster's orchestration: starts production's parts as processes,
    # seeds the synthetic population once, drives load (a leaf like bench).
    "cluster": DATA | DOMAIN | {"handbook", "decisions", "api", "cli", "sandbox", "pages"},
}
OURS = set(ALLOWED)
PRODUCTION = OURS - {"sandbox", "bench", "cluster"}

# The migrations are the one place the database layer names every owner's tables:
# Alembic compares them with the schema it builds.
EXCEPTIONS: dict[str, set[str]] = {"db/migrations": {"registry", "audit", "auth", "correspondence"}}


def imports_of(path: Path) -> set[str]:
    """Our top-level packages that a module imports, anywhere in it."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found |= {name.split(".")[0] for name in names} & OURS
    return found


def modules() -> list[tuple[str, Path]]:
    """Every module of ours, with its package; ids relative to the repository."""
    return [
        (package, path)
        for package in sorted(OURS)
        for path in sorted((ROOT / package).rglob("*.py"))
        if ".venv" not in path.parts
    ]


def test_every_python_folder_at_the_top_has_a_layer() -> None:
    folders = {p.parent.name for p in ROOT.glob("*/__init__.py")}
    assert folders - {"tests"} <= OURS, f"unplaced packages: {sorted(folders - OURS)}"


@pytest.mark.parametrize(
    ("package", "path"),
    [pytest.param(pkg, path, id=path.relative_to(ROOT).as_posix()) for pkg, path in modules()],
)
def test_imports_point_inward(package: str, path: Path) -> None:
    relative = path.relative_to(ROOT).as_posix()
    allowed = ALLOWED[package] | {package}
    for prefix, extra in EXCEPTIONS.items():
        if relative.startswith(prefix + "/"):
            allowed |= extra
    outward = imports_of(path) - allowed
    assert not outward, (
        f"{relative} imports {sorted(outward)}; {package}/ may import {sorted(allowed)}"
    )


def test_no_production_package_imports_the_sandbox() -> None:
    offenders = [
        path.relative_to(ROOT).as_posix()
        for package, path in modules()
        if package in PRODUCTION and "sandbox" in imports_of(path)
    ]
    assert offenders == []


def test_the_check_sees_a_lazy_import(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from sandbox.population import population\n")
    assert imports_of(module) == {"sandbox"}


def test_the_tests_mirror_the_code() -> None:
    """Every package has its tests in tests/<package>/ (DESIGN.md, "Tests mirror the code")."""
    untested = [
        package
        for package in sorted(OURS - {"bench"})
        if not list((ROOT / "tests" / package).glob("test_*.py"))
    ]
    assert untested == []
