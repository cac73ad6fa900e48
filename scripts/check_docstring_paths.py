#!/usr/bin/env python3
"""Docstrings, READMEs and the docs/ pages cite only files that exist (run by `make check` and CI).

Reads the module docstring of every Python module of the project (``ast``; tests and migrations included,
the virtualenv and generated folders not), every ``README.md`` in the repository and every page of ``docs/``
(``docs/*.md``), finds what looks like a repository path (``<app>/<module>.py``, ``<folder>/``…: a name with a
``/`` that ends in a known file suffix or in ``/``, or a bare ``<module>.py``), and reports each one that names
nothing in the repository. A path is looked up from the repository's root, then from the citing file's folder
(a module may cite its siblings), then from that folder's parents. In a README or a docs/ page, a bare name
(``<module>.py``, ``<folder>/``: the lines of a layout tree) may stand for a file or folder of that name
anywhere in the repository. Generated paths (what ``.gitignore`` ignores: ``var/…``, the fuzzer's crash folder)
count as existing.

Not checked: URLs (``https://…``), absolute paths, paths outside the repository (``../…``, ``shared/…`` of the
wider project), globs (``*``), template placeholders (``<id>``, ``{x}``) and URL routes (``/igsp/v1/…``,
``/api/…``: anything that starts with ``/``). Exit 1 when a citation names nothing; prints each one as
``file:line: path``.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SKIP_PARTS = {".venv", "venv", "__pycache__", "node_modules", "var", "staticfiles", "test-artifacts", ".git"}
SUFFIXES = ("py", "md", "yaml", "yml", "json", "js", "css", "html", "txt", "toml", "cfg", "ini", "sh", "sql", "lua")
# A relative path: segments of word characters, dots and dashes joined by "/", ending in a suffix or "/".
PATH = re.compile(
    r"(?<![\w./:<{*$-])"
    r"((?:[A-Za-z_][\w.-]*/)+(?:[\w.-]+\.(?:" + "|".join(SUFFIXES) + r")|)"
    r"|[A-Za-z_][\w-]*\.py)"
    r"(?![\w/<{*-])"
)
# Paths that belong to the wider project or to other repositories, not to this one.
OUTSIDE = ("shared/", "seeds/", "site-packages/", "rest_framework/", "django/", "drf_spectacular/")


def repo_files() -> list[Path]:
    """Tracked files and untracked ones git does not ignore (what a fresh clone of the branch would hold)."""
    try:
        out = subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        return [ROOT / line for line in out.splitlines() if line and (ROOT / line).exists()]
    except (OSError, subprocess.CalledProcessError):
        return [p for p in ROOT.rglob("*") if p.is_file() and not SKIP_PARTS & set(p.relative_to(ROOT).parts)]


def known_paths(files: list[Path]) -> set[str]:
    """Every file and every folder of the repository, relative to its root (folders with a trailing "/")."""
    known: set[str] = set()
    for path in files:
        rel = path.relative_to(ROOT)
        known.add(rel.as_posix())
        for parent in rel.parents:
            if parent.as_posix() != ".":
                known.add(parent.as_posix() + "/")
    return known


def citations(text: str, first_line: int) -> Iterator[tuple[int, str]]:
    for offset, line in enumerate(text.splitlines()):
        for match in PATH.finditer(line):
            start = match.start()
            if line[max(0, start - 3) : start] == "://" or "://" in line[max(0, start - 12) : start]:
                continue
            yield first_line + offset, match.group(1)


def ignored(cited: str) -> bool:
    """A path git ignores: generated (logs, results, crash inputs), never committed."""
    try:
        return subprocess.run(["git", "check-ignore", "-q", "--no-index", cited], cwd=ROOT).returncode == 0
    except OSError:
        return False


def is_page(path: Path) -> bool:
    """A Markdown page the check reads whole: a README anywhere, or a page of docs/."""
    rel = path.relative_to(ROOT)
    return path.name == "README.md" or (path.suffix == ".md" and rel.parts[0] == "docs")


def exists(cited: str, citing: Path, known: set[str], names: set[str]) -> bool:
    if cited.startswith(OUTSIDE):
        return True
    folder = citing.relative_to(ROOT).parent
    for base in [folder, *folder.parents]:
        prefix = "" if base.as_posix() == "." else base.as_posix() + "/"
        if prefix + cited in known:
            return True
    if is_page(citing) and "/" not in cited.rstrip("/") and cited in names:
        return True
    return ignored(cited)


def docstring_of(path: Path) -> tuple[str, int] | None:
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (SyntaxError, UnicodeDecodeError):
        return None
    if tree.body and isinstance(tree.body[0], ast.Expr) and isinstance(tree.body[0].value, ast.Constant):
        value = tree.body[0].value.value
        if isinstance(value, str):
            return value, tree.body[0].lineno
    return None


def check() -> list[str]:
    files = repo_files()
    known = known_paths(files)
    names = {path.rstrip("/").rsplit("/", 1)[-1] + ("/" if path.endswith("/") else "") for path in known}
    problems: list[str] = []
    for path in sorted(files):
        rel = path.relative_to(ROOT)
        if SKIP_PARTS & set(rel.parts):
            continue
        if path.suffix == ".py":
            found = docstring_of(path)
            if found is None:
                continue
            text, first_line = found
        elif is_page(path):
            text, first_line = path.read_text(encoding="utf-8"), 1
        else:
            continue
        for line, cited in citations(text, first_line):
            if not exists(cited, path, known, names):
                problems.append(f"{rel.as_posix()}:{line}: {cited}")
    return problems


def main() -> int:
    problems = check()
    for problem in problems:
        print(problem)
    print(f"{len(problems)} cited path(s) that do not exist", file=sys.stderr if problems else sys.stdout)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
