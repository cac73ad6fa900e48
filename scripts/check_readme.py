#!/usr/bin/env python3
"""The README stays an entrance (run by `make check` and CI).

Fails (exit 1, one line per problem) when:

- ``README.md`` is longer than ``MAX_LINES`` (150) lines: the rest belongs in ``docs/``;
- a relative link of ``README.md`` or of a ``docs/*.md`` page (``[text](target)``, ``[name]: target``) names a
  file or folder that does not exist, or an anchor (``page.md#section``, ``#section``) that is no heading of
  that page (GitHub's heading ids: lower case, punctuation dropped, spaces as ``-``, ``-1``… for repeats);
- a page of ``docs/`` is not linked from ``README.md`` (every page is reachable from the entrance).

Not checked: links with a scheme (``https://``, ``mailto:``), site routes (``/admin/``: anything that starts
with ``/``), links that leave the repository (``../shared/…``, the wider project), and whatever sits in code
(fenced blocks, inline code). ``python scripts/check_readme.py [ROOT]`` checks another tree (the tests' tmp
dirs).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAX_LINES = 150
INLINE_LINK = re.compile(r"!?\[(?:[^\]\\]|\\.)*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE_LINK = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$")
HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")
FENCE = re.compile(r"^\s{0,3}(```|~~~)")
INLINE_CODE = re.compile(r"(`+)(?:(?!\1).)+?\1")
SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def prose_lines(text: str, *, keep_code: bool = False) -> Iterator[tuple[int, str]]:
    """(line number, line) outside fenced code blocks, inline code removed (kept with ``keep_code``)."""
    fence: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        match = FENCE.match(line)
        if match:
            if fence is None:
                fence = match.group(1)
            elif match.group(1) == fence:
                fence = None
            continue
        if fence is None:
            yield number, line if keep_code else INLINE_CODE.sub("", line)


def links(text: str) -> Iterator[tuple[int, str]]:
    for number, line in prose_lines(text):
        for match in INLINE_LINK.finditer(line):
            yield number, match.group(1)
        reference = REFERENCE_LINK.match(line)
        if reference:
            yield number, reference.group(1)


def slug(heading: str) -> str:
    """GitHub's id for a heading: markup and punctuation dropped, lower case, spaces as hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link keeps its text
    text = text.replace("`", "").replace("*", "").strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(text: str) -> set[str]:
    seen: dict[str, int] = {}
    found: set[str] = set()
    for _, line in prose_lines(text, keep_code=True):
        match = HEADING.match(line)
        if not match:
            continue
        base = slug(match.group(1))
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def link_problem(target: str, page: Path, root: Path) -> str | None:
    """What is wrong with one link of ``page`` (None: fine, or not ours to check)."""
    if SCHEME.match(target) or target.startswith("/"):
        return None
    path_part, _, anchor = target.partition("#")
    path_part = path_part.split("?", 1)[0]
    dest = (page.parent / path_part).resolve() if path_part else page.resolve()
    if not dest.is_relative_to(root.resolve()):
        return None  # the wider project (../shared/…): not in this repository
    if not dest.exists():
        return f"{target}: no such file"
    if (
        anchor
        and dest.is_file()
        and dest.suffix == ".md"
        and anchor.lower() not in anchors(dest.read_text(encoding="utf-8"))
    ):
        return f"{target}: no heading #{anchor} in {dest.relative_to(root.resolve()).as_posix()}"
    return None


def check(root: Path = ROOT) -> list[str]:
    problems: list[str] = []
    readme = root / "README.md"
    if not readme.is_file():
        return ["README.md: missing"]
    text = readme.read_text(encoding="utf-8")
    lines = len(text.splitlines())
    if lines > MAX_LINES:
        problems.append(f"README.md: {lines} lines, more than {MAX_LINES}: move the rest to docs/")
    pages = sorted((root / "docs").glob("*.md"))
    linked: set[Path] = set()
    for page in [readme, *pages]:
        rel = page.relative_to(root).as_posix()
        for number, target in links(page.read_text(encoding="utf-8")):
            problem = link_problem(target, page, root)
            if problem:
                problems.append(f"{rel}:{number}: {problem}")
            elif page == readme:
                path_part = target.partition("#")[0]
                if path_part and not SCHEME.match(target):
                    linked.add((page.parent / path_part).resolve())
    for page in pages:
        if page.resolve() not in linked:
            problems.append(f"{page.relative_to(root).as_posix()}: not linked from README.md")
    return problems


def main(argv: list[str]) -> int:
    root = Path(argv[1]).resolve() if len(argv) > 1 else ROOT
    problems = check(root)
    for problem in problems:
        print(problem)
    print(f"{len(problems)} README problem(s)", file=sys.stderr if problems else sys.stdout)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
