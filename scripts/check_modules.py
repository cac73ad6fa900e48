#!/usr/bin/env python3
"""Two shape rules for the hub's own modules (run by `make check` and CI).

- No module uses another module's private name: neither ``from a.b import _name`` nor ``b._name`` after
  ``import a.b as b`` / ``from a import b``, where the other module is first-party. A leading underscore
  means "this module only"; what another module needs gets a public name. Dunder names (``__version__``)
  are public.
- No Python file over ``MAX_LINES`` lines: a file that long holds more than one job.

Tests and migrations are not checked. ``ALLOWED_PRIVATE`` and ``ALLOWED_LONG`` list what other branches are
changing right now; each entry goes when its module is split or its names are made public. Exit 1 when
anything else is found. ``python scripts/check_modules.py [ROOT]`` checks another tree (the tests' tmp trees).
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = (
    "alerts",
    "bench",
    "catalog",
    "certification",
    "config",
    "contractwatch",
    "core",
    "freerounds",
    "fuzz",
    "games",
    "integration_hub",
    "pages",
    "portal",
    "sandbox",
    "tenants",
    "wallet",
)
SKIP_PARTS = {"migrations", "tests", "__pycache__"}
MAX_LINES = 600

# Exceptions, each with its reason (none today): files allowed over MAX_LINES, and (importing file or folder,
# "module.name") pairs allowed to use another module's private names.
ALLOWED_LONG: set[str] = set()
ALLOWED_PRIVATE_IN: tuple[str, ...] = ()
ALLOWED_PRIVATE_OF: tuple[str, ...] = ()


def is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def source_files(root: Path) -> list[Path]:
    files = []
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            if not SKIP_PARTS.intersection(path.relative_to(root).parts):
                files.append(path)
    return files


def first_party(module: str) -> bool:
    return module.split(".", 1)[0] in PACKAGES


def resolve(module: str | None, level: int, here: str, is_package: bool) -> str:
    """The absolute name of a ``from <module> import`` (relative imports resolved against ``here``)."""
    if not level:
        return module or ""
    base = here.split(".")
    if not is_package:
        base = base[:-1]
    base = base[: len(base) - (level - 1)] if level > 1 else base
    return ".".join([*base, module] if module else base)


def private_uses(path: Path, root: Path, modules: set[str]) -> list[tuple[int, str]]:
    """(line, "module.name") of each private name of another first-party module this file uses."""
    here = module_name(path, root)
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[int, str]] = []
    bound: dict[str, str] = {}  # local name -> first-party module it is bound to
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if first_party(alias.name):
                    if alias.asname:
                        bound[alias.asname] = alias.name
                    else:
                        bound.setdefault(alias.name.split(".")[0], alias.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom):
            source = resolve(node.module, node.level, here, path.name == "__init__.py")
            if not first_party(source) or source == here:
                continue
            for alias in node.names:
                full = f"{source}.{alias.name}"
                if full in modules:  # a submodule
                    bound[alias.asname or alias.name] = full
                    # A package's own private submodule (``from . import _harness``) stays inside the package.
                    if is_private(alias.name) and not here.startswith(source + "."):
                        found.append((node.lineno, full))
                elif is_private(alias.name):
                    found.append((node.lineno, full))
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and is_private(node.attr):
            chain = []
            value: ast.expr = node.value
            while isinstance(value, ast.Attribute):
                chain.append(value.attr)
                value = value.value
            if isinstance(value, ast.Name) and value.id in bound:
                target = ".".join([bound[value.id], *reversed(chain)])
                if target in modules and target != here:
                    found.append((node.lineno, f"{target}.{node.attr}"))
    return found


def allowed_private(rel: str, name: str) -> bool:
    return rel.startswith(ALLOWED_PRIVATE_IN) or any(
        name == owner or name.startswith(owner + ".") for owner in ALLOWED_PRIVATE_OF
    )


def check(root: Path = ROOT, allowed: list[str] | None = None) -> list[str]:
    """The problems found; ``allowed`` (when given) collects the uses the allowlists let through."""
    files = source_files(root)
    modules = {module_name(p, root) for p in files}
    problems = []
    for path in files:
        rel = path.relative_to(root).as_posix()
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_LINES and rel not in ALLOWED_LONG:
            problems.append(f"{rel}: {lines} lines, more than {MAX_LINES}: split it by job")
        for lineno, name in private_uses(path, root, modules):
            if not allowed_private(rel, name.rsplit(".", 1)[0]):
                problems.append(f"{rel}:{lineno}: uses {name}, private to its module: give it a public name")
            elif allowed is not None:
                allowed.append(f"{rel}:{lineno}: {name}")
    return problems


def main(argv: list[str]) -> int:
    root = Path(argv[1]).resolve() if len(argv) > 1 else ROOT
    allowed: list[str] = []
    problems = check(root, allowed)
    for problem in problems:
        print(problem)
    for use in allowed:
        print(f"allowed for now: {use}")
    for rel in sorted(rel for rel in ALLOWED_LONG if not (root / rel).exists()):
        print(f"note: {rel} no longer exists: drop it from the allowlists")
    print(f"{len(problems)} module problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
