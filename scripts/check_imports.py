#!/usr/bin/env python3
"""Import-cycle and layering check for the hub's own packages (run by `make check` and CI).

Builds the graph of imports between the project's modules from their source (``ast``: every
``import``/``from … import``, including the ones inside functions, which hide cycles rather than
remove them), then reports:

- every cycle between modules (strongly connected components of more than one module, or a
  module importing itself);
- every layering violation: domain code (models, services, selectors, domain modules of the
  apps) importing Django REST framework or a protocol edge (``integration_hub.igsp`` /
  ``integration_hub.public_api`` / ``integration_hub.session_api``), listed in ``FORBIDDEN`` below;
- every edge violation: a ``models``, ``services`` or ``selectors`` module (or package) of a domain
  app (``DOMAIN_APPS``) importing the sandbox partner, any of ``integration_hub``, DRF or
  ``django.http`` (``EDGE_ONLY``): HTTP and the partner double belong to the edges.
- every import of a lower package reaching above it (``LOWER``: the catalog imports only ``core``).

Tests, migrations and the hand-run benchmarks are not part of the graph. Exit 1 when anything
is found; ``--graph`` prints the edges.
"""

from __future__ import annotations

import argparse
import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = (
    "config",
    "core",
    "integration_hub",
    "tenants",
    "catalog",
    "wallet",
    "games",
    "freerounds",
    "certification",
    "pages",
    "sandbox",
    "portal",
    "alerts",
    "contractwatch",
)
SKIP_PARTS = {"migrations", "tests", "__pycache__"}

# (module prefix, forbidden import prefixes): domain code stays free of the HTTP edge.
DOMAIN = (
    "tenants.models",
    "tenants.services",
    "tenants.selectors",
    "wallet.models",
    "wallet.services",
    "wallet.selectors",
    "games.models",
    "catalog.models",
    "catalog.services",
    "games.selectors",
    "games.markets",
    "games.traderhero",
    "games.services",
    "freerounds.models",
    "freerounds.services",
    "certification.models",
    "certification.services",
    "certification.selectors",
    "certification.cases",
    "certification.drivers",
    "certification.runner",
    "portal.models",
    "portal.services",
    "portal.selectors",
    "alerts.models",
    "alerts.services",
    "contractwatch.models",
    "contractwatch.rules",
    "contractwatch.services",
    "contractwatch.selectors",
)
FORBIDDEN = ("rest_framework", "integration_hub.igsp", "integration_hub.public_api", "integration_hub.session_api")
# (package, the project packages it may import): the catalog sits below the ledger, on core alone.
LOWER = (("catalog", ("core", "catalog")),)

# The domain apps, and what their models, services and selectors never import (directly or through the modules
# they import): the protocols, HTTP and the sandbox partner are the edges' business.
DOMAIN_APPS = (
    "tenants",
    "wallet",
    "games",
    "catalog",
    "freerounds",
    "certification",
    "portal",
    "alerts",
    "contractwatch",
)
DOMAIN_LAYERS = {"models", "services", "selectors"}
EDGE_ONLY = ("sandbox", "integration_hub", "rest_framework", "django.http")


def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def project_modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package in PACKAGES:
        base = ROOT / package
        if not base.is_dir():
            continue
        for path in base.rglob("*.py"):
            if SKIP_PARTS & set(path.relative_to(ROOT).parts):
                continue
            found[module_name(path)] = path
    return found


def imports_of(name: str, path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    is_package = path.name == "__init__.py"
    package = name if is_package else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package.split(".")
                if node.level > 1:
                    base_parts = base_parts[: len(base_parts) - (node.level - 1)]
                base = ".".join(base_parts)
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            out.add(target)
            # ``from pkg import module`` imports the submodule.
            out.update(f"{target}.{alias.name}" for alias in node.names)
    return out


def resolve(target: str, modules: dict[str, Path]) -> str | None:
    """The project module an import name refers to (the longest known prefix)."""
    parts = target.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in modules:
            return candidate
        parts.pop()
    return None


def graph(modules: dict[str, Path]) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    edges: dict[str, set[str]] = {name: set() for name in modules}
    raw: dict[str, set[str]] = {}
    for name, path in modules.items():
        raw[name] = imports_of(name, path)
        for target in raw[name]:
            dest = resolve(target, modules)
            if not dest:
                continue
            # Importing a.b.c runs a/__init__ and a/b/__init__ first: those are edges too, except a
            # package's own __init__ seen from its submodules.
            parts = dest.split(".")
            for i in range(1, len(parts) + 1):
                step = ".".join(parts[:i])
                if step in modules and step != name and not name.startswith(step + "."):
                    edges[name].add(step)
    return edges, raw


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components with more than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(10000)
    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def violations(raw: dict[str, set[str]], edges: dict[str, set[str]]) -> list[str]:
    """Domain modules (and ``core`` outside ``core.api``) must not reach DRF or an edge, directly or through
    the modules they import."""
    direct = {name: sorted(t for t in targets if t.startswith(FORBIDDEN)) for name, targets in raw.items()}
    out = []
    for name in sorted(raw):
        if not (name.startswith(DOMAIN) or (name.startswith("core") and not name.startswith("core.api"))):
            continue
        seen, todo = {name}, [name]
        while todo:
            current = todo.pop()
            for target in direct.get(current, []):
                via = "" if current == name else f" (through {current})"
                out.append(f"{name} imports {target}{via}")
            for nxt in edges.get(current, ()):
                if nxt not in seen and not nxt.startswith(("config", "integration_hub")):
                    seen.add(nxt)
                    todo.append(nxt)
            for nxt in edges.get(current, ()):
                if nxt.startswith(FORBIDDEN) and nxt not in seen:
                    seen.add(nxt)
                    out.append(f"{name} imports {nxt}" + ("" if current == name else f" (through {current})"))
    return sorted(set(out))


def _imports(target: str, prefixes: tuple[str, ...]) -> bool:
    return any(target == p or target.startswith(p + ".") for p in prefixes)


def is_domain_layer(name: str) -> bool:
    """``<app>.models``, ``<app>.services``, ``<app>.selectors`` of a domain app, at any depth (``games.markets.
    services``) and with their submodules (``tenants.services.keys``)."""
    parts = name.split(".")
    return parts[0] in DOMAIN_APPS and bool(DOMAIN_LAYERS & set(parts[1:]))


def edge_violations(raw: dict[str, set[str]], edges: dict[str, set[str]]) -> list[str]:
    """Domain models, services and selectors importing an ``EDGE_ONLY`` package, directly or through the project
    modules they import (a path through the edges themselves is reported once, where it enters them)."""
    out = []
    for name in sorted(raw):
        if not is_domain_layer(name):
            continue
        seen, todo = {name}, [name]
        while todo:
            current = todo.pop()
            via = "" if current == name else f" (through {current})"
            for target in sorted(raw.get(current, ())):
                if _imports(target, EDGE_ONLY):
                    out.append(f"{name} imports {target}{via}")
            for nxt in edges.get(current, ()):
                if nxt not in seen and not _imports(nxt, EDGE_ONLY) and not nxt.startswith("config"):
                    seen.add(nxt)
                    todo.append(nxt)
    return sorted(set(out))


def below(edges: dict[str, set[str]]) -> list[str]:
    """A lower package (``LOWER``) importing a project package above it."""
    out = []
    for package, allowed in LOWER:
        for name in sorted(edges):
            if name == package or name.startswith(package + "."):
                out.extend(
                    f"{name} imports {dest}" for dest in sorted(edges[name]) if dest.split(".")[0] not in allowed
                )
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--graph", action="store_true", help="print every edge")
    args = parser.parse_args()
    modules = project_modules()
    edges, raw = graph(modules)
    if args.graph:
        for name in sorted(edges):
            for dest in sorted(edges[name]):
                print(f"{name} -> {dest}")
    found = cycles(edges)
    bad = violations(raw, edges) + below(edges)
    outside = edge_violations(raw, edges)
    for component in found:
        inner = {v: sorted(edges[v] & set(component)) for v in component}
        print("import cycle: " + "; ".join(f"{v} -> {', '.join(w)}" for v, w in inner.items()))
    for line in bad:
        print("layering: " + line)
    for line in outside:
        print("edges: " + line)
    print(
        f"{len(modules)} modules, {sum(len(v) for v in edges.values())} imports, "
        f"{len(found)} cycles, {len(bad)} layering violations, {len(outside)} edge violations"
    )
    return 1 if found or bad or outside else 0


if __name__ == "__main__":
    sys.exit(main())
